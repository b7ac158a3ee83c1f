"""Compare the PFOCR record of the review's Figure 2 (OCR'd genes and chemicals) with the curation.

PFOCR's lists are machine-made and noisy; this report says which OCR hits are curated entities,
which are OCR misreadings of a curated name (e.g. "S1P" read as MBTPS1), which are neither, and
which curated ligands and receptors the OCR missed. It also links the figure to the entities it
shows, as RDF.

Every OCR row has a curator's fate in ``curation/pfocr/fig2-reconciliation.tsv`` (columns ``word``,
``symbol``, ``fate``, ``reason``; a gene row is keyed by its OCR word and NCBI Gene symbol, a chemical
row by its OCR word and ChEBI CURIE):

- ``curated``: the gene or chemical is a curated entity; the reason starts with the entity key (a
  gene's entity must carry that HGNC symbol);
- ``family``: the figure shows a family node (PLC, Frizzled, ERK) and PFOCR expanded it; the
  reason says how the curation represents it;
- ``noise``: an alias collision or a family expansion the review does not name;
- ``missing``: real figure content that is not curated, with the reason.

:func:`reconcile` reports a problem for an OCR row without a fate, a fate without an OCR row, an
unknown fate, a ``curated`` fate naming no entity or the wrong gene, and a gene or chemical that is a
curated entity but whose fate is not ``curated`` (a reconciliation left behind by the curation).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, FOAF, RDFS

from ..curation import model
from ..curation.derive import Derived
from ..curation.model import Curation
from ..problems import Problem
from ..terms.index import TermIndex
from ..vocab import REVIEW_IRI, expand
from .tables import read_table

FIGURE_IRI = URIRef("https://pfocr.wikipathways.org/figures/PMC11003748__elife-95083-fig2.html")
#: The curator's fate of every OCR row, in the PFOCR folder of the curation.
RECONCILIATION = "fig2-reconciliation.tsv"
RECONCILIATION_COLUMNS = ("word", "symbol", "fate", "reason")
FATES = ("curated", "family", "noise", "missing")


@dataclass(frozen=True, order=True)
class OcrHit:
    """One OCR row of the figure record, with the verdict of name and identifier matching."""

    word: str
    kind: str  # "gene" or "chemical"
    match: str  # PFOCR's normalised symbol or chemical name
    identifier: str  # NCBI Gene id for genes, ChEBI CURIE for chemicals
    verdict: str  # "curated", "ocr-noise" or "not curated"
    entity: str  # the curated entity key the hit (or its OCR word) stands for, if any

    @property
    def symbol(self) -> str:
        """The row's key in the reconciliation besides the word: NCBI Gene symbol or ChEBI CURIE."""
        return self.match if self.kind == "gene" else self.identifier


@dataclass(frozen=True)
class Fate:
    """A row of the reconciliation: the curator's fate of one OCR row."""

    word: str
    symbol: str
    fate: str  # one of FATES
    reason: str
    line: int

    @property
    def entity(self) -> str:
        """The entity key a ``curated`` fate names: the first word of its reason."""
        words = self.reason.split()
        return words[0].rstrip(";,:.") if self.fate == "curated" and words else ""


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE))


def _names(curation: Curation, index: TermIndex) -> tuple[dict[str, str], dict[str, str]]:
    """Curated entities by NCBI Gene id, and by every name (key, alias, label), lower-cased."""
    by_gene: dict[str, str] = {}
    by_name: dict[str, str] = {}
    for key, entity in curation.entities.items():
        names = [key, *getattr(entity, "aliases", [])]
        if isinstance(entity, model.GeneProduct):
            record = index.get(entity.hgnc)
            if record:
                by_gene.update({x.split(":", 1)[1]: key for x in record.xref("ncbigene")})
                names += list(record.synonyms[1:])
        elif isinstance(entity, model.Chemical):
            term = index.get(entity.chebi.text)
            names += [term.label] if term else []
        for name in names:
            by_name.setdefault(name.lower(), key)
    return by_gene, by_name


def compare(
    curation: Curation, derived: dict[str, Derived], index: TermIndex, folder: Path
) -> tuple[list[OcrHit], list[str]]:
    """The OCR hits with verdicts, and the curated ligands/receptors the OCR missed."""
    by_gene, by_name = _names(curation, index)
    hits = []
    for r in _rows(folder / "fig2-genes.tsv"):
        key = by_gene.get(r["ncbigene_id"])
        named = by_name.get(r["word"].lower())
        if key:
            hits.append(OcrHit(r["word"], "gene", r["ncbigene_symbol"], r["ncbigene_id"], "curated", key))
        elif named:
            hits.append(OcrHit(r["word"], "gene", r["ncbigene_symbol"], r["ncbigene_id"], "ocr-noise", named))
        else:
            hits.append(OcrHit(r["word"], "gene", r["ncbigene_symbol"], r["ncbigene_id"], "not curated", ""))
    chemicals = {k: e for k, e in curation.entities.items() if isinstance(e, model.Chemical)}
    by_chebi = {e.chebi.text: k for k, e in chemicals.items()}
    by_chemical_name = {n: k for n, k in by_name.items() if k in chemicals}
    for r in _rows(folder / "fig2-chemicals.tsv"):
        chebi = r.get("chebi", "")
        chebi = "CHEBI:" + chebi.split(":", 1)[1] if chebi.lower().startswith("chebi:") else chebi
        words = (r["word"].lower(), r["match"].lower())
        chemical = by_chebi.get(chebi) or next((by_chemical_name[w] for w in words if w in by_chemical_name), None)
        named = chemical or next((by_name[w] for w in words if w in by_name), None)
        verdict = "curated" if chemical else ("ocr-noise" if named else "not curated")
        hits.append(OcrHit(r["word"], "chemical", r["match"], chebi, verdict, named or ""))
    seen = {h.entity for h in hits if h.verdict == "curated"}
    shown: set[str] = set()
    for fact in curation.facts:
        if fact.agent.is_entity:
            shown.add(fact.agent.text)
        for receptor in derived[fact.id].receptors:
            entity = curation.entities[receptor]
            shown.update(entity.subunits if isinstance(entity, model.Complex) else [receptor])
    missed = sorted(k for k in shown if k not in seen)
    return sorted(set(hits)), missed


def read_reconciliation(path: Path, name: str | None = None) -> tuple[list[Fate], list[Problem]]:
    """The rows of the reconciliation file and the problems of its form (a missing file is one)."""
    where = name or str(path)
    table, problems = read_table(path, RECONCILIATION_COLUMNS, where, "give every OCR row of Figure 2 a fate")
    fates: list[Fate] = []
    for line, cells in table:
        word, symbol, fate, reason = cells[0], *(c.strip() for c in cells[1:])
        if fate not in FATES:
            problems.append(
                Problem(where, line, f"{word} {symbol}", "fate", f"`{fate}` is not one of {', '.join(FATES)}")
            )
            continue
        if not reason:
            problems.append(Problem(where, line, f"{word} {symbol}", "reason", "empty"))
        fates.append(Fate(word, symbol, fate, reason, line))
    return fates, problems


def reconcile(
    hits: list[OcrHit], curation: Curation, index: TermIndex, folder: Path, name: str | None = None
) -> tuple[dict[tuple[str, str], Fate], list[Problem]]:
    """Every OCR row's fate by (word, symbol), and the problems of the reconciliation.

    ``name`` is how problems refer to the reconciliation file (default: its path).
    """
    where = name or str(folder / RECONCILIATION)
    rows, problems = read_reconciliation(folder / RECONCILIATION, where)
    if not (folder / RECONCILIATION).exists():
        return {}, problems
    by_key = {(h.word, h.symbol): h for h in hits}
    fates: dict[tuple[str, str], Fate] = {}
    for fate in rows:
        key = (fate.word, fate.symbol)

        def problem(column: str, message: str, fate: Fate = fate) -> None:
            problems.append(Problem(where, fate.line, f"{fate.word} {fate.symbol}", column, message))

        if key in fates:
            problem("", f"listed twice (first at line {fates[key].line})")
            continue
        fates[key] = fate
        hit = by_key.get(key)
        if hit is None:
            problem("", "no such OCR row in fig2-genes.tsv (word, ncbigene_symbol) or fig2-chemicals.tsv (word, chebi)")
            continue
        if fate.fate == "curated":
            entity = curation.entities.get(fate.entity)
            if entity is None:
                problem("reason", f"`curated` must start with a curated entity key; `{fate.entity}` is not one")
            elif hit.kind == "gene":
                if not isinstance(entity, model.GeneProduct):
                    problem("reason", f"{fate.entity} is not a gene product")
                else:
                    term = index.get(entity.hgnc)
                    symbol = term.label if term else entity.key
                    if symbol != hit.symbol:
                        problem("reason", f"{fate.entity} is the gene {symbol}, not {hit.symbol}")
            elif not isinstance(entity, model.Chemical | model.GeneProduct):
                problem("reason", f"{fate.entity} is neither a chemical nor a gene product")
        elif hit.verdict == "curated":
            problem(
                "fate",
                f"`{fate.fate}`, but {hit.symbol} is the curated entity {hit.entity}: make it `curated` ({hit.entity})",
            )
    for hit in hits:
        if (hit.word, hit.symbol) not in fates:
            problems.append(
                Problem(
                    where,
                    0,
                    f"{hit.word} {hit.symbol}",
                    "",
                    f"the OCR {hit.kind} row `{hit.word}` → {hit.symbol} has no fate",
                )
            )
    return fates, problems


def _cell(text: str) -> str:
    """Text safe inside a markdown table cell."""
    return text.replace("|", "\\|").replace("\n", " ")


def markdown(
    hits: list[OcrHit],
    missed: list[str],
    fates: dict[tuple[str, str], Fate] | None = None,
    problems: list[Problem] | None = None,
) -> str:
    """The report as markdown: every OCR row with its fate and reason, what the OCR missed, the problems."""
    fates = fates or {}
    lines = [
        "# PFOCR Figure 2 vs curation",
        "",
        f"Figure: {FIGURE_IRI}",
        "",
        "| OCR word | kind | PFOCR match | identifier | fate | entity | reason |",
        "|---|---|---|---|---|---|---|",
    ]
    for h in hits:
        fate = fates.get((h.word, h.symbol))
        entity = (fate.entity if fate and fate.fate == "curated" else "") or h.entity
        lines.append(
            f"| {_cell(h.word)} | {h.kind} | {_cell(h.match)} | {h.identifier} | "
            f"{fate.fate if fate else '**no fate**'} | {entity} | {_cell(fate.reason) if fate else ''} |"
        )
    counts = {v: sum(h.verdict == v for h in hits) for v in ("curated", "ocr-noise", "not curated")}
    by_fate = {f: sum(1 for h in hits if (x := fates.get((h.word, h.symbol))) and x.fate == f) for f in FATES}
    unfated = sum((h.word, h.symbol) not in fates for h in hits)
    lines += [
        "",
        f"{len(hits)} OCR rows: "
        + ", ".join(f"{by_fate[f]} {f}" for f in FATES)
        + (f", {unfated} without a fate" if unfated else "")
        + ".",
        f"By name matching: {counts['curated']} curated, {counts['ocr-noise']} OCR misreadings of curated "
        f"names, {counts['not curated']} not curated.",
        "",
        f"## Curated ligands and receptors the OCR missed ({len(missed)})",
        "",
        ", ".join(missed) or "none",
    ]
    if problems is not None:
        lines += ["", f"## Problems ({len(problems)})", ""]
        lines += [f"- {p}" for p in problems] or ["none"]
    return "\n".join(lines) + "\n"


def figure_graph(hits: list[OcrHit], curation: Curation) -> Graph:
    """RDF linking the PFOCR figure to the curated entities it shows (``foaf:depicts``)."""
    g = Graph()
    g.bind("foaf", FOAF)
    g.bind("dcterms", DCTERMS)
    g.add((FIGURE_IRI, RDFS.label, Literal("Figure 2 of Daponte et al. 2024 (eLife 13:e95083), PFOCR record")))
    g.add((FIGURE_IRI, DCTERMS.isPartOf, REVIEW_IRI))
    for key in sorted({h.entity for h in hits if h.verdict == "curated"}):
        entity = curation.entities[key]
        if isinstance(entity, model.GeneProduct):
            iri = expand(f"uniprot:{entity.uniprot}")
        elif isinstance(entity, model.Chemical):
            iri = expand(entity.chebi.text)
        elif isinstance(entity, model.MiRNA):
            iri = expand(entity.mirbase.text)
        else:
            continue
        g.add((FIGURE_IRI, FOAF.depicts, URIRef(iri)))
    return g
