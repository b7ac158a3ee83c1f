"""Compare the PFOCR record of the review's Figure 2 (OCR'd genes and chemicals) with the curation.

PFOCR's lists are machine-made and noisy; this report says which OCR hits are curated entities,
which are OCR misreadings of a curated name (e.g. "S1P" read as MBTPS1), which are neither, and
which curated ligands and receptors the OCR missed. It also links the figure to the entities it
shows, as RDF.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, FOAF, RDFS

from . import model
from .derive import Derived
from .model import Curation
from .prefixes import expand
from .termindex import TermIndex
from .vocab import REVIEW_IRI

FIGURE_IRI = URIRef("https://pfocr.wikipathways.org/figures/PMC11003748__elife-95083-fig2.html")


@dataclass(frozen=True, order=True)
class OcrHit:
    word: str
    kind: str  # "gene" or "chemical"
    match: str  # PFOCR's normalised symbol or chemical name
    identifier: str  # NCBI Gene id for genes, "" for chemicals
    verdict: str  # "curated", "ocr-noise" or "not curated"
    entity: str  # the curated entity key the hit (or its OCR word) stands for, if any


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


def compare(curation: Curation, derived: dict[str, Derived], index: TermIndex, folder: Path) -> tuple[
        list[OcrHit], list[str]]:
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
    for r in _rows(folder / "fig2-chemicals.tsv"):
        named = by_name.get(r["word"].lower()) or by_name.get(r["match"].lower())
        entity = curation.entities.get(named or "")
        verdict = "curated" if isinstance(entity, model.Chemical) else ("ocr-noise" if named else "not curated")
        hits.append(OcrHit(r["word"], "chemical", r["match"], "", verdict, named or ""))
    seen = {h.entity for h in hits if h.verdict == "curated"}
    shown: set[str] = set()
    for fact in curation.facts:
        if fact.agent.is_entity:
            shown.add(fact.agent.text)
        for r in derived[fact.id].receptors:
            entity = curation.entities[r]
            shown.update(entity.subunits if isinstance(entity, model.Complex) else [r])
    missed = sorted(k for k in shown if k not in seen)
    return sorted(set(hits)), missed


def markdown(hits: list[OcrHit], missed: list[str]) -> str:
    lines = ["# PFOCR Figure 2 vs curation", "", f"Figure: {FIGURE_IRI}", "",
             "| OCR word | kind | PFOCR match | NCBI Gene | verdict | curated entity |", "|---|---|---|---|---|---|"]
    lines += [f"| {h.word} | {h.kind} | {h.match} | {h.identifier} | {h.verdict} | {h.entity} |" for h in hits]
    counts = {v: sum(h.verdict == v for h in hits) for v in ("curated", "ocr-noise", "not curated")}
    lines += ["", f"{counts['curated']} curated, {counts['ocr-noise']} OCR misreadings of curated names, "
              f"{counts['not curated']} not curated.", "",
              f"## Curated ligands and receptors the OCR missed ({len(missed)})", "", ", ".join(missed) or "none"]
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
