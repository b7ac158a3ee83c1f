"""Curation reports computed from the checked model: what the dataset covers and what it lacks.

The coverage report lists every Table 1 row with its facts and review category, every
osteoclast–osteoblast communication mechanism the review describes in its text with its fate
(``curation/coverage/text-mechanisms.tsv``), the facts per mechanism × review category, per
evidence level and the contested ones, and the use of the bibliography and of the ontologies.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from ..curation import model
from ..curation.derive import Derived, derive_all
from ..curation.model import Curation
from ..problems import Problem
from .tables import read_table

TABLE1_ROWS = 25
#: Where the text-mechanism list lives, relative to the curation folder.
TEXT_MECHANISMS = Path("coverage") / "text-mechanisms.tsv"
TEXT_MECHANISM_COLUMNS = ("mechanism", "source", "fate", "note")
#: Fates of a text mechanism: ``curated: CF… CF…`` (the facts that state it), ``comment only: CF…``
#: (named in a fact's comment, not as claims), ``out of scope: reason`` and ``missing: reason``.
TEXT_MECHANISM_FATES = ("curated", "comment only", "out of scope", "missing")
#: Places in the review a text mechanism may cite: the body sections, the abstract and the figures.
REVIEW_PLACES = ("abstract", *(f"s{i}" for i in range(1, 25)), *(f"fig{i}" for i in range(1, 5)))
FACT_ID = re.compile(r"CF\d{4}")
#: The fate a row is listed with when its fate column cannot be read (a problem is reported too).
INVALID_FATE = "invalid"


@dataclass(frozen=True)
class TextMechanism:
    """One row of ``text-mechanisms.tsv``: a mechanism of the review's text and what became of it."""

    line: int
    mechanism: str
    source: list[str]
    fate: str  # one of TEXT_MECHANISM_FATES, or INVALID_FATE (then ``reason`` is the fate as written)
    facts: list[str]  # the fact ids of a ``curated`` or ``comment only`` fate
    reason: str  # the reason of an ``out of scope`` or ``missing`` fate
    note: str
    #: fact ids of a ``curated`` fate whose source locations cite none of the mechanism's places
    elsewhere: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ContestedFact:
    """A fact some of whose claims are disputed, with the claims and the disputing studies."""

    fact: str
    claims: list[str]
    disputing_pmids: list[str]
    disputing_dois: list[str]


@dataclass
class Coverage:
    """The coverage report: what the curation covers of the review, and the problems that fail it."""

    table1: dict[int, list[str]] = field(default_factory=dict)  # row -> fact ids
    #: row -> the review categories of the facts that cite the row first (their primary source)
    table1_categories: dict[int, list[str]] = field(default_factory=dict)
    #: mechanism (or "Regulation") -> review category -> number of facts
    by_mechanism_category: dict[str, dict[str, int]] = field(default_factory=dict)
    #: evidence level -> number of facts / of contested facts / of claims
    facts_by_evidence_level: dict[str, int] = field(default_factory=dict)
    contested_facts_by_evidence_level: dict[str, int] = field(default_factory=dict)
    claims_by_evidence_level: dict[str, int] = field(default_factory=dict)
    contested: list[ContestedFact] = field(default_factory=list)
    claims_without_in_vivo: list[str] = field(default_factory=list)
    references_used: list[str] = field(default_factory=list)  # bibNN
    references_unused: list[str] = field(default_factory=list)
    terms_per_ontology: dict[str, int] = field(default_factory=dict)
    text_mechanisms: list[TextMechanism] = field(default_factory=list)
    #: what makes the report fail besides Table 1 gaps (bad rows of the text-mechanism list, …)
    problems: list[Problem] = field(default_factory=list)

    @property
    def table1_gaps(self) -> list[int]:
        """The Table 1 rows no fact cites."""
        return [row for row, facts in self.table1.items() if not facts]

    @property
    def text_mechanism_gaps(self) -> list[str]:
        """The text mechanisms whose fate is ``missing``: listed, but not a failure."""
        return [m.mechanism for m in self.text_mechanisms if m.fate == "missing"]

    @property
    def ok(self) -> bool:
        """Whether the report passes: every Table 1 row covered and no problem."""
        return not self.table1_gaps and not self.problems


def _table1_row(location: str) -> int | None:
    """The Table 1 row a source location cites, if it cites one."""
    if location.startswith("table1-row"):
        number = location.removeprefix("table1-row")
        if number.isdigit():
            return int(number)
    return None


def parse_fate(text: str, facts: set[str]) -> tuple[str, list[str], str]:
    """A text mechanism's fate as (kind, fact ids, reason); raise ``ValueError`` saying what is wrong.

    >>> parse_fate("curated: CF0100 CF0105", {"CF0100", "CF0105"})
    ('curated', ['CF0100', 'CF0105'], '')
    >>> parse_fate("out of scope: osteoclast-intrinsic", set())
    ('out of scope', [], 'osteoclast-intrinsic')
    >>> parse_fate("curated: CF0999", {"CF0100"})
    Traceback (most recent call last):
    ...
    ValueError: names a fact that is not in the curation: CF0999
    """
    kind, colon, rest = text.partition(":")
    kind, rest = kind.strip(), rest.strip()
    if not colon or kind not in TEXT_MECHANISM_FATES:
        raise ValueError(
            f"`{text}`: a fate is `curated: CF…`, `comment only: CF…`, `out of scope: reason` or `missing: reason`"
        )
    if kind in ("out of scope", "missing"):
        if not rest:
            raise ValueError(f"`{kind}:` gives no reason")
        return kind, [], rest
    ids = rest.split()
    if not ids:
        raise ValueError(f"`{kind}:` names no fact")
    malformed = [i for i in ids if not FACT_ID.fullmatch(i)]
    if malformed:
        raise ValueError(f"not a fact id: {', '.join(malformed)} (write the ids separated by spaces)")
    unknown = [i for i in ids if i not in facts]
    if unknown:
        raise ValueError(f"names a fact that is not in the curation: {', '.join(unknown)}")
    return kind, ids, ""


def read_text_mechanisms(
    path: Path, curation: Curation, name: str | None = None
) -> tuple[list[TextMechanism], list[Problem]]:
    """The rows of the text-mechanism list and the problems found in it (a missing file is one).

    ``name`` is how problems refer to the file (default: its path).
    """
    where = name or str(path)
    table, problems = read_table(
        path, TEXT_MECHANISM_COLUMNS, where, "list every mechanism of the review's text with its fate"
    )
    facts = {f.id: f for f in curation.facts}
    rows: list[TextMechanism] = []
    seen: dict[str, int] = {}
    for line, cells in table:

        def problem(column: str, message: str, line: int = line) -> None:
            problems.append(Problem(where, line, "", column, message))

        mechanism, source_text, fate_text, note = (c.strip() for c in cells)
        if not mechanism:
            problem("mechanism", "empty")
        elif mechanism in seen:
            problem("mechanism", f"listed twice (first at line {seen[mechanism]})")
        else:
            seen[mechanism] = line
        source = source_text.split()
        unknown = [s for s in source if s not in REVIEW_PLACES]
        if not source:
            problem("source", "empty: give the review's section ids (s1…s24) or figures (fig1…fig4)")
        elif unknown:
            problem("source", f"not a section or figure of the review: {', '.join(unknown)}")
        try:
            fate, ids, reason = parse_fate(fate_text, set(facts))
        except ValueError as err:
            problem("fate", str(err))
            # still listed, with the fate as written
            rows.append(TextMechanism(line, mechanism, source, INVALID_FATE, [], fate_text, note))
            continue
        elsewhere = [i for i in ids if fate == "curated" and not set(facts[i].source_locations) & set(source)]
        rows.append(TextMechanism(line, mechanism, source, fate, ids, reason, note, elsewhere))
    return rows, problems


def _category_problems(curation: Curation) -> list[Problem]:
    """Facts citing the same Table 1 row first must agree on its review category."""
    first: dict[int, list[model.Fact]] = {}
    for fact in curation.facts:
        row = _table1_row(fact.source_locations[0]) if fact.source_locations else None
        if row is not None:
            first.setdefault(row, []).append(fact)
    out = []
    for row, facts in sorted(first.items()):
        if len({f.review_category for f in facts}) > 1:
            listed = ", ".join(f"{f.id} ({f.review_category})" for f in facts)
            out += [
                Problem(
                    f.loc.file,
                    f.loc.line,
                    f.id,
                    "review_category",
                    f"the facts citing table1-row{row} first disagree on its category: {listed}",
                )
                for f in facts
            ]
    return out


def coverage(
    curation: Curation,
    derived: dict[str, Derived] | None = None,
    text_mechanisms: Path | None = None,
    text_mechanisms_name: str | None = None,
) -> Coverage:
    """The coverage report of a checked curation.

    ``text_mechanisms`` is the text-mechanism list to read (normally ``curation/`` +
    :data:`TEXT_MECHANISMS`); without it that section is left empty and unchecked.
    """
    derived = derived if derived is not None else derive_all(curation)
    report = Coverage(table1={row: [] for row in range(1, TABLE1_ROWS + 1)})
    primary: dict[int, set[str]] = {row: set() for row in report.table1}
    citing: dict[int, set[str]] = {row: set() for row in report.table1}
    counts: dict[str, Counter[str]] = {}
    levels: Counter[str] = Counter()
    contested_levels: Counter[str] = Counter()
    claim_levels: Counter[str] = Counter()
    for fact in curation.facts:
        d = derived[fact.id]
        for i, location in enumerate(fact.source_locations):
            row = _table1_row(location)
            if row is None or row not in report.table1:
                continue
            report.table1[row].append(fact.id)
            citing[row].add(fact.review_category)
            if i == 0:
                primary[row].add(fact.review_category)
        counts.setdefault(fact.mechanism or "Regulation", Counter())[fact.review_category] += 1
        levels[d.evidence_level] += 1
        claim_levels.update(d.claim_levels.values())
        if d.contested:
            contested_levels[d.evidence_level] += 1
            report.contested.append(
                ContestedFact(fact.id, [c.id for c in fact.claims if c.contested], d.disputing_pmids, d.disputing_dois)
            )
        for claim in fact.claims:
            if claim.predicate.text not in model.POSITIVE_EFFECT + model.NEGATIVE_EFFECT:
                continue
            systems = {curation.evidence[e].system for e in claim.supported_by if e in curation.evidence}
            if not systems & set(model.IN_VIVO_SYSTEMS):
                report.claims_without_in_vivo.append(f"{fact.id}-{claim.id}")
    order = {c: i for i, c in enumerate(model.REVIEW_CATEGORIES)}
    report.table1_categories = {
        row: sorted(primary[row] or citing[row], key=order.__getitem__) for row in report.table1
    }
    report.by_mechanism_category = {
        k: dict(sorted(v.items(), key=lambda kv: order[kv[0]])) for k, v in sorted(counts.items())
    }
    report.facts_by_evidence_level = {lv: levels[lv] for lv in model.EVIDENCE_LEVELS}
    report.contested_facts_by_evidence_level = {lv: contested_levels[lv] for lv in model.EVIDENCE_LEVELS}
    report.claims_by_evidence_level = {lv: claim_levels[lv] for lv in model.EVIDENCE_LEVELS}
    report.problems += _category_problems(curation)

    by_pmid, by_doi = curation.bib_by_pmid(), curation.bib_by_doi()
    used: set[str] = set()
    for ev in curation.evidence.values():
        ref = by_pmid.get(ev.pmid or "") or by_doi.get((ev.doi or "").lower())
        if ref:
            used.add(ref.ref_id)
    for fact in curation.facts:
        for note in fact.therapeutic_notes + fact.biomarker_notes:
            used.update(by_pmid[p].ref_id for p in note.pmids if p in by_pmid)
            used.update(by_doi[d.lower()].ref_id for d in note.dois if d.lower() in by_doi)
    bib_order = {r.ref_id: i for i, r in enumerate(curation.bibliography)}
    report.references_used = sorted(used, key=bib_order.__getitem__)
    report.references_unused = [r.ref_id for r in curation.bibliography if r.ref_id not in used]

    terms: set[str] = set()
    for fact in curation.facts:
        refs = [*fact.pathways, *([fact.carrier] if fact.carrier else [])]
        for claim in fact.claims:
            refs += [claim.predicate, claim.object, claim.subject, *([claim.context] if claim.context else [])]
        terms.update(r.text for r in refs if not r.is_entity)
    for ev in curation.evidence.values():
        terms.update([ev.eco.text, *(t.text for t in ev.taxa)])
    report.terms_per_ontology = dict(sorted(Counter(t.split(":", 1)[0] for t in terms).items()))

    if text_mechanisms is not None:
        rows, problems = read_text_mechanisms(text_mechanisms, curation, text_mechanisms_name)
        report.text_mechanisms = rows
        report.problems += problems
    return report


def _cell(text: str) -> str:
    """Text safe inside a markdown table cell."""
    return text.replace("|", "\\|").replace("\n", " ")


def coverage_markdown(report: Coverage, curation: Curation) -> str:
    """The coverage report as markdown."""
    labels = {r.ref_id: r.label for r in curation.bibliography}
    lines = [
        "# clastordf coverage report",
        "",
        "## Table 1 rows",
        "",
        "| row | review category | facts |",
        "|---|---|---|",
    ]
    lines += [
        f"| {row} | {', '.join(report.table1_categories.get(row, [])) or '—'} | "
        f"{', '.join(facts) or '**not covered**'} |"
        for row, facts in report.table1.items()
    ]
    gaps = report.table1_gaps
    lines += [
        "",
        f"Table 1: {TABLE1_ROWS - len(gaps)} of {TABLE1_ROWS} rows covered"
        + (f"; gaps: {', '.join(map(str, gaps))}" if gaps else "."),
        "",
    ]

    mechanisms = report.text_mechanisms
    lines += [
        f"## Mechanisms described in the review's text ({len(mechanisms)})",
        "",
        "| mechanism | source | fate | facts or reason | note |",
        "|---|---|---|---|---|",
    ]
    for m in mechanisms:
        what = " ".join(m.facts) or m.reason
        if m.elsewhere:
            what += f" ({', '.join(m.elsewhere)} cite(s) none of {', '.join(m.source)})"
        lines.append(f"| {_cell(m.mechanism)} | {' '.join(m.source)} | {m.fate} | {_cell(what)} | {_cell(m.note)} |")
    fates = Counter(m.fate for m in mechanisms)
    kinds = [*TEXT_MECHANISM_FATES, *([INVALID_FATE] if fates[INVALID_FATE] else [])]
    lines += [
        "",
        "Text mechanisms: "
        + ", ".join(f"{fates[f]} {f}" for f in kinds)
        + (f"; missing: {'; '.join(report.text_mechanism_gaps)}" if report.text_mechanism_gaps else "."),
        "",
    ]

    categories = list(model.REVIEW_CATEGORIES)
    lines += [
        "## Facts per mechanism and review category",
        "",
        "| mechanism | " + " | ".join(categories) + " | total |",
        "|---" * (len(categories) + 2) + "|",
    ]
    for mechanism, counts in report.by_mechanism_category.items():
        cells = [str(counts.get(c, 0)) for c in categories]
        lines.append(f"| {mechanism} | " + " | ".join(cells) + f" | {sum(counts.values())} |")
    lines += [
        "",
        "## Evidence levels",
        "",
        "| evidence level | facts | of them contested | claims |",
        "|---|---|---|---|",
    ]
    lines += [
        f"| {lv} | {report.facts_by_evidence_level.get(lv, 0)} | "
        f"{report.contested_facts_by_evidence_level.get(lv, 0)} | {report.claims_by_evidence_level.get(lv, 0)} |"
        for lv in model.EVIDENCE_LEVELS
    ]
    lines += ["", f"## Contested facts ({len(report.contested)})", ""]
    if report.contested:
        lines += ["| fact | contested claims | disputing PMIDs | disputing DOIs |", "|---|---|---|---|"]
        lines += [
            f"| {c.fact} | {', '.join(c.claims)} | {', '.join(c.disputing_pmids) or '—'} | "
            f"{', '.join(c.disputing_dois) or '—'} |"
            for c in report.contested
        ]
    else:
        lines.append("none")
    lines += ["", f"## Effect claims without in-vivo support ({len(report.claims_without_in_vivo)})", ""]
    lines += [", ".join(report.claims_without_in_vivo) or "none", ""]
    total = len(report.references_used) + len(report.references_unused)
    lines += [
        f"## Review bibliography: {len(report.references_used)} of {total} references used",
        "",
        "Not cited by any evidence line or note (background, reviews, other topics):",
        "",
    ]
    lines += [", ".join(f"{r} ({labels[r]})" for r in report.references_unused) or "none", ""]
    lines += ["## Terms used per ontology", "", "| prefix | terms |", "|---|---|"]
    lines += [f"| {p} | {n} |" for p, n in report.terms_per_ontology.items()]
    lines += ["", f"## Problems ({len(report.problems)})", ""]
    lines += [f"- {p}" for p in report.problems] or ["none"]
    return "\n".join(lines) + "\n"
