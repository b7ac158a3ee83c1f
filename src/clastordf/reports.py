"""Curation reports computed from the checked model: what the dataset covers and what it lacks."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from . import model
from .model import Curation

TABLE1_ROWS = 25
IN_VIVO = ("InVivo", "InVivoKnockout", "InVivoConditionalKnockout", "HumanTissue", "Clinical")


@dataclass
class Coverage:
    table1: dict[int, list[str]] = field(default_factory=dict)  # row -> fact ids
    by_mechanism_status: dict[str, dict[str, int]] = field(default_factory=dict)
    claims_without_in_vivo: list[str] = field(default_factory=list)
    references_used: list[str] = field(default_factory=list)  # bibNN
    references_unused: list[str] = field(default_factory=list)
    terms_per_ontology: dict[str, int] = field(default_factory=dict)

    @property
    def table1_gaps(self) -> list[int]:
        return [row for row, facts in self.table1.items() if not facts]


def coverage(curation: Curation) -> Coverage:
    """The coverage report of a checked curation."""
    report = Coverage(table1={row: [] for row in range(1, TABLE1_ROWS + 1)})
    counts: dict[str, Counter] = {}
    for fact in curation.facts:
        for location in fact.source_locations:
            if location.startswith("table1-row"):
                report.table1[int(location.removeprefix("table1-row"))].append(fact.id)
        kind = fact.mechanism or "Regulation"
        counts.setdefault(kind, Counter())[fact.status] += 1
        for claim in fact.claims:
            if claim.predicate.text not in model.POSITIVE_EFFECT + model.NEGATIVE_EFFECT:
                continue
            systems = {curation.evidence[e].system for e in claim.supported_by if e in curation.evidence}
            if not systems & set(IN_VIVO):
                report.claims_without_in_vivo.append(f"{fact.id}-{claim.id}")
    report.by_mechanism_status = {k: dict(sorted(v.items())) for k, v in sorted(counts.items())}

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
    order = {r.ref_id: i for i, r in enumerate(curation.bibliography)}
    report.references_used = sorted(used, key=order.__getitem__)
    report.references_unused = [r.ref_id for r in curation.bibliography if r.ref_id not in used]

    terms: set[str] = set()
    for fact in curation.facts:
        refs = [*fact.pathways, *( [fact.carrier] if fact.carrier else [])]
        for claim in fact.claims:
            refs += [claim.predicate, claim.object, claim.subject, *([claim.context] if claim.context else [])]
        terms.update(r.text for r in refs if not r.is_entity)
    for ev in curation.evidence.values():
        terms.update([ev.eco.text, *(t.text for t in ev.taxa)])
    report.terms_per_ontology = dict(sorted(Counter(t.split(":", 1)[0] for t in terms).items()))
    return report


def coverage_markdown(report: Coverage, curation: Curation) -> str:
    labels = {r.ref_id: r.label for r in curation.bibliography}
    lines = ["# clastordf coverage report", "", "## Table 1 rows", "", "| row | facts |", "|---|---|"]
    lines += [f"| {row} | {', '.join(facts) or '**not covered**'} |" for row, facts in report.table1.items()]
    gaps = report.table1_gaps
    lines += ["", f"Table 1: {TABLE1_ROWS - len(gaps)} of {TABLE1_ROWS} rows covered"
              + (f"; gaps: {', '.join(map(str, gaps))}" if gaps else "."), ""]
    statuses = list(model.STATUSES)
    lines += ["## Facts per mechanism and status", "", "| mechanism | " + " | ".join(statuses) + " | total |",
              "|---" * (len(statuses) + 2) + "|"]
    for mechanism, counts in report.by_mechanism_status.items():
        cells = [str(counts.get(s, 0)) for s in statuses]
        lines.append(f"| {mechanism} | " + " | ".join(cells) + f" | {sum(counts.values())} |")
    lines += ["", f"## Effect claims without in-vivo support ({len(report.claims_without_in_vivo)})", ""]
    lines += [", ".join(report.claims_without_in_vivo) or "none", ""]
    total = len(report.references_used) + len(report.references_unused)
    lines += [f"## Review bibliography: {len(report.references_used)} of {total} references used", "",
              "Not cited by any evidence line or note (background, reviews, other topics):", ""]
    lines += [", ".join(f"{r} ({labels[r]})" for r in report.references_unused) or "none", ""]
    lines += ["## Terms used per ontology", "", "| prefix | terms |", "|---|---|"]
    lines += [f"| {p} | {n} |" for p, n in report.terms_per_ontology.items()]
    return "\n".join(lines) + "\n"
