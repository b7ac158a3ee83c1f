"""The one vocabulary module: CURIE expansion and compression of identifiers, prefixed names for
writing, and the prefix map every file, page and example query takes its prefixes from."""

from __future__ import annotations

import re

import pyoxigraph as ox
import pytest

from clastordf import vocab
from clastordf.server.linkeddata import BY_EXT, Site, serialize
from clastordf.vocab import CURIE_PREFIXES, NAMESPACES, PREFIXES, PrefixMap, compact, compress, expand

from .conftest import REPO

OBO = "http://purl.obolibrary.org/obo/"
IDORG = "https://identifiers.org/"


@pytest.mark.parametrize(
    ("curie", "iri"),
    [
        ("GO:0001649", OBO + "GO_0001649"),
        ("CL:0000092", OBO + "CL_0000092"),
        ("NCBITaxon:10090", OBO + "NCBITaxon_10090"),
        ("RO:HOM0000017", OBO + "RO_HOM0000017"),
        ("MGI:1315202", IDORG + "mgi/MGI:1315202"),  # identifiers.org keeps MGI's prefix in the local id
        ("HGNC:31591", IDORG + "hgnc/31591"),
        ("uniprot:O75094", IDORG + "uniprot/O75094"),
        ("ncbigene:8877", IDORG + "ncbigene/8877"),
        ("mirbase.mature:MIMAT0000271", IDORG + "mirbase.mature/MIMAT0000271"),
        ("mirbase:MI0000263", IDORG + "mirbase/MI0000263"),
        ("pubmed:22749887", IDORG + "pubmed/22749887"),
        ("doi:10.7554/eLife.95083", "https://doi.org/10.7554/eLife.95083"),
        ("cf:CF0320-c1", "https://w3id.org/clastordf/fact/CF0320-c1"),
        ("ce:E0650", "https://w3id.org/clastordf/evidence/E0650"),
        ("cx:LIFR-IL6ST", "https://w3id.org/clastordf/complex/LIFR-IL6ST"),
        ("clasto:InVivoSupport", "https://w3id.org/clastordf/vocab#InVivoSupport"),
    ],
)
def test_identifier_curies_expand_and_compress_both_ways(curie, iri):
    assert expand(curie) == iri
    assert compress(iri) == curie


def test_unknown_identifiers_are_refused_or_left_alone():
    with pytest.raises(ValueError, match="unknown CURIE prefix"):
        expand("FOO:1")
    assert compress("https://example.org/x") is None
    assert compress(OBO + "NCIT_C179773") is None  # an OBO ontology we do not curate with


def test_the_longest_namespace_wins():
    # mirbase.mature/ and mirbase/ do not nest, but a namespace inside another must win over it
    assert compress(IDORG + "mirbase.mature/MIMAT0000271") == "mirbase.mature:MIMAT0000271"
    assert compress(IDORG + "mirbase/MI0000263") == "mirbase:MI0000263"
    names = PrefixMap({"obo": OBO, "GO": OBO + "GO_"})
    assert names.compact(OBO + "GO_0001649") == "GO:0001649"
    assert names.compact(OBO + "CL_0000092") == "obo:CL_0000092"


def test_a_refused_local_part_falls_back_to_a_shorter_namespace():
    names = PrefixMap({"obo": OBO, "GO": OBO + "GO_"})
    assert names.compact(OBO + "GO_0001649", lambda local: not local[0].isdigit()) == "obo:GO_0001649"
    assert names.compact(OBO + "GO_0001649", lambda local: False) is None


def test_prefixes_sharing_a_namespace_give_the_first_by_name_whatever_the_order():
    ns = "https://example.org/ns#"
    assert PrefixMap({"zed": ns, "alpha": ns}).compact(ns + "x") == "alpha:x"
    assert PrefixMap({"alpha": ns, "zed": ns}).compact(ns + "x") == "alpha:x"


def test_prefixed_names_for_writing_use_the_written_prefixes():
    assert compact(OBO + "GO_0001649") == "obo:GO_0001649"
    assert compact(IDORG + "mgi/MGI:1315202") == "mgi:MGI:1315202"
    assert compact(IDORG + "hgnc/31591") == "hgnc:31591"
    assert compact("https://w3id.org/clastordf/fact/CF0320") == "cf:CF0320"
    assert compact("https://example.org/x") is None
    assert compact(OBO) == "obo:"  # the namespace itself: an empty local part
    assert compact(OBO, lambda local: local != "") is None


def test_the_dataset_prefixes_are_the_ones_its_files_were_written_with():
    # The Turtle, RDF/XML and JSON-LD dumps declare exactly these; a change here changes every file.
    assert sorted(PREFIXES) == sorted(
        "rdf rdfs owl xsd skos dcterms prov obo biolink clasto cf ce cx uniprot ncbigene hgnc ensembl mgi "
        "mirbase.mature mirbase pubmed doi void dcat pav".split()
    )
    assert all(NAMESPACES[p] == ns for p, ns in {**PREFIXES, **vocab.WP_PREFIXES}.items())


def test_every_namespace_has_one_prefix():
    namespaces = list(NAMESPACES.values())
    assert len(set(namespaces)) == len(namespaces)
    curie_namespaces = list(CURIE_PREFIXES.values())
    assert len(set(curie_namespaces)) == len(curie_namespaces)


def _declared(path, pattern: str) -> dict[str, str]:
    return dict(re.findall(pattern, path.read_text(encoding="utf-8"), flags=re.MULTILINE))


@pytest.mark.parametrize("query", sorted((REPO / "queries").glob("*.rq")), ids=lambda p: p.name)
def test_example_queries_declare_the_prefix_maps_namespaces(query):
    declared = _declared(query, r"^\s*PREFIX\s+([A-Za-z][\w.-]*):\s*<([^>]*)>")
    assert declared, f"{query.name} declares no prefix"
    assert declared == {p: NAMESPACES.get(p) for p in declared}


@pytest.mark.parametrize(
    "path", [REPO / "shapes" / "clastordf.shacl.ttl", REPO / "ontology" / "clastordf-edit.ttl"], ids=lambda p: p.name
)
def test_shapes_and_ontology_declare_the_prefix_maps_namespaces(path):
    declared = _declared(path, r"^@prefix\s+([A-Za-z][\w.-]*):\s*<([^>]*)>\s*\.")
    assert declared and declared == {p: NAMESPACES.get(p) for p in declared}


def test_sparql_prefixes_come_from_the_map():
    assert vocab.sparql_prefixes("cf", "obo") == (
        "PREFIX cf: <https://w3id.org/clastordf/fact/>\nPREFIX obo: <http://purl.obolibrary.org/obo/>\n"
    )


def test_pages_name_identifiers_by_their_curie_and_the_rest_by_the_prefix_map():
    site = Site(ox.Store(), "http://example.org/c/")
    assert site.curie(IDORG + "hgnc/31591") == "HGNC:31591"
    assert site.curie(IDORG + "mgi/MGI:1315202") == "MGI:1315202"
    assert site.curie(OBO + "GO_0001649") == "GO:0001649"
    assert site.curie(OBO + "NCIT_C179773") == OBO + "NCIT_C179773"  # no obo: on pages
    assert site.curie("http://www.w3.org/2000/01/rdf-schema#label") == "rdfs:label"
    assert site.curie("https://w3id.org/clastordf/fact/CF0200") == "cf:CF0200"  # the data's own IRIs
    assert site.curie("http://example.org/c/fact/CF0200") == "cf:CF0200"  # and this server's
    assert site.curie("http://example.org/c/fact/CF0200/x") == "http://example.org/c/fact/CF0200/x"


def test_served_rdf_declares_the_prefix_maps_prefixes_it_uses():
    mirna = ox.NamedNode(IDORG + "mirbase.mature/MIMAT0000271")
    triple = ox.Triple(mirna, ox.NamedNode(OBO + "RO_0002162"), ox.NamedNode(OBO + "NCBITaxon_9606"))
    turtle = serialize([triple], BY_EXT["ttl"]).decode()
    assert "@prefix mirbase.mature: <https://identifiers.org/mirbase.mature/> ." in turtle
    assert "mirbase.mature:MIMAT0000271 obo:RO_0002162 obo:NCBITaxon_9606" in turtle
    assert "@prefix uniprot:" not in turtle  # only the prefixes the triples use
