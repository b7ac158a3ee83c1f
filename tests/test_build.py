"""The build on the mini fixture: output parses, is deterministic, and says what the model says."""

from __future__ import annotations

import pyoxigraph
import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDFS

from clastordf.build import build
from clastordf.outputs import OUTPUT_FILES
from clastordf.problems import ProblemsFound
from clastordf.vocab import CF, CLASTO, OBO

#: Files every build writes; besides them, one clastordf-<mechanism>.gpml per mechanism the data has.
OUTPUTS = OUTPUT_FILES


def output_names(out) -> set[str]:
    names = {p.name for p in out.iterdir() if not p.name.startswith(".")}  # hidden: the output sets
    extra = names - set(OUTPUTS)
    assert all(n.startswith("clastordf-") and n.endswith(".gpml") for n in extra), extra
    return names


UNIPROT = "https://identifiers.org/uniprot/"


def quiet(_: str) -> None:
    pass


@pytest.fixture
def built(mini, tmp_path):
    out = tmp_path / "build"
    build(mini, out, quiet)
    return out / "clastordf.ttl"


def test_output_parses_with_two_independent_parsers(built):
    graph = Graph().parse(built, format="turtle")
    assert len(graph) > 500
    store = pyoxigraph.Store()
    store.load(path=str(built), format=pyoxigraph.RdfFormat.TURTLE)
    assert len(store) == len(graph)


def test_two_builds_are_byte_identical(mini, tmp_path):
    build(mini, tmp_path / "a", quiet)
    build(mini, tmp_path / "b", quiet)
    names = output_names(tmp_path / "a")
    assert set(OUTPUTS) <= names == output_names(tmp_path / "b")
    for name in names:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


def test_source_date_epoch_pins_modified(mini, tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")  # 2026-01-01
    build(mini, tmp_path / "a", quiet)
    text = (tmp_path / "a" / "clastordf.ttl").read_text()
    assert 'dcterms:modified "2026-01-01"^^xsd:date' in text


def test_fact_layer_is_derived_from_claims(built):
    g = Graph().parse(built, format="turtle")
    fact = CF.CF0001
    # SLIT3's osteoclast source is disputed (c1): a contested value, not a settled one
    assert set(g.objects(fact, CLASTO.producingCellType)) == set()
    assert set(g.objects(fact, CLASTO.contestedSourceCellType)) == {OBO.CL_0000092}
    assert set(g.objects(fact, CLASTO.targetCellType)) == {OBO.CL_0000062}
    assert set(g.objects(fact, CLASTO.receptor)) == {URIRef(UNIPROT + "Q9Y6N7")}
    assert set(g.objects(fact, CLASTO.promotes)) == {OBO.GO_0016477}
    assert set(g.objects(fact, OBO.RO_0002162)) == {OBO.NCBITaxon_10090}
    # supporting studies are references; the disputing one is a disputing reference
    refs = {str(r) for r in g.objects(fact, URIRef("http://purl.org/dc/terms/references"))}
    assert refs == {"https://identifiers.org/pubmed/29504949"}
    assert set(g.objects(fact, CLASTO.disputingReference)) == {URIRef("https://identifiers.org/pubmed/32133214")}
    assert (fact, CLASTO.contested, Literal(True)) in g
    assert (fact, CLASTO.reviewCategory, CLASTO.SecretedClastokines) in g
    assert set(g.objects(CF.CF0002, CLASTO.producingCellType)) == {OBO.CL_0000092}
    assert (CF.CF0002, CLASTO.contested, Literal(False)) in g
    assert set(g.objects(CF.CF0003, CLASTO.inhibits)) == {OBO.GO_0001649}
    assert set(g.objects(CF.CF0004, CLASTO.upregulates)) == {URIRef(UNIPROT + "O75094")}


def test_entities_carry_labels_xrefs_and_orthologs(built):
    g = Graph().parse(built, format="turtle")
    slit3 = URIRef(UNIPROT + "O75094")
    assert str(g.value(slit3, RDFS.label)) == "SLIT3"
    matches = {str(o) for o in g.objects(slit3, URIRef("http://www.w3.org/2004/02/skos/core#exactMatch"))}
    assert {
        "https://identifiers.org/ncbigene/6586",
        "https://identifiers.org/hgnc/11087",
        "https://identifiers.org/ensembl/ENSG00000184347",
    } <= matches
    mouse = g.value(slit3, OBO.RO_HOM0000017)
    assert str(mouse) == UNIPROT + "Q9WVB4"
    assert (mouse, OBO.RO_0002162, OBO.NCBITaxon_10090) in g
    complex_ = URIRef("https://w3id.org/clastordf/complex/LIFR-IL6ST")
    assert {str(o) for o in g.objects(complex_, OBO.BFO_0000051)} == {UNIPROT + "P42702", UNIPROT + "P40189"}


def test_external_terms_have_labels_and_ancestry(built):
    g = Graph().parse(built, format="turtle")
    assert str(g.value(OBO.CL_0000092, RDFS.label)) == "osteoclast"
    ancestors = set(g.transitive_objects(OBO.CL_0000092, RDFS.subClassOf))
    assert OBO.CL_0000000 in ancestors  # "cell": the slim reaches the root
    assert str(g.value(OBO.GO_0001649, RDFS.label)) == "osteoblast differentiation"
    assert str(g.value(OBO.RO_0003001, RDFS.label)) == "produced by"


def test_publications_are_traced_to_the_bibliography(built):
    g = Graph().parse(built, format="turtle")
    pub = URIRef("https://identifiers.org/pubmed/29504949")
    assert str(g.value(pub, RDFS.label)) == "Kim et al., 2018"
    assert str(g.value(pub, CLASTO.bibliographyId)) == "bib78"


def test_failed_build_leaves_previous_output_untouched(mini, tmp_path):
    out = tmp_path / "build"
    build(mini, out, quiet)
    before = (out / "clastordf.ttl").read_bytes()
    fact_file = mini.curation / "facts" / "slit3.yaml"
    fact_file.write_text(fact_file.read_text().replace("ligand: LIF\n", "ligand: NOPE\n"))
    with pytest.raises(ProblemsFound, match="identifier and fact checks|read curation"):
        build(mini, out, quiet)
    assert (out / "clastordf.ttl").read_bytes() == before
    assert set(OUTPUTS) <= output_names(out)  # and no temporary file left behind


def test_a_rebuild_removes_outputs_it_no_longer_makes(mini, tmp_path):
    out = tmp_path / "build"
    build(mini, out, quiet)
    (out / "clastordf-gone-mechanism.gpml").write_text("old")
    (out / "notes.txt").write_text("the user's own file")
    build(mini, out, quiet, reason=False)
    assert not (out / "clastordf-inferred.ttl").exists()
    assert not (out / "clastordf-gone-mechanism.gpml").exists()
    assert (out / "notes.txt").exists()


def test_malformed_cross_links_name_the_file(mini, tmp_path):
    mini.wikipathways_links.write_text("<a> <b> .\n")
    with pytest.raises(ProblemsFound) as err:
        build(mini, tmp_path / "build", quiet)
    assert "wikipathways-links.ttl" in err.value.report() and "not valid Turtle" in err.value.report()
