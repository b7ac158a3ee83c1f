"""GPML 2013a export: the clastokine facts drawn as one two-cell WikiPathways diagram.

Why a diagram and not a dump: WikiPathways users read pathways as pictures first, so the export
draws what the review's Figure 2 draws — an osteoclast-lineage cell on the left, an osteoblast-lineage
cell on the right, ligands at the producing cell, receptors on the target cell's membrane, receptor
complexes as ``Group Style="Complex"``, and the GO processes each signal changes inside the target
cell.  Reverse signals (osteoblast-lineage ligands acting on osteoclast-lineage cells) sit in a band
above the forward ones and point right-to-left; vesicle cargo sits in a vesicle in the gap between
the cells and matrix-derived factors in a bone-matrix band below them.

The model is :mod:`clastordf.wikipathways.model`'s (read from RDF), the layout
:mod:`clastordf.wikipathways.layout`'s; this module writes them as XML.
Every identifier is derived from meaning, never from iteration order or a clock: GraphIds are short
hashes of a node's key (``side|IRI``), elements are written sorted by GraphId, and the same graph
always gives the same bytes.  The result validates against GPML2013a.xsd and the extra checks of
:mod:`clastordf.wikipathways.gpml_check`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from lxml import etree
from rdflib import Graph
from rdflib.namespace import RDF

from ..vocab import BIOPAX_NS, GPML_NS, REVIEW_IRI
from .gpml_check import validate_gpml
from .layout import (
    ARROWHEADS,
    COLORS,
    EFFECT_FONT,
    FONT,
    MECHANISMS,
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
from .model import OB, OC, Model, Publication, Signal, obo_curie, read_model
from .svg import render_svg

BP_NS = BIOPAX_NS
RDF_NS = str(RDF)
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"

ORGANISM = "Homo sapiens"
PFOCR_URL = f"https://pfocr.wikipathways.org/figures/{PFOCR_FIGURE}.html"


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
    terms += [(obo_curie(cell), model.cell_types[cell][0], "Cell Type") for cell in diagram.cells]
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
