"""GPML 2013a export: the clastokine facts drawn as one two-cell WikiPathways diagram.

Why a diagram and not a dump: WikiPathways users read pathways as pictures first, so the export
draws what the review's Figure 2 draws — an osteoclast-lineage cell on the left, an osteoblast-lineage
cell on the right, ligands at the producing cell, receptors on the target cell's membrane, receptor
complexes as ``Group Style="Complex"``, and the GO processes each signal changes inside the target
cell.  Reverse signals (osteoblast-lineage ligands acting on osteoclast-lineage cells) sit in a band
above the forward ones and point right-to-left; vesicle cargo sits in a vesicle in the gap between
the cells and matrix-derived factors in a bone-matrix band below them.

The layout is :mod:`clastordf.wikipathways.layout`'s; this module reads the model from RDF and writes XML.
Every identifier is derived from meaning, never from iteration order or a clock: GraphIds are short
hashes of a node's key (``side|IRI``), elements are written sorted by GraphId, and the same graph
always gives the same bytes.  The result validates against GPML2013a.xsd and the extra checks of
:mod:`clastordf.wikipathways.gpml_check`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from lxml import etree
from rdflib import Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS

from ..vocab import (
    BIOLINK,
    BIOPAX_NS,
    CLASTO,
    DATASET_IRI,
    DOI,
    GPML_NS,
    HAS_PART,
    NAMESPACES,
    OBO,
    PROTEIN_COMPLEX,
    REVIEW_IRI,
)
from .gpml_check import validate_gpml
from .layout import (
    ARROWHEADS,
    COLORS,
    EFFECT_FONT,
    FONT,
    MECHANISMS,
    OB,
    OC,
    PATHWAY_NAME,
    PFOCR_FIGURE,
    Attach,
    Diagram,
    DNode,
    anchor_point,
    board_size,
    build_diagram,
    route_edges,
)
from .svg import render_svg

BP_NS = BIOPAX_NS
RDF_NS = str(RDF)
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"

ORGANISM = "Homo sapiens"
PFOCR_URL = f"https://pfocr.wikipathways.org/figures/{PFOCR_FIGURE}.html"

#: The lineage classes of the ontology, with their members as a fallback when the graph passed in
#: lacks the ontology (e.g. a caller hands over only the instance data).
_OC_FALLBACK = ("CL_0000092", "CL_0000778")
_OB_FALLBACK = ("CL_0000134", "CL_0002540", "CL_0010001", "CL_0007010", "CL_0000062", "CL_0000137")

#: RO predicates of claims whose object is a receptor, and of claims whose object is an effect.
_RECEPTOR_PREDICATES = {OBO.RO_0018027, OBO.RO_0018029, OBO.RO_0002436}
_EFFECT_PREDICATES = {OBO.RO_0004034, OBO.RO_0004035, OBO.RO_0002213, OBO.RO_0002212}
_PRODUCED_BY = OBO.RO_0003001

# ---------------------------------------------------------------------------------------------- model


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
        return self.entities[iri].label if iri in self.entities else _obo_curie(iri)


def _label(graph: Graph, iri: URIRef, fallback: str = "") -> str:
    """A deterministic label: plain or English literals first, then alphabetical."""
    labels = [o for o in graph.objects(iri, RDFS.label) if isinstance(o, Literal)]
    if not labels:
        return fallback or _local_id(str(iri))
    labels.sort(key=lambda lit: (lit.language not in (None, "en"), str(lit)))
    return str(labels[0])


def _local_id(iri: str) -> str:
    return iri.rstrip("/").rsplit("/", 1)[-1].rsplit("#", 1)[-1]


def _obo_curie(iri: str) -> str:
    """``http://purl.obolibrary.org/obo/GO_0001649`` -> ``GO:0001649``."""
    return _local_id(iri).replace("_", ":", 1)


def _one(graph: Graph, subject: URIRef, predicate: URIRef) -> URIRef | Literal | None:
    values = sorted(graph.objects(subject, predicate), key=str)
    return values[0] if values else None


def _xref(graph: Graph, iri: str) -> tuple[str, str, str]:
    """(DataNode Type, BridgeDb data source, ID) for an entity IRI.

    Genes and proteins are identified by NCBI Gene (what WikiPathways and gene-set tools expect),
    Ensembl when no NCBI Gene id is known, UniProt last; ChEBI for chemicals; miRBase for miRNAs.
    """
    if iri.startswith(str(OBO) + "CHEBI_"):
        return "Metabolite", "ChEBI", _obo_curie(iri)
    if iri.startswith(str(OBO) + "GO_"):
        return "Pathway", "GeneOntology", _obo_curie(iri)
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
        contested=any(bool(v.toPython()) for v in graph.objects(fact, CLASTO.contested)),
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
    for fact in sorted(graph.subjects(RDF.type, CLASTO.ClastokineFact), key=str):
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


# ------------------------------------------------------------------------------------------------ GPML


class _Ids:
    """GraphIds from meaning: a prefix plus the shortest unused prefix of the key's SHA-1 (>= 6 hex).

    Keys are requested in a deterministic order, so even the (unlikely) lengthening after a clash
    is reproducible. GraphIds are xsd:IDs, hence the letter prefix.
    """

    def __init__(self) -> None:
        self._by_key: dict[str, str] = {}
        self._used: set[str] = set()

    def __call__(self, prefix: str, key: str) -> str:
        full = f"{prefix}|{key}"
        if full not in self._by_key:
            digest = hashlib.sha1(full.encode("utf-8")).hexdigest()  # noqa: S324 - an id, not security
            length = 6
            while prefix + digest[:length] in self._used:
                length += 1
            self._by_key[full] = prefix + digest[:length]
            self._used.add(self._by_key[full])
        return self._by_key[full]


def _num(value: float) -> str:
    return f"{round(value, 1):.1f}"


def _el(
    parent: etree._Element, tag: str, attrs: Iterable[tuple[str, str]] = (), text: str | None = None
) -> etree._Element:
    element = etree.SubElement(parent, f"{{{GPML_NS}}}{tag}")
    for name, value in attrs:
        element.set(name, value)
    if text is not None:
        element.text = text
    return element


def _description(model: Model, version: str) -> str:
    review = model.dataset.get("review_title") or "Current perspectives on the multiple roles of osteoclasts"
    return (
        "Clastokines and other coupling factors: signals that osteoclast-lineage cells (osteoclasts, their "
        "mononuclear precursors, their extracellular vesicles and apoptotic bodies, and the bone matrix they "
        "resorb) send to osteoblast-lineage cells, and the reverse signals from osteoblasts to osteoclasts "
        "(top band, pointing right to left). Ligands sit at the producing cell, receptors on the target cell's "
        "membrane (complexes as groups), and the GO processes each signal promotes (mim-stimulation) or "
        "inhibits (mim-inhibition) inside the target cell; dashed lines are contested facts (some study "
        "disputes a claim) or facts without in vivo evidence. "
        f'Generated from the clastordf dataset, version {version}, curated from the review "{review}" '
        "(Daponte et al., eLife 2024;13:e95083, doi:10.7554/eLife.95083) and the primary studies it cites. "
        f"The drawing follows Figure 2 of the review as recorded by Pathway Figure OCR (PFOCR record "
        f"{PFOCR_FIGURE}, {PFOCR_URL}, CC0)."
    )


def _pathway_element(model: Model, version: str, name: str) -> etree._Element:
    attrs = [("Name", name), ("Organism", ORGANISM), ("Data-Source", "clastordf"), ("Version", version)]
    if model.dataset.get("creator"):
        attrs.append(("Author", model.dataset["creator"]))
    if "publicdomain/zero" in model.dataset.get("license", ""):
        attrs.append(("License", "CC0"))
    date = model.dataset.get("modified") or model.dataset.get("issued")
    if date:
        attrs.append(("Last-Modified", date.replace("-", "")[:8]))
    root = etree.Element(f"{{{GPML_NS}}}Pathway", nsmap={None: GPML_NS})
    for key, value in attrs:
        root.set(key, value)
    return root


def _pub_id(ids: _Ids, publication: Publication) -> str:
    if publication.database == "PubMed":
        return f"pmid{publication.identifier}"
    return ids("doi", publication.identifier)


def _write_refs(parent: etree._Element, refs: Iterable[str], pub_ids: dict[str, str]) -> None:
    for rdf_id in sorted({pub_ids[r] for r in refs if r in pub_ids}):
        _el(parent, "BiopaxRef", text=rdf_id)


def _node_style(node: DNode, ligand_side: str | None) -> list[tuple[str, str]]:
    entity = node.entity
    style = [("FontSize", str(FONT)), ("Valign", "Middle")]
    if entity.node_type == "Pathway":
        return [
            ("FontWeight", "Bold"),
            ("FontSize", str(EFFECT_FONT)),
            ("Valign", "Middle"),
            ("ShapeType", "RoundedRectangle"),
            ("Color", COLORS["effect"]),
        ]
    if entity.node_type == "Metabolite":
        style.append(("Color", COLORS["metabolite"]))
    elif entity.node_type == "Rna":
        style.append(("Color", COLORS["rna"]))
    if ligand_side is not None:
        style.append(("FillColor", {OC: "ead8f2", OB: "d3e4f5"}[ligand_side]))
    return style


def _write_nodes(
    root: etree._Element, diagram: Diagram, ids: _Ids, group_ids: dict[str, str], pub_ids: dict[str, str]
) -> dict[str, str]:
    """DataNodes sorted by GraphId; returns unit key -> GraphId to reference (node or group)."""
    refs_of: dict[str, str] = {}
    rows = []
    for unit in diagram.units.values():
        for node in unit.nodes:
            rows.append((ids("dn", node.key), unit, node))
        if unit.complex is None and unit.nodes:
            refs_of[unit.key] = ids("dn", unit.nodes[0].key)
    for graph_id, unit, node in sorted(rows, key=lambda r: r[0]):
        attrs = [("TextLabel", node.entity.label), ("GraphId", graph_id), ("Type", node.entity.node_type)]
        if unit.complex is not None:
            attrs.append(("GroupRef", group_ids[unit.key]))
        element = _el(root, "DataNode", attrs)
        for note in sorted(node.notes):
            _el(element, "Comment", [("Source", "clastordf")], note)
        _write_refs(element, node.refs, pub_ids)
        box = node.box
        geometry = [
            ("CenterX", _num(box.cx)),
            ("CenterY", _num(box.cy)),
            ("Width", _num(box.width)),
            ("Height", _num(box.height)),
            ("ZOrder", "32768"),
        ]
        _el(element, "Graphics", geometry + _node_style(node, unit.side if unit.is_ligand else None))
        _el(element, "Xref", [("Database", node.entity.database), ("ID", node.entity.identifier)])
    return refs_of


def _write_interactions(
    root: etree._Element, diagram: Diagram, ids: _Ids, refs_of: dict[str, str], pub_ids: dict[str, str]
) -> None:
    routes = route_edges(diagram)
    rows = sorted((ids("ia", "|".join(key)), key) for key in diagram.edges)
    for graph_id, key in rows:
        edge = diagram.edges[key]
        element = _el(root, "Interaction", [("GraphId", graph_id)])
        for note in sorted(edge.notes):
            _el(element, "Comment", [("Source", "clastordf")], note)
        _write_refs(element, edge.refs, pub_ids)
        graphics = [("ZOrder", "12288"), ("LineThickness", "1.5"), ("Color", COLORS[edge.kind])]
        if not edge.established:
            graphics.append(("LineStyle", "Broken"))
        if edge.via:
            graphics.append(("ConnectorType", "Segmented"))
        lines = _el(element, "Graphics", graphics)
        points = routes[key]
        for index, point in enumerate(points):
            if isinstance(point, Attach):
                x, y, rel_x, rel_y = anchor_point(diagram.units[point.unit].box, point.side, point.rel)
                attrs = [
                    ("X", _num(x)),
                    ("Y", _num(y)),
                    ("GraphRef", refs_of[point.unit]),
                    ("RelX", f"{rel_x:.3f}"),
                    ("RelY", f"{rel_y:.3f}"),
                ]
            else:
                attrs = [("X", _num(point[0])), ("Y", _num(point[1]))]
            if index == len(points) - 1:
                attrs.append(("ArrowHead", ARROWHEADS[edge.kind]))
            _el(lines, "Point", attrs)
        _el(element, "Xref", [("Database", ""), ("ID", "")])


def _write_decorations(root: etree._Element, diagram: Diagram, ids: _Ids) -> None:
    for graph_id, points, attrs, arrow in sorted((ids("gl", k), p, a, h) for k, p, a, h in diagram.lines):
        element = _el(root, "GraphicalLine", [("GraphId", graph_id)])
        lines = _el(element, "Graphics", [("ZOrder", "12288"), *sorted(attrs.items())])
        for index, (x, y) in enumerate(points):
            point = [("X", _num(x)), ("Y", _num(y))]
            if index == len(points) - 1:
                point.append(("ArrowHead", arrow))
            _el(lines, "Point", point)
    for graph_id, text, box, attrs in sorted((ids("lb", k), t, b, a) for k, t, b, a in diagram.labels):
        label = {k: v for k, v in attrs.items() if k != "Href"}
        head = [("TextLabel", text), ("GraphId", graph_id)] + ([("Href", attrs["Href"])] if "Href" in attrs else [])
        element = _el(root, "Label", head)
        geometry = [
            ("CenterX", _num(box.cx)),
            ("CenterY", _num(box.cy)),
            ("Width", _num(box.width)),
            ("Height", _num(box.height)),
            ("ZOrder", "28672"),
            ("Valign", "Middle"),
        ]
        _el(element, "Graphics", geometry + sorted(label.items()))
    for graph_id, _, box, attrs in sorted((ids("sh", k), t, b, a) for k, t, b, a in diagram.shapes):
        element = _el(root, "Shape", [("GraphId", graph_id)])
        geometry = [
            ("CenterX", _num(box.cx)),
            ("CenterY", _num(box.cy)),
            ("Width", _num(box.width)),
            ("Height", _num(box.height)),
            ("ZOrder", "16384"),
        ]
        _el(element, "Graphics", geometry + sorted(attrs.items()) + [("Rotation", "0.0")])


def _write_biopax(
    root: etree._Element, model: Model, diagram: Diagram, pub_ids: dict[str, str], used: set[str]
) -> None:
    biopax = _el(root, "Biopax")
    nsmap = {"bp": BP_NS, "rdf": RDF_NS}
    for iri in sorted(used, key=lambda r: pub_ids[r]):
        publication = model.publications[iri]
        xref = etree.SubElement(biopax, f"{{{BP_NS}}}PublicationXref", nsmap=nsmap)
        xref.set(f"{{{RDF_NS}}}id", pub_ids[iri])
        for tag, value in (
            ("ID", publication.identifier),
            ("DB", publication.database),
            ("TITLE", publication.title),
            ("YEAR", publication.year),
        ):
            if value:
                child = etree.SubElement(xref, f"{{{BP_NS}}}{tag}")
                child.set(f"{{{RDF_NS}}}datatype", XSD_STRING)
                child.text = value
    terms = [("PW:0000003", "signaling pathway", "Pathway Ontology")]
    terms += [(_obo_curie(cell), model.cell_types[cell][0], "Cell Type") for cell in diagram.cells]
    for identifier, term, ontology in sorted(terms):
        vocabulary = etree.SubElement(biopax, f"{{{BP_NS}}}openControlledVocabulary", nsmap={"bp": BP_NS})
        for tag, value in (("TERM", term), ("ID", identifier), ("Ontology", ontology)):
            child = etree.SubElement(vocabulary, f"{{{BP_NS}}}{tag}", nsmap={"rdf": RDF_NS})
            child.set(f"{{{RDF_NS}}}datatype", XSD_STRING)
            child.text = value


def render_gpml(model: Model, signals: list[Signal], version: str, name: str = PATHWAY_NAME) -> str:
    """Draw ``signals`` and serialise the pathway as GPML 2013a text."""
    diagram = build_diagram(model, signals, name)
    ids = _Ids()
    root = _pathway_element(model, version, name)
    _el(root, "Comment", [("Source", "WikiPathways-description")], _description(model, version))
    used = {r for e in diagram.edges.values() for r in e.refs} | {
        r for u in diagram.units.values() for n in u.nodes for r in n.refs
    }
    used = {r for r in used if r in model.publications} | ({str(REVIEW_IRI)} & set(model.publications))
    pub_ids = {iri: _pub_id(ids, model.publications[iri]) for iri in sorted(used)}
    _write_refs(root, [str(REVIEW_IRI)], pub_ids)
    width, height = board_size(diagram)
    _el(root, "Graphics", [("BoardWidth", _num(width)), ("BoardHeight", _num(height))])
    group_ids = {u.key: ids("gr", u.key) for u in diagram.units.values() if u.complex is not None}
    refs_of = _write_nodes(root, diagram, ids, group_ids, pub_ids)
    refs_of.update({u.key: ids("cx", u.key) for u in diagram.units.values() if u.complex is not None})
    _write_interactions(root, diagram, ids, refs_of, pub_ids)
    _write_decorations(root, diagram, ids)
    complexes = sorted((refs_of[u.key], u) for u in diagram.units.values() if u.complex is not None)
    for graph_id, unit in complexes:
        assert unit.complex is not None
        _el(
            root,
            "Group",
            [
                ("GroupId", group_ids[unit.key]),
                ("GraphId", graph_id),
                ("Style", "Complex"),
                ("TextLabel", unit.complex.label),
            ],
        )
    _el(root, "InfoBox", [("CenterX", "0.0"), ("CenterY", "0.0")])
    _write_biopax(root, model, diagram, pub_ids, used)
    etree.indent(root, space="  ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + etree.tostring(root, encoding="unicode") + "\n"


def pathway_gpml(graph: Graph, version: str) -> str:
    """The clastokine pathway (every ClastokineFact of ``graph``) as a GPML 2013a document.

    Pass the full dataset (instance data plus ontology, as in ``clastordf.ttl``) so cell types and GO
    processes have their labels; the same graph always gives the same text.
    """
    model = read_model(graph)
    return render_gpml(model, model.signals, version)


def pathways_by_mechanism(graph: Graph, version: str) -> dict[str, str]:
    """One smaller pathway per mechanism (cell-contact, secreted, vesicle-mediated, matrix-derived)."""
    return _by_mechanism(read_model(graph), version)


def _by_mechanism(model: Model, version: str) -> dict[str, str]:
    result = {}
    for mechanism, slug in MECHANISMS.items():
        signals = [s for s in model.signals if s.mechanism == mechanism]
        if signals:
            result[slug] = render_gpml(model, signals, version, f"{PATHWAY_NAME}: {slug.replace('-', ' ')} signals")
    return result


class GpmlInvalid(ValueError):
    """The export failed its own checks (a bug in the export, never in the data: fail the build)."""

    def __init__(self, name: str, errors: list[str]) -> None:
        self.errors = errors
        super().__init__(f"{name}: {len(errors)} GPML problem(s): " + "; ".join(errors[:5]))


def gpml_outputs(graph: Graph, version: str, by_mechanism: bool = False) -> dict[str, str]:
    """Build outputs, file name -> text: ``clastordf.gpml`` and its picture ``clastordf.svg``.

    With ``by_mechanism`` also ``clastordf-<mechanism>.gpml`` for each mechanism.  Every GPML is
    checked (XSD, references, Xref patterns, arrowheads, overlaps) before it is returned.
    """
    model = read_model(graph)
    files = {"clastordf.gpml": render_gpml(model, model.signals, version)}
    if by_mechanism:
        files.update({f"clastordf-{slug}.gpml": text for slug, text in _by_mechanism(model, version).items()})
    for name, text in files.items():
        errors = validate_gpml(text)
        if errors:
            raise GpmlInvalid(name, errors)
    files["clastordf.svg"] = render_svg(files["clastordf.gpml"])
    return files
