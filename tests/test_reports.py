"""Curation reports on the real dataset and on a fixture with a Table 1 gap."""

from __future__ import annotations

import json

from clastordf.cli import main


def test_coverage_report_shows_every_table1_row(repo, capsys):
    assert main(["--project", str(repo.root), "report", "coverage"]) == 0
    out = capsys.readouterr().out
    assert "Table 1: 25 of 25 rows covered." in out
    assert "| Secreted |" in out and "## Terms used per ontology" in out


def test_coverage_report_json_lists_gaps_and_fails(mini, capsys):
    assert main(["--project", str(mini.root), "report", "coverage", "--format", "json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["table1"]["14"] == ["CF0001"]
    assert 1 in data["table1_gaps"] and 14 not in data["table1_gaps"]
    assert data["terms_per_ontology"]["CL"] == 2  # osteoclast, osteoblast
    assert "bib78" in data["references_used"]
    assert "CF0003-c2" in data["claims_without_in_vivo"]


def test_pfocr_report_classifies_ocr_hits(repo, capsys):
    assert main(["--project", str(repo.root), "report", "pfocr"]) == 0
    out = capsys.readouterr().out
    assert "| S1P | gene | MBTPS1 | 8720 | ocr-noise | S1P |" in out  # S1P misread as a gene symbol
    assert "| gp130 | gene | IL6ST | 3572 | curated | IL6ST |" in out
    assert "| SLIT3 | gene | SLIT1 | 6585 | ocr-noise | SLIT3 |" in out
    assert "Curated ligands and receptors the OCR missed" in out


def test_pfocr_report_as_rdf_links_the_figure(repo, capsys):
    from rdflib import Graph, URIRef
    from rdflib.namespace import FOAF

    assert main(["--project", str(repo.root), "report", "pfocr", "--format", "turtle"]) == 0
    g = Graph().parse(data=capsys.readouterr().out, format="turtle")
    figure = URIRef("https://pfocr.wikipathways.org/figures/PMC11003748__elife-95083-fig2.html")
    depicted = {str(o) for o in g.objects(figure, FOAF.depicts)}
    assert "https://identifiers.org/uniprot/O75094" in depicted  # SLIT3
    assert "http://purl.obolibrary.org/obo/CHEBI_37550" in depicted  # S1P


def test_pfocr_snapshot_matches_shared(repo, shared):
    for name in ("genes", "chemicals"):
        ours = (repo.curation / "pfocr" / f"fig2-{name}.tsv").read_bytes()
        assert ours == (shared / "pfocr" / f"PMC11003748__elife-95083-fig2-{name}.tsv").read_bytes()


def test_terms_refresh_snapshots_the_sources(mini, shared, reference, capsys):
    (mini.curation / "bibliography.tsv").write_text("stale")
    code = main(["--project", str(mini.root), "terms", "refresh", "--reference", str(reference.root),
                 "--sources", str(shared)])
    assert code == 0
    assert (mini.curation / "bibliography.tsv").read_bytes() == (
        shared / "sources" / "elife-95083-references.tsv").read_bytes()
    assert (mini.curation / "pfocr" / "fig2-genes.tsv").exists()
