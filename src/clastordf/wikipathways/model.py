"""The pathway model: what the GPML export draws, read from the dataset graph.

:func:`read_model` reduces every clasto:ClastokineFact to a :class:`Signal` (its ligand, the side of
the drawing it comes from, and per target side the receptors and the processes it changes), and
collects the entities, literature and cell types the signals mention.  Nothing here places or
writes anything: :mod:`clastordf.wikipathways.layout` places the model and
:mod:`clastordf.wikipathways.gpml_write` writes it as GPML.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from rdflib import Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS
from rdflib.term import Identifier, Node

from ..vocab import BIOLINK, CLASTO, DATASET_IRI, DOI, HAS_PART, NAMESPACES, OBO, PROTEIN_COMPLEX, REVIEW_IRI

#: The two sides of the drawing: the lineage a cell type belongs to.
OC = "osteoclast"
OB = "osteoblast"

#: The lineage classes of the ontology, with their members as a fallback when the graph passed in
#: lacks the ontology (e.g. a caller hands over only the instance data).
_OC_FALLBACK = ("CL_0000092", "CL_0000778")
_OB_FALLBACK = ("CL_0000134", "CL_0002540", "CL_0010001", "CL_0007010", "CL_0000062", "CL_0000137")

#: RO predicates of claims whose object is a receptor, and of claims whose object is an effect.
_RECEPTOR_PREDICATES = {OBO.RO_0018027, OBO.RO_0018029, OBO.RO_0002436}
_EFFECT_PREDICATES = {OBO.RO_0004034, OBO.RO_0004035, OBO.RO_0002213, OBO.RO_0002212}
_PRODUCED_BY = OBO.RO_0003001


@dataclass(frozen=True)
class Entity:
    """Something drawn as a DataNode (or, for a complex, a Group of DataNodes)."""

    iri: str
    label: str
    node_type: str  # GPML DataNode Type: Protein, Metabolite, Rna, Pathway; "Complex" for a Group
    database: str  # BridgeDb data source name ("" for a complex, which has no Xref in GPML 2013a)
    identifier: str
    members: tuple[str, ...] = ()


@dataclass(frozen=True)
class Arm:
    """What a signal does on one side: its receptors there and the processes it changes there."""

    side: str
    receptors: tuple[str, ...]
    effects: tuple[tuple[str, str], ...]  # (GO IRI, "+" promotes / "-" inhibits)


@dataclass(frozen=True)
class Signal:
    """One clasto:ClastokineFact, reduced to what the diagram needs."""

    fact: str
    label: str
    ligand: str
    form: str
    mechanism: str
    evidence_level: str  # local id: InVivoSupport, InVitroOnly, AuthorStatementOnly
    contested: bool
    producer_side: str
    arms: tuple[Arm, ...]
    pathways: tuple[str, ...]
    references: tuple[str, ...]
    claim_refs: tuple[tuple[str, tuple[str, ...]], ...]  # (claim object IRI, references)
    produced_refs: tuple[str, ...]
    carrier: str = ""  # GO cellular component carrying the ligand (vesicle, apoptotic body)
    cells: tuple[str, ...] = ()  # CL cell types producing or receiving the signal

    def refs_about(self, iris: Iterable[str]) -> tuple[str, ...]:
        """References of the claims about any of ``iris``; the fact's references when none."""
        wanted = set(iris)
        found = sorted({ref for obj, refs in self.claim_refs if obj in wanted for ref in refs})
        return tuple(found) if found else self.references

    @property
    def established(self) -> bool:
        """Drawn solid: uncontested, with in vivo (or human) support; dashed otherwise."""
        return not self.contested and self.evidence_level == "InVivoSupport"

    @property
    def fact_id(self) -> str:
        """The fact's CURIE, as comments cite it (``cf:CF0320``)."""
        return "cf:" + _local_id(self.fact)


@dataclass(frozen=True)
class Publication:
    iri: str
    database: str  # "PubMed" or "DOI"
    identifier: str
    title: str
    year: str


@dataclass
class Model:
    """Everything the drawing reads from the graph."""

    entities: dict[str, Entity]
    signals: list[Signal]
    publications: dict[str, Publication]
    cell_types: dict[str, tuple[str, str]]  # CL IRI -> (label, side)
    carriers: dict[str, str]  # GO cellular component IRI -> label
    dataset: dict[str, str]

    def label_of(self, iri: str) -> str:
        """An entity's label, or its CURIE when the graph had none."""
        return self.entities[iri].label if iri in self.entities else obo_curie(iri)


def _label(graph: Graph, iri: URIRef, fallback: str = "") -> str:
    """A deterministic label: plain or English literals first, then alphabetical."""
    labels = [o for o in graph.objects(iri, RDFS.label) if isinstance(o, Literal)]
    if not labels:
        return fallback or _local_id(str(iri))
    labels.sort(key=lambda lit: (lit.language not in (None, "en"), str(lit)))
    return str(labels[0])


def _local_id(iri: str) -> str:
    return iri.rstrip("/").rsplit("/", 1)[-1].rsplit("#", 1)[-1]


def obo_curie(iri: str) -> str:
    """The CURIE of an OBO term IRI, as GPML Xrefs and comments cite it.

    >>> obo_curie("http://purl.obolibrary.org/obo/GO_0001649")
    'GO:0001649'
    """
    return _local_id(iri).replace("_", ":", 1)


def _one(graph: Graph, subject: Node, predicate: URIRef) -> Identifier | None:
    values = sorted((v for v in graph.objects(subject, predicate) if isinstance(v, Identifier)), key=str)
    return values[0] if values else None


def _xref(graph: Graph, iri: str) -> tuple[str, str, str]:
    """(DataNode Type, BridgeDb data source, ID) for an entity IRI.

    Genes and proteins are identified by NCBI Gene (what WikiPathways and gene-set tools expect),
    Ensembl when no NCBI Gene id is known, UniProt last; ChEBI for chemicals; miRBase for miRNAs.
    """
    if iri.startswith(str(OBO) + "CHEBI_"):
        return "Metabolite", "ChEBI", obo_curie(iri)
    if iri.startswith(str(OBO) + "GO_"):
        return "Pathway", "GeneOntology", obo_curie(iri)
    if iri.startswith(NAMESPACES["mirbase.mature"]):
        return "Rna", "miRBase mature sequence", _local_id(iri)
    if iri.startswith(NAMESPACES["mirbase"]):
        return "Rna", "miRBase Sequence", _local_id(iri)
    matches = sorted(str(m) for m in graph.objects(URIRef(iri), SKOS.exactMatch))
    for prefix, database in (
        (NAMESPACES["ncbigene"], "Entrez Gene"),
        (NAMESPACES["ensembl"], "Ensembl"),
    ):
        for match in matches:
            if match.startswith(prefix):
                # WikiPathways' convention for a gene-identified node; its RDF then says wp:GeneProduct,
                # which the usual "genes of a pathway" queries ask for.
                return "GeneProduct", database, match[len(prefix) :]
    if iri.startswith(NAMESPACES["uniprot"]):
        return "Protein", "UniProtKB", _local_id(iri)
    return "Protein", "", ""


def _entity(graph: Graph, iri: str) -> Entity:
    node = URIRef(iri)
    members = tuple(sorted((str(m) for m in graph.objects(node, HAS_PART)), key=lambda m: _label(graph, URIRef(m))))
    if members or (node, RDF.type, PROTEIN_COMPLEX) in graph:
        return Entity(iri, _label(graph, node), "Complex", "", "", members)
    node_type, database, identifier = _xref(graph, iri)
    return Entity(iri, _label(graph, node), node_type, database, identifier)


def _lineage_members(graph: Graph, cls: URIRef, fallback: tuple[str, ...]) -> set[str]:
    """The CL classes united in a lineage class of the ontology (``owl:equivalentClass/owl:unionOf``)."""
    members: set[str] = set()
    for equivalent in graph.objects(cls, OWL.equivalentClass):
        union = _one(graph, equivalent, OWL.unionOf)
        if union is not None:
            members.update(str(m) for m in Collection(graph, union))
    return members or {str(OBO) + local for local in fallback}


def _side_resolver(graph: Graph) -> Callable[[str], str | None]:
    """A function telling which lineage (side of the drawing) a CL cell type belongs to."""
    osteoclast = _lineage_members(graph, CLASTO.OsteoclastLineageCell, _OC_FALLBACK)
    osteoblast = _lineage_members(graph, CLASTO.OsteoblastLineageCell, _OB_FALLBACK)

    def side(cell: str) -> str | None:
        ancestors = {str(c) for c in graph.transitive_objects(URIRef(cell), RDFS.subClassOf)}
        if ancestors & osteoclast:
            return OC
        if ancestors & osteoblast:
            return OB
        return None

    return side


@dataclass(frozen=True)
class _Claim:
    predicate: URIRef
    obj: str
    context: str | None
    refs: tuple[str, ...]


def _claims(graph: Graph, fact: URIRef) -> list[_Claim]:
    claims = []
    for claim in sorted(graph.objects(fact, CLASTO.hasClaim), key=str):
        predicate = _one(graph, claim, RDF.predicate)
        obj = _one(graph, claim, RDF.object)
        if predicate is None or obj is None:
            continue
        context = _one(graph, claim, BIOLINK.anatomical_context_qualifier)
        evidence = [*graph.objects(claim, CLASTO.supportedBy), *graph.objects(claim, CLASTO.disputedBy)]
        refs = sorted({str(src) for ev in evidence for src in graph.objects(ev, DCTERMS.source)})
        claims.append(_Claim(URIRef(predicate), str(obj), str(context) if context else None, tuple(refs)))
    return claims


def _signal(
    graph: Graph, fact: URIRef, side_of: Callable[[str], str | None], members_of: Callable[[str], tuple[str, ...]]
) -> Signal | None:
    """Read one fact; ``None`` when it has no ligand or no producing cell of either lineage."""
    ligand = _one(graph, fact, CLASTO.ligand)
    # A contested source still places the ligand; the line is dashed because the fact is contested.
    producers = {
        side_of(str(c)) for p in (CLASTO.sourceCellType, CLASTO.contestedSourceCellType) for c in graph.objects(fact, p)
    } - {None}
    targets = {side_of(str(c)) for c in graph.objects(fact, CLASTO.targetCellType)} - {None}
    if ligand is None or not producers:
        return None
    producer = OC if OC in producers else OB
    other = OB if producer == OC else OC
    primary = other if other in targets else (producer if producer in targets else other)
    claims = _claims(graph, fact)

    def sides_of(iris: set[str], predicates: set[URIRef]) -> set[str]:
        """Sides where the claims about ``iris`` say it happens; the fact's target side otherwise."""
        found = {
            side
            for c in claims
            if c.obj in iris and c.predicate in predicates and c.context and (side := side_of(c.context)) is not None
        }
        return found or {primary}

    receptors = sorted(str(r) for p in (CLASTO.receptor, CLASTO.contestedReceptor) for r in graph.objects(fact, p))
    effects = sorted(
        [(str(e), "+") for p in (CLASTO.promotes, CLASTO.contestedPromotes) for e in graph.objects(fact, p)]
        + [(str(e), "-") for p in (CLASTO.inhibits, CLASTO.contestedInhibits) for e in graph.objects(fact, p)]
    )
    receptor_sides = {r: sides_of({r, *members_of(r)}, _RECEPTOR_PREDICATES) for r in receptors}
    effect_sides = {e: sides_of({e[0]}, _EFFECT_PREDICATES) for e in effects}
    arm_sides = sorted(set().union(*receptor_sides.values(), *effect_sides.values()) or {primary})
    arms = tuple(
        Arm(s, tuple(r for r in receptors if s in receptor_sides[r]), tuple(e for e in effects if s in effect_sides[e]))
        for s in arm_sides
    )
    mechanism = _one(graph, fact, CLASTO.mechanism)
    level = _one(graph, fact, CLASTO.evidenceLevel)
    form = _one(graph, fact, CLASTO.ligandForm)
    return Signal(
        fact=str(fact),
        label=_label(graph, fact),
        ligand=str(ligand),
        form=str(form) if form else "",
        mechanism=_local_id(str(mechanism)) if mechanism else "Secreted",
        evidence_level=_local_id(str(level)) if level else "",
        contested=any(bool(v.toPython()) for v in graph.objects(fact, CLASTO.contested) if isinstance(v, Literal)),
        producer_side=producer,
        arms=arms,
        pathways=tuple(sorted(str(p) for p in graph.objects(fact, CLASTO.pathway))),
        references=tuple(sorted(str(r) for r in graph.objects(fact, DCTERMS.references))),
        claim_refs=tuple((c.obj, c.refs) for c in claims if c.refs),
        produced_refs=tuple(sorted({r for c in claims if c.predicate == _PRODUCED_BY for r in c.refs})),
        carrier=str(_one(graph, fact, CLASTO.carrier) or ""),
        cells=tuple(
            sorted(
                {
                    str(c)
                    for p in (CLASTO.sourceCellType, CLASTO.contestedSourceCellType, CLASTO.targetCellType)
                    for c in graph.objects(fact, p)
                }
            )
        ),
    )


def _publication(graph: Graph, iri: str) -> Publication | None:
    node = URIRef(iri)
    if iri.startswith(NAMESPACES["pubmed"]):
        database, identifier = "PubMed", _local_id(iri)
    elif iri.startswith(DOI):
        database, identifier = "DOI", iri[len(DOI) :]
    else:
        return None
    title = _one(graph, node, DCTERMS.title)
    date = _one(graph, node, DCTERMS.date)
    return Publication(iri, database, identifier, str(title) if title else "", str(date)[:4] if date else "")


def read_model(graph: Graph) -> Model:
    """Collect the facts, their entities, literature and cell types from the dataset graph."""
    side_of = _side_resolver(graph)
    entities: dict[str, Entity] = {}

    def members_of(iri: str) -> tuple[str, ...]:
        if iri not in entities:
            entities[iri] = _entity(graph, iri)
        return entities[iri].members

    signals = []
    for fact in sorted((f for f in graph.subjects(RDF.type, CLASTO.ClastokineFact) if isinstance(f, URIRef)), key=str):
        signal = _signal(graph, URIRef(fact), side_of, members_of)
        if signal is not None:
            signals.append(signal)
    wanted: set[str] = set()
    for signal in signals:
        wanted.add(signal.ligand)
        for arm in signal.arms:
            wanted.update(arm.receptors)
            wanted.update(e for e, _ in arm.effects)
        wanted.update(signal.pathways)
    for iri in sorted(wanted):
        members_of(iri)
        for member in entities[iri].members:
            members_of(member)
    refs = {r for s in signals for r in (*s.references, *s.produced_refs, *(x for _, rs in s.claim_refs for x in rs))}
    refs.add(str(REVIEW_IRI))
    publications = {r: p for r in sorted(refs) if (p := _publication(graph, r)) is not None}
    cells: dict[str, tuple[str, str]] = {}
    for cell in sorted({c for s in signals for c in s.cells}):
        side = side_of(cell)
        if side is not None:
            cells[cell] = (_label(graph, URIRef(cell)), side)
    carriers = {s.carrier: _label(graph, URIRef(s.carrier)) for s in signals if s.carrier}
    return Model(entities, signals, publications, cells, carriers, _dataset_metadata(graph))


def _dataset_metadata(graph: Graph) -> dict[str, str]:
    dataset = URIRef(DATASET_IRI)
    meta = {}
    for key, predicate in (
        ("creator", DCTERMS.creator),
        ("license", DCTERMS.license),
        ("modified", DCTERMS.modified),
        ("issued", DCTERMS.issued),
    ):
        value = _one(graph, dataset, predicate)
        if value is not None:
            meta[key] = str(value)
    review = URIRef(REVIEW_IRI)
    meta["review_title"] = str(_one(graph, review, DCTERMS.title) or "")
    meta["review_label"] = str(_one(graph, review, RDFS.label) or "Daponte et al., 2024 (eLife 13:e95083)")
    return meta
