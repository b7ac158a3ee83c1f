"""The GPML command line and the build's WikiPathways outputs, on the real dataset."""

from __future__ import annotations

from rdflib import Graph, URIRef
from rdflib.namespace import RDFS

from clastordf.cli import main
from clastordf.wikipathways.gpml_check import validate_gpml

WP12 = URIRef("https://identifiers.org/wikipathways/WP12")
TNFSF11 = URIRef("https://identifiers.org/uniprot/O14788")  # RANKL


def test_build_writes_checked_gpml_wp_rdf_and_gmt(real_build_dir):
    assert validate_gpml((real_build_dir / "clastordf.gpml").read_text(encoding="utf-8")) == []
    wp = Graph().parse(real_build_dir / "clastordf-wp.ttl")
    assert len(wp) > 100
    gmt = (real_build_dir / "clastordf.gmt").read_text(encoding="utf-8").splitlines()
    assert gmt and all(len(line.split("\t")) >= 3 for line in gmt)
    assert (real_build_dir / "clastordf.svg").read_text(encoding="utf-8").lstrip().startswith("<")


def test_build_includes_the_committed_wikipathways_links(real_build_dir):
    data = Graph().parse(real_build_dir / "clastordf.ttl")
    assert (TNFSF11, RDFS.seeAlso, WP12) in data


def test_gpml_links_command_on_wikipathways_examples(real_build_dir, shared, tmp_path, capsys):
    out = tmp_path / "links.ttl"
    code = main(
        ["gpml", "links", str(shared / "gpml" / "examples"), "--build-dir", str(real_build_dir), "-o", str(out)]
    )
    assert code == 0
    assert (TNFSF11, RDFS.seeAlso, WP12) in Graph().parse(out)


def test_gpml_check_command(real_build_dir, shared, tmp_path, capsys):
    assert main(["gpml", "check", "--layout", str(real_build_dir / "clastordf.gpml")]) == 0
    assert main(["gpml", "check", "--lenient", *map(str, sorted((shared / "gpml" / "examples").glob("*.gpml")))]) == 0
    broken = tmp_path / "broken.gpml"
    broken.write_text(
        (real_build_dir / "clastordf.gpml")
        .read_text()
        .replace('ArrowHead="mim-binding"', 'ArrowHead="mim-nonsense"', 1)
    )
    assert main(["gpml", "check", str(broken)]) == 1
    assert "mim-nonsense" in capsys.readouterr().err


def test_wikipathways_genes_of_a_pathway_query_on_the_export(real_build_dir):
    import pyoxigraph

    store = pyoxigraph.Store()
    store.load(path=str(real_build_dir / "clastordf-wp.ttl"), format=pyoxigraph.RdfFormat.TURTLE)
    rows = store.query("""PREFIX wp: <http://vocabularies.wikipathways.org/wp#>
        PREFIX dcterms: <http://purl.org/dc/terms/> PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
        SELECT DISTINCT ?label ?ncbi WHERE { ?gene a wp:GeneProduct ; dcterms:isPartOf ?pw ; rdfs:label ?label ;
            wp:bdbEntrezGene ?ncbi . ?pw a wp:Pathway }""")
    got = {(r["label"].value, r["ncbi"].value) for r in rows}
    assert ("S1PR3", "https://identifiers.org/ncbigene/1903") in got
    assert ("SLIT3", "https://identifiers.org/ncbigene/6586") in got
