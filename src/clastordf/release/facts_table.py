"""``facts.tsv``: one row per fact of a dump, for spreadsheet users.

Each relation has two columns, the identifiers (CURIEs) and their labels, each list joined with
``"; "`` in the same order, so a reader can split both and pair them up. The evidence columns
(systems, evidence types, references) are gathered from the supporting lines of the fact's claims;
disputing studies have columns of their own, and ``contested`` is the fact's own flag.
"""

from __future__ import annotations

from collections import defaultdict

import pyoxigraph

from .. import vocab
from ..rdfio.dumps import RDF_TYPE, Triples
from ..vocab import FACT_CLASSES, compress

CLASTO = str(vocab.CLASTO)
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
RDFS_COMMENT = "http://www.w3.org/2000/01/rdf-schema#comment"
SKOS_PREF_LABEL = "http://www.w3.org/2004/02/skos/core#prefLabel"
DCTERMS_REFERENCES = "http://purl.org/dc/terms/references"
DCTERMS_SOURCE = "http://purl.org/dc/terms/source"
DCTERMS_IDENTIFIER = "http://purl.org/dc/terms/identifier"
IN_TAXON = str(vocab.IN_TAXON)
PUBMED = str(vocab.PUBMED)
DOI = str(vocab.DOI)

#: (column, predicate on the fact) for the relations written as an id column plus a label column.
RELATIONS = [
    ("review_category", CLASTO + "reviewCategory"),
    ("evidence_level", CLASTO + "evidenceLevel"),
    ("mechanism", CLASTO + "mechanism"),
    ("remodeling_phase", CLASTO + "remodelingPhase"),
    ("ligand", CLASTO + "ligand"),
    ("carrier", CLASTO + "carrier"),
    ("source_cell", CLASTO + "sourceCellType"),
    ("producing_cell", CLASTO + "producingCellType"),
    ("releasing_cell", CLASTO + "releasingCellType"),
    ("receptor", CLASTO + "receptor"),
    ("target_cell", CLASTO + "targetCellType"),
    ("regulator", CLASTO + "regulator"),
    ("cell_type", CLASTO + "cellType"),
    ("upregulates", CLASTO + "upregulates"),
    ("downregulates", CLASTO + "downregulates"),
    ("pathway", CLASTO + "pathway"),
    ("promotes", CLASTO + "promotes"),
    ("inhibits", CLASTO + "inhibits"),
    ("contested_source_cell", CLASTO + "contestedSourceCellType"),
    ("contested_receptor", CLASTO + "contestedReceptor"),
    ("contested_promotes", CLASTO + "contestedPromotes"),
    ("contested_inhibits", CLASTO + "contestedInhibits"),
    ("contested_upregulates", CLASTO + "contestedUpregulates"),
    ("contested_downregulates", CLASTO + "contestedDownregulates"),
    ("species", IN_TAXON),
    ("inferred_class", CLASTO + "inferredType"),
]
#: (column, predicate) for text columns.
TEXTS = [
    ("ligand_form", CLASTO + "ligandForm"),
    ("therapeutic_note", CLASTO + "therapeuticNote"),
    ("biomarker_note", CLASTO + "biomarkerNote"),
    ("comment", RDFS_COMMENT),
]
COLUMNS = (
    ["fact", "id", "kind", "label"]
    + [c for name, _ in RELATIONS for c in (name, f"{name}_label")]
    + ["experimental_system", "evidence_type", "contested", "pmid", "doi", "disputing_pmid", "disputing_doi"]
    + [name for name, _ in TEXTS]
)


class Index:
    """Subject → predicate → values, over a dump's triples."""

    def __init__(self, triples: Triples):
        self.by_subject: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
        for s, p, o in triples.rows:
            key = s if isinstance(s, str) else s.value
            self.by_subject[key][p.value].append(o)

    def values(self, subject: str, predicate: str) -> list:
        return self.by_subject.get(subject, {}).get(predicate, [])

    def iris(self, subject: str, predicate: str) -> list[str]:
        return sorted({v.value for v in self.values(subject, predicate) if isinstance(v, pyoxigraph.NamedNode)})

    def texts(self, subject: str, predicate: str) -> list[str]:
        return sorted({v.value for v in self.values(subject, predicate) if isinstance(v, pyoxigraph.Literal)})

    def label(self, iri: str) -> str:
        """The English (or untagged) rdfs:label or skos:prefLabel of ``iri``; empty if it has none."""
        for predicate in (RDFS_LABEL, SKOS_PREF_LABEL):
            labels = [v for v in self.values(iri, predicate) if isinstance(v, pyoxigraph.Literal)]
            preferred = sorted(v.value for v in labels if v.language in (None, "en"))
            if preferred:
                return preferred[0]
        return ""

    def curie(self, iri: str) -> str:
        """The CURIE of ``iri`` as curators write it (``GO:0001649``, ``uniprot:P01137``), else the IRI."""
        return compress(iri) or iri

    def members(self, *classes: str) -> list[str]:
        """The IRIs (not blank nodes) typed with any of ``classes``, sorted."""
        found = {
            s
            for s, props in self.by_subject.items()
            if not s.startswith("_:") and any(getattr(t, "value", None) in classes for t in props.get(RDF_TYPE, []))
        }
        return sorted(found)

    def facts(self) -> list[str]:
        return self.members(*FACT_CLASSES)


def _cell(values: list[str]) -> str:
    # Tabs and newlines would break the row; curators' comments may hold newlines.
    return "; ".join(v.replace("\t", " ").replace("\r", " ").replace("\n", " ") for v in values)


def fact_row(index: Index, fact: str) -> list[str]:
    """The row of one fact, in :data:`COLUMNS` order."""
    kinds = [t for t in index.iris(fact, RDF_TYPE) if t in FACT_CLASSES]
    row = [fact, fact.rsplit("/", 1)[-1], _cell([index.curie(k) for k in kinds]), _cell(index.texts(fact, RDFS_LABEL))]
    for _, predicate in RELATIONS:
        iris = index.iris(fact, predicate)
        row += [_cell([index.curie(i) for i in iris]), _cell([index.label(i) for i in iris])]
    claims = index.iris(fact, CLASTO + "hasClaim")
    supporting = sorted({e for c in claims for e in index.iris(c, CLASTO + "supportedBy")})
    disputing = sorted({e for c in claims for e in index.iris(c, CLASTO + "disputedBy")})
    systems = sorted(
        {index.label(s) or index.curie(s) for e in supporting for s in index.iris(e, CLASTO + "experimentalSystem")}
    )
    types = sorted({index.curie(t) for e in supporting for t in index.iris(e, CLASTO + "evidenceType")})
    pmids, dois = _publications(
        index,
        set(index.iris(fact, DCTERMS_REFERENCES)) | {s for e in supporting for s in index.iris(e, DCTERMS_SOURCE)},
    )
    against = set(index.iris(fact, CLASTO + "disputingReference")) | {
        s for e in disputing for s in index.iris(e, DCTERMS_SOURCE)
    }
    disputing_pmids, disputing_dois = _publications(index, against)
    contested = [v.value for v in index.values(fact, CLASTO + "contested") if isinstance(v, pyoxigraph.Literal)]
    row += [
        _cell(systems),
        _cell(types),
        "yes" if "true" in contested else "no",
        _cell(pmids),
        _cell(dois),
        _cell(disputing_pmids),
        _cell(disputing_dois),
    ]
    for _, predicate in TEXTS:
        row.append(_cell(index.texts(fact, predicate)))
    return row


def _publications(index: Index, references: set[str]) -> tuple[list[str], list[str]]:
    """PMIDs and DOIs of ``references`` (a PubMed record's DOI too)."""
    pmids = sorted((r[len(PUBMED) :] for r in references if r.startswith(PUBMED)), key=lambda p: (len(p), p))
    dois = sorted(
        {r[len(DOI) :] for r in references if r.startswith(DOI)}
        | {
            i[len("doi:") :]
            for r in references
            if r.startswith(PUBMED)
            for i in index.texts(r, DCTERMS_IDENTIFIER)
            if i.startswith("doi:")
        }
    )
    return pmids, dois


def facts_tsv(index: Index) -> str:
    """The whole table: a header row, then one row per fact sorted by fact IRI."""
    lines = ["\t".join(COLUMNS)]
    lines += ["\t".join(fact_row(index, fact)) for fact in index.facts()]
    return "\n".join(lines) + "\n"
