"""The GPML export: valid GPML 2013a, deterministic, complete, drawn the right way round; its checker
catches each kind of mistake; real WikiPathways files pass; the SVG renderer draws every node."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from lxml import etree
from rdflib import Graph, URIRef
from rdflib.namespace import OWL

from clastordf.wikipathways import gpml_write
from clastordf.wikipathways.gpml_check import ARROWHEADS, check_gpml, validate_gpml
from clastordf.wikipathways.gpml_write import GpmlInvalid, gpml_outputs, pathway_gpml, pathways_by_mechanism
from clastordf.wikipathways.svg import render_svg

NS = {
    "g": "http://pathvisio.org/GPML/2013a",
    "bp": "http://www.biopax.org/release/biopax-level3.owl#",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
}
VERSION = "9.9.9-test"

PREFIXES = """
PREFIX clasto: <https://w3id.org/clastordf/vocab#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX obo: <http://purl.obolibrary.org/obo/>
"""


@pytest.fixture(scope="module")
def dataset(real_build_dir: Path) -> Graph:
    return Graph().parse(real_build_dir / "clastordf.ttl", format="turtle")


@pytest.fixture(scope="module")
def gpml(dataset: Graph) -> str:
    return pathway_gpml(dataset, VERSION)


@pytest.fixture(scope="module")
def root(gpml: str) -> etree._Element:
    return etree.fromstring(gpml.encode("utf-8"))


def nodes_by_label(root: etree._Element, label: str) -> list[etree._Element]:
    return root.xpath("g:DataNode[@TextLabel=$label]", namespaces=NS, label=label)


def xref(node: etree._Element) -> tuple[str, str]:
    element = node.find("g:Xref", NS)
    return element.get("Database"), element.get("ID")


def center_x(node: etree._Element) -> float:
    return float(node.find("g:Graphics", NS).get("CenterX"))


def interactions(root: etree._Element, source: str, target: str) -> list[etree._Element]:
    """Interactions whose first point is attached to ``source`` and last point to ``target`` (GraphIds)."""
    found = []
    for interaction in root.findall("g:Interaction", NS):
        points = interaction.findall("g:Graphics/g:Point", NS)
        if points[0].get("GraphRef") == source and points[-1].get("GraphRef") == target:
            found.append(interaction)
    return found


def arrowhead(interaction: etree._Element) -> str:
    return interaction.findall("g:Graphics/g:Point", NS)[-1].get("ArrowHead")


def group_of(root: etree._Element, member_labels: set[str]) -> etree._Element:
    for group in root.findall("g:Group", NS):
        members = root.xpath("g:DataNode[@GroupRef=$id]/@TextLabel", namespaces=NS, id=group.get("GroupId"))
        if set(members) == member_labels:
            return group
    raise AssertionError(f"no group of exactly {member_labels}")


# ------------------------------------------------------------------------------------------- export


def test_export_is_valid_gpml_without_overlaps(gpml: str) -> None:
    assert validate_gpml(gpml) == []
    assert check_gpml(gpml).warnings == []


def test_export_is_deterministic(dataset: Graph, gpml: str) -> None:
    assert pathway_gpml(dataset, VERSION) == gpml
    shuffled = Graph()
    for triple in sorted(dataset, key=lambda t: (str(t[2]), str(t[1]), str(t[0])), reverse=True):
        shuffled.add(triple)
    assert pathway_gpml(shuffled, VERSION) == gpml


def test_export_is_the_same_in_another_process(real_build_dir: Path, gpml: str) -> None:
    """No dependence on set order: a different string hash seed gives the same bytes."""
    code = (
        "import sys; from rdflib import Graph; from clastordf.wikipathways.gpml_write import pathway_gpml; "
        "sys.stdout.buffer.write(pathway_gpml(Graph().parse(sys.argv[1]), sys.argv[2]).encode('utf-8'))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, str(real_build_dir / "clastordf.ttl"), VERSION],
        capture_output=True,
        env={**os.environ, "PYTHONHASHSEED": "4242"},
        check=True,
    )
    assert result.stdout.decode("utf-8") == gpml


def test_pathway_header_credits_review_figure_and_version(root: etree._Element) -> None:
    assert root.get("Organism") == "Homo sapiens"
    assert root.get("Name") == "Osteoclast–osteoblast coupling factors (clastokines)"
    assert root.get("Version") == VERSION
    comment = root.find("g:Comment[@Source='WikiPathways-description']", NS).text
    for needle in ("10.7554/eLife.95083", "PMC11003748__elife-95083-fig2", VERSION):
        assert needle in comment
    board = root.find("g:Graphics", NS)
    width, height = float(board.get("BoardWidth")), float(board.get("BoardHeight"))
    for graphics in root.xpath("g:DataNode/g:Graphics | g:Label/g:Graphics | g:Shape/g:Graphics", namespaces=NS):
        assert float(graphics.get("CenterX")) + float(graphics.get("Width")) / 2 <= width
        assert float(graphics.get("CenterY")) + float(graphics.get("Height")) / 2 <= height


def test_every_ligand_and_receptor_is_drawn_with_its_gene_id(dataset: Graph, root: etree._Element) -> None:
    expected = set()
    rows = dataset.query(
        PREFIXES
        + """
        SELECT DISTINCT ?e ?gene WHERE {
          ?f a clasto:ClastokineFact .
          { ?f clasto:ligand ?e } UNION { ?f clasto:receptor ?e } UNION { ?f clasto:receptor/obo:BFO_0000051 ?e }
          FILTER NOT EXISTS { ?e obo:BFO_0000051 ?part }
          OPTIONAL { ?e skos:exactMatch ?gene FILTER(STRSTARTS(STR(?gene), "https://identifiers.org/ncbigene/")) }
        }"""
    )
    for entity, gene in rows:
        iri = str(entity)
        if gene is not None and "mirbase" not in iri:
            expected.add(("Entrez Gene", str(gene).rsplit("/", 1)[1]))
        elif iri.startswith("http://purl.obolibrary.org/obo/CHEBI_"):
            expected.add(("ChEBI", "CHEBI:" + iri.rsplit("_", 1)[1]))
        elif "mirbase.mature" in iri:
            expected.add(("miRBase mature sequence", iri.rsplit("/", 1)[1]))
        elif "mirbase" in iri:
            expected.add(("miRBase Sequence", iri.rsplit("/", 1)[1]))
        else:
            raise AssertionError(f"no expected id for {iri}")
    drawn = {xref(node) for node in root.findall("g:DataNode", NS)}
    assert len(expected) > 40
    assert expected <= drawn, expected - drawn


def test_spot_checks(root: etree._Element) -> None:
    slit3 = nodes_by_label(root, "SLIT3")
    assert slit3 and all(xref(n) == ("Entrez Gene", "6586") for n in slit3)
    s1p = nodes_by_label(root, "sphingosine 1-phosphate")
    assert [xref(n) for n in s1p] == [("ChEBI", "CHEBI:37550")]
    assert s1p[0].get("Type") == "Metabolite"
    mir = nodes_by_label(root, "hsa-miR-214-3p")
    assert [(xref(n), n.get("Type")) for n in mir] == [(("miRBase mature sequence", "MIMAT0000271"), "Rna")]
    assert [xref(n) for n in nodes_by_label(root, "LIF")] == [("Entrez Gene", "3976")]
    complex_ = group_of(root, {"LIFR", "IL6ST"})
    assert complex_.get("Style") == "Complex"
    members = root.xpath("g:DataNode[@GroupRef=$id]", namespaces=NS, id=complex_.get("GroupId"))
    assert sorted(xref(m) for m in members) == [("Entrez Gene", "3572"), ("Entrez Gene", "3977")]
    lif = nodes_by_label(root, "LIF")[0]
    binding = interactions(root, lif.get("GraphId"), complex_.get("GraphId"))
    assert [arrowhead(i) for i in binding] == ["mim-binding"]
    ctf1 = nodes_by_label(root, "CTF1")[0]
    assert interactions(root, ctf1.get("GraphId"), complex_.get("GraphId"))


def test_every_data_node_has_a_typed_xref(root: etree._Element) -> None:
    for node in root.findall("g:DataNode", NS):
        assert node.get("Type") in {"GeneProduct", "Protein", "Metabolite", "Rna", "Pathway"}
        database, identifier = xref(node)
        assert database and identifier, node.get("TextLabel")


def cell_shapes(root: etree._Element) -> tuple[float, float]:
    """The right edge of the osteoclast cell and the left edge of the osteoblast cell."""
    boxes = []
    for shape in root.findall("g:Shape", NS):
        g = shape.find("g:Graphics", NS)
        if g.get("ShapeType") == "RoundedRectangle":
            cx, w = float(g.get("CenterX")), float(g.get("Width"))
            boxes.append((cx - w / 2, cx + w / 2))
    (oc_left, oc_right), (ob_left, ob_right) = sorted(boxes)
    return oc_right, ob_left


def test_forward_and_reverse_signals_point_the_right_way(root: etree._Element) -> None:
    oc_right, ob_left = cell_shapes(root)
    assert oc_right < ob_left
    # Forward: osteoclast SLIT3 (left) binds ROBO1 on osteoblasts (right).
    slit3 = nodes_by_label(root, "SLIT3")[0]
    robo1 = [n for n in nodes_by_label(root, "ROBO1") if center_x(n) >= ob_left - 1]
    assert center_x(slit3) <= oc_right + 1 and robo1
    assert [arrowhead(i) for i in interactions(root, slit3.get("GraphId"), robo1[0].get("GraphId"))] == ["mim-binding"]
    # Reverse: osteoblast FAS ligand and EPHB4 (right) act on osteoclast FAS and ephrin B2 (left).
    for ligand, receptor in (("FASLG", "FAS"), ("EPHB4", "EFNB2"), ("WNT5A", "ROR2")):
        sources = [n for n in nodes_by_label(root, ligand) if center_x(n) >= ob_left - 1]
        targets = [n for n in nodes_by_label(root, receptor) if center_x(n) <= oc_right + 1]
        assert sources and targets, (ligand, receptor)
        found = interactions(root, sources[0].get("GraphId"), targets[0].get("GraphId"))
        assert [arrowhead(i) for i in found] == ["mim-binding"], (ligand, receptor)
        points = found[0].findall("g:Graphics/g:Point", NS)
        assert float(points[0].get("X")) > float(points[-1].get("X"))


def test_effects_use_stimulation_and_inhibition(root: etree._Element) -> None:
    used = {p.get("ArrowHead") for p in root.findall("g:Interaction/g:Graphics/g:Point", NS) if p.get("ArrowHead")}
    assert used == {"mim-binding", "mim-stimulation", "mim-inhibition"}
    plexin = group_of(root, {"PLXNB1", "ERBB2"})
    differentiation = [n for n in nodes_by_label(root, "osteoblast differentiation")]
    assert len(differentiation) == 1
    assert xref(differentiation[0]) == ("GeneOntology", "GO:0001649")
    found = interactions(root, plexin.get("GraphId"), differentiation[0].get("GraphId"))
    assert [arrowhead(i) for i in found] == ["mim-inhibition"]  # SEMA4D, a bone communication factor
    c3ar1 = [n for n in nodes_by_label(root, "C3AR1")][0]
    found = interactions(root, c3ar1.get("GraphId"), differentiation[0].get("GraphId"))
    assert [arrowhead(i) for i in found] == ["mim-stimulation"]


def test_literature_is_cited(root: etree._Element) -> None:
    publications = {x.get(f"{{{NS['rdf']}}}id"): x for x in root.iterfind(".//bp:PublicationXref", NS)}
    assert len(publications) > 30
    for rdf_id, xref_element in publications.items():
        database = xref_element.findtext("bp:DB", namespaces=NS)
        identifier = xref_element.findtext("bp:ID", namespaces=NS)
        assert database in {"PubMed", "DOI"}
        if database == "PubMed":
            assert identifier.isdigit() and rdf_id == f"pmid{identifier}"
    assert any(x.findtext("bp:TITLE", namespaces=NS) for x in publications.values())
    for interaction in root.findall("g:Interaction", NS):
        assert interaction.findall("g:BiopaxRef", NS), interaction.get("GraphId")
    review = root.find("g:BiopaxRef", NS).text
    assert publications[review].findtext("bp:ID", namespaces=NS) == "10.7554/eLife.95083"


def test_cell_type_ontology_tags(root: etree._Element) -> None:
    terms = {
        (v.findtext("bp:ID", namespaces=NS), v.findtext("bp:Ontology", namespaces=NS))
        for v in root.iterfind(".//bp:openControlledVocabulary", NS)
    }
    assert {("CL:0000092", "Cell Type"), ("CL:0000062", "Cell Type"), ("CL:0000778", "Cell Type")} <= terms


def test_pathways_by_mechanism(dataset: Graph) -> None:
    pathways = pathways_by_mechanism(dataset, VERSION)
    assert set(pathways) == {"cell-contact", "secreted", "vesicle-mediated", "matrix-derived"}
    for slug, text in pathways.items():
        assert validate_gpml(text) == [], slug
    vesicle = etree.fromstring(pathways["vesicle-mediated"].encode("utf-8"))
    assert nodes_by_label(vesicle, "hsa-miR-214-3p") and not nodes_by_label(vesicle, "SLIT3")


def test_build_outputs(dataset: Graph, gpml: str, monkeypatch: pytest.MonkeyPatch) -> None:
    files = gpml_outputs(dataset, VERSION, by_mechanism=True)
    assert files["clastordf.gpml"] == gpml
    assert files["clastordf.svg"] == render_svg(gpml)
    assert {"clastordf-secreted.gpml", "clastordf-matrix-derived.gpml"} <= set(files)
    assert set(gpml_outputs(dataset, VERSION)) == {"clastordf.gpml", "clastordf.svg"}
    monkeypatch.setattr(gpml_write, "render_gpml", lambda *args, **kwargs: gpml.replace("<InfoBox", "<Nonsense"))
    with pytest.raises(GpmlInvalid, match="clastordf.gpml: .* GPML problem"):
        gpml_outputs(dataset, VERSION)


def test_instance_data_alone_is_enough(dataset: Graph) -> None:
    """Without the ontology's lineage classes the export falls back to the known CL members."""
    lineages = {
        URIRef("https://w3id.org/clastordf/vocab#OsteoclastLineageCell"),
        URIRef("https://w3id.org/clastordf/vocab#OsteoblastLineageCell"),
    }
    stripped = Graph()
    for triple in dataset:
        if not (triple[0] in lineages and triple[1] == OWL.equivalentClass):
            stripped.add(triple)
    assert len(stripped) < len(dataset)
    assert pathway_gpml(stripped, VERSION) == pathway_gpml(dataset, VERSION)


# ---------------------------------------------------------------------------------------- checker


def mutate(gpml: str, change) -> str:
    root = etree.fromstring(gpml.encode("utf-8"))
    change(root)
    return etree.tostring(root, encoding="unicode")


def categories(errors: list[str]) -> set[str]:
    return {e.split(":", 1)[0] for e in errors}


def test_dangling_graph_ref_is_reported(gpml: str) -> None:
    def dangle(root: etree._Element) -> None:
        root.find("g:Interaction/g:Graphics/g:Point[@GraphRef]", NS).set("GraphRef", "nowhere")

    errors = validate_gpml(mutate(gpml, dangle))
    assert any(e.startswith("ref: Interaction") and "'nowhere'" in e for e in errors), errors


def test_dangling_group_ref_is_reported(gpml: str) -> None:
    def dangle(root: etree._Element) -> None:
        root.find("g:DataNode[@GroupRef]", NS).set("GroupRef", "nogroup")

    errors = validate_gpml(mutate(gpml, dangle), check_layout=False)
    assert any(e.startswith("ref: DataNode") and "'nogroup'" in e for e in errors), errors


def test_bad_xref_pattern_is_reported_with_the_node(gpml: str) -> None:
    def corrupt(root: etree._Element) -> None:
        nodes_by_label(root, "SLIT3")[0].find("g:Xref", NS).set("ID", "SLIT3")

    text = mutate(gpml, corrupt)
    errors = validate_gpml(text)
    assert [e for e in errors if e.startswith("xref:")] == [
        e for e in errors if "'SLIT3'" in e and "does not match the Entrez Gene pattern" in e
    ]
    assert categories(errors) == {"xref"}
    lenient = check_gpml(text, strict=False)
    assert lenient.errors == [] and len(lenient.warnings) == 1


def test_unknown_data_source_type_and_empty_xref_are_reported(gpml: str) -> None:
    def corrupt(root: etree._Element) -> None:
        nodes = root.findall("g:DataNode", NS)
        nodes[0].find("g:Xref", NS).set("Database", "Gene Bank of Nowhere")
        nodes[1].set("Type", "Unknown")
        nodes[2].find("g:Xref", NS).set("ID", "")

    errors = validate_gpml(mutate(gpml, corrupt))
    assert any("unknown data source 'Gene Bank of Nowhere'" in e for e in errors)
    assert any("Type is Unknown" in e for e in errors)
    assert any("empty Xref" in e for e in errors)


def test_unknown_arrowhead_is_reported(gpml: str) -> None:
    def corrupt(root: etree._Element) -> None:
        root.find("g:Interaction/g:Graphics/g:Point[@ArrowHead]", NS).set("ArrowHead", "mim-tickle")

    errors = validate_gpml(mutate(gpml, corrupt))
    assert categories(errors) == {"arrowhead"} and "'mim-tickle'" in errors[0]
    assert "mim-binding" in ARROWHEADS and "mim-tickle" not in ARROWHEADS


def test_overlapping_nodes_are_reported(gpml: str) -> None:
    def overlap(root: etree._Element) -> None:
        first, second = (
            n.find("g:Graphics", NS) for n in nodes_by_label(root, "SLIT3")[:1] + nodes_by_label(root, "LIF")[:1]
        )
        second.set("CenterX", first.get("CenterX"))
        second.set("CenterY", str(float(first.get("CenterY")) + 5))

    text = mutate(gpml, overlap)
    errors = validate_gpml(text)
    assert any(e.startswith("layout:") and "'SLIT3'" in e and "'LIF'" in e for e in errors), errors
    assert validate_gpml(text, check_layout=False) == []


def test_duplicate_graph_id_is_reported(gpml: str) -> None:
    def duplicate(root: etree._Element) -> None:
        nodes = root.findall("g:DataNode", NS)
        nodes[1].set("GraphId", nodes[0].get("GraphId"))

    errors = validate_gpml(mutate(gpml, duplicate), check_layout=False)
    assert any(e.startswith("graphid:") for e in errors)


def test_xsd_violation_is_reported(gpml: str) -> None:
    def break_schema(root: etree._Element) -> None:
        root.remove(root.find("g:InfoBox", NS))
        root.find("g:DataNode/g:Graphics", NS).set("Width", "-3")

    errors = validate_gpml(mutate(gpml, break_schema))
    assert len([e for e in errors if e.startswith("xsd: line")]) == 2, errors


def test_not_xml_is_reported() -> None:
    assert validate_gpml("<Pathway")[0].startswith("xml:")


def example_files() -> list[Path]:
    shared = Path(os.environ.get("CLASTORDF_SHARED", Path(__file__).resolve().parents[2] / "shared"))
    return sorted((shared / "gpml" / "examples").glob("*.gpml")) + sorted(
        (shared / "gpml" / "rdf-pairs").glob("*.gpml")
    )


@pytest.mark.parametrize("path", example_files(), ids=lambda p: p.name)
def test_wikipathways_examples_pass(path: Path) -> None:
    """Real files: schema, references and arrowheads clean; only xref curation findings as warnings."""
    report = check_gpml(path.read_text(encoding="utf-8"), check_layout=False, strict=False)
    assert report.errors == []
    assert categories(report.warnings) <= {"xref"}


def test_examples_were_found() -> None:
    if not example_files():
        pytest.skip("shared/gpml is not beside the repository")
    assert len(example_files()) >= 8


# ------------------------------------------------------------------------------------------- SVG


def test_svg_draws_every_node_and_line(gpml: str, root: etree._Element, tmp_path: Path) -> None:
    svg = etree.fromstring(render_svg(gpml).encode("utf-8"))
    ns = {"s": "http://www.w3.org/2000/svg"}
    groups = svg.findall(".//s:g[@class='datanode']", ns)
    assert len(groups) == len(root.findall("g:DataNode", NS))
    for group in groups:
        assert len(group.findall("s:rect", ns) + group.findall("s:ellipse", ns)) == 1
        assert group.find("s:text", ns) is not None
    lines = svg.findall(".//s:polyline", ns)
    assert len(lines) == len(root.findall("g:Interaction", NS)) + len(root.findall("g:GraphicalLine", NS))
    markers = {
        line.get("data-arrowhead"): line.get("marker-end") for line in lines if line.get("class") == "interaction"
    }
    assert len({markers["mim-binding"], markers["mim-stimulation"], markers["mim-inhibition"]}) == 3
    assert float(svg.get("width")) == float(root.find("g:Graphics", NS).get("BoardWidth"))


@pytest.mark.parametrize("path", example_files()[:3], ids=lambda p: p.name)
def test_svg_renders_real_files(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    svg = etree.fromstring(render_svg(text).encode("utf-8"))
    source = etree.fromstring(text.encode("utf-8"))
    assert len(svg.findall(".//{http://www.w3.org/2000/svg}g")) == len(source.findall("g:DataNode", NS))
