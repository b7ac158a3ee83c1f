"""Cross-links from WikiPathways GPML files to the dataset's entities."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDFS, SKOS

from clastordf.problems import ProblemsFound
from clastordf.wikipathways.links import GpmlXrefWarning, cross_links, entity_key, scan

UNIPROT = "https://identifiers.org/uniprot/"
WP = "https://identifiers.org/wikipathways/"
TNFSF11, TNFRSF11A, CTSK, PDGFRB, BGLAP = (
    URIRef(UNIPROT + u) for u in ("O14788", "Q9Y6Q6", "P43235", "P09619", "P02818")
)


@pytest.fixture(scope="module")
def dataset(real_build_dir) -> Graph:
    return Graph().parse(real_build_dir / "clastordf.ttl")


@pytest.fixture(scope="module")
def examples(shared) -> Path:
    folder = shared / "gpml" / "examples"
    if not folder.is_dir():
        pytest.skip(f"no WikiPathways examples at {folder}")
    return folder


@pytest.fixture(scope="module")
def report(examples, dataset):
    return scan(examples, dataset)


def links_of(report, wpid: str) -> dict[URIRef, set[str]]:
    out: dict[URIRef, set[str]] = {}
    for link in report.links:
        if link.wpid == wpid:
            out.setdefault(URIRef(link.entity), set()).add(link.note)
    return out


def test_osteoclast_signaling_links_the_rank_axis(report):
    wp12 = links_of(report, "WP12")
    # WP12.gpml: "RANK ligand" Entrez Gene 8600, "RANK" 8792, "Cathepsin K" 1513 (two nodes).
    assert wp12[TNFSF11] == {"matched by Entrez Gene 8600"}
    assert wp12[TNFRSF11A] == {"matched by Entrez Gene 8792"}
    assert wp12[CTSK] == {"matched by Entrez Gene 1513"}
    assert report.pathways["WP12"] == "Osteoclast signaling"


def test_osteoblast_signaling_links_its_receptors_and_markers(report):
    wp322 = links_of(report, "WP322")
    # WP322.gpml: "PDGFRB" Entrez Gene 5159, "Osteocalcin" 632, "RANK ligand" 8600.
    assert {PDGFRB, BGLAP, TNFSF11} <= set(wp322)
    assert wp322[BGLAP] == {"matched by Entrez Gene 632"}


def test_ensembl_xrefs_match_through_exact_match(report):
    # WP428 (Wnt signaling) names SOST by Ensembl ENSG00000167941.
    assert links_of(report, "WP428")[URIRef(UNIPROT + "Q9BQB4")] == {"matched by Ensembl ENSG00000167941"}


def test_the_rdf(report):
    g = report.graph
    assert (TNFSF11, RDFS.seeAlso, URIRef(WP + "WP12")) in g
    assert (TNFSF11, RDFS.seeAlso, URIRef(WP + "WP322")) in g
    node = URIRef("https://w3id.org/clastordf/links/WP12/uniprot_O14788")
    assert set(g.predicate_objects(node)) == {
        (DCTERMS.source, URIRef(WP + "WP12")),
        (RDFS.seeAlso, TNFSF11),
        (SKOS.note, Literal("matched by Entrez Gene 8600")),
    }
    assert (URIRef(WP + "WP12"), DCTERMS.title, Literal("Osteoclast signaling", lang="en")) in g
    assert not report.problems


GPML = """<?xml version="1.0" encoding="UTF-8"?>
<Pathway xmlns="http://pathvisio.org/GPML/2013a" Name="{name}" Version="{version}" Organism="Homo sapiens">
{nodes}
  <InfoBox CenterX="0" CenterY="0" />
</Pathway>
"""
NODE = """  <DataNode TextLabel="{label}" GraphId="{gid}" Type="{type}">
    <Graphics CenterX="1" CenterY="1" Width="1" Height="1" />
    <Xref Database="{db}" ID="{id}" />
  </DataNode>"""


def write(
    folder: Path, file: str, nodes: list[tuple[str, str, str, str]], version: str = "", name: str = "Test"
) -> Path:
    body = "\n".join(
        NODE.format(label=label, gid=f"n{i}", type=t, db=db, id=ident) for i, (label, t, db, ident) in enumerate(nodes)
    )
    path = folder / file
    path.write_text(GPML.format(name=name, version=version, nodes=body), encoding="utf-8")
    return path


def test_every_kind_of_xref(tmp_path, dataset):
    write(
        tmp_path,
        "coupling.gpml",
        [
            ("S1PR3", "GeneProduct", "HGNC", "S1PR3"),
            ("S1P", "Metabolite", "ChEBI", "37550"),
            ("miR-214", "Rna", "miRBase mature sequence", "MIMAT0000271"),
            ("LIFR", "Protein", "Uniprot-TrEMBL", "P42702"),
            ("gp130", "GeneProduct", "HGNC Accession number", "HGNC:6021"),
            ("mouse S1pr3", "GeneProduct", "MGI", "MGI:1339365"),
            ("not curated", "GeneProduct", "Entrez Gene", "7157"),
            ("no xref", "Label", "", ""),
        ],
        version="WP77777_r12",
    )
    (tmp_path / "coupling-info.json").write_text(json.dumps({"wpid": "WP88888"}), encoding="utf-8")
    report = scan(tmp_path, dataset)
    got = {(entity_key(URIRef(link.entity)), link.note) for link in report.links}
    assert got == {
        ("uniprot_Q99500", "matched by HGNC symbol S1PR3"),
        ("CHEBI_37550", "matched by ChEBI 37550"),
        ("mirbase.mature_MIMAT0000271", "matched by miRBase mature sequence MIMAT0000271"),
        ("uniprot_P42702", "matched by Uniprot-TrEMBL P42702"),
        ("uniprot_P40189", "matched by HGNC Accession number HGNC:6021"),
        ("uniprot_Q9Z0U9", "matched by MGI MGI:1339365"),
    }
    assert {link.wpid for link in report.links} == {"WP88888"}  # info.json wins over the Version
    assert not report.problems


def test_wpid_from_the_file_name_then_the_version(tmp_path, dataset):
    write(tmp_path, "WP4.gpml", [("RANKL", "Protein", "Entrez Gene", "8600")])
    write(tmp_path, "download.gpml", [("RANKL", "Protein", "Entrez Gene", "8600")], version="WP5_r1")
    write(tmp_path, "anonymous.gpml", [("RANKL", "Protein", "Entrez Gene", "8600")])
    report = scan(tmp_path, dataset)
    assert {link.wpid for link in report.links} == {"WP4", "WP5"}
    assert [p.message for p in report.problems] == [
        "no WikiPathways id (WPnnn) in the file name, an info.json or the pathway's Version; not linked"
    ]


def test_a_malformed_xref_is_reported_with_file_line_and_node(tmp_path, dataset):
    path = write(
        tmp_path,
        "WP9.gpml",
        [
            ("RANKL", "Protein", "Entrez Gene", "8600"),
            ("RANK", "Protein", "Entrez Gene", "TNFRSF11A"),
            ("OPG", "Protein", "", "4982"),
        ],
    )
    lines = path.read_text().splitlines()
    bad, orphan = (
        next(n for n, text in enumerate(lines, 1) if f'ID="{ident}"' in text) for ident in ("TNFRSF11A", "4982")
    )
    report = scan(tmp_path, dataset)
    assert [str(p) for p in report.problems] == [
        f"{path}:{bad}: DataNode n1 'RANK' Xref: ID 'TNFRSF11A' does not match the Entrez Gene pattern ^\\d+$; "
        "not linked",
        f"{path}:{orphan}: DataNode n2 'OPG' Xref: ID '4982' but no Database; not linked",
    ]
    assert [link.entity for link in report.links] == [str(TNFSF11)]  # the good node is still linked
    with pytest.warns(GpmlXrefWarning) as warned:
        graph = cross_links(tmp_path, dataset)
    assert [str(w.message) for w in warned] == [str(p) for p in report.problems]
    assert (TNFSF11, RDFS.seeAlso, URIRef(WP + "WP9")) in graph
    with pytest.raises(ProblemsFound) as err:
        cross_links(tmp_path, dataset, strict=True)
    assert f"WP9.gpml:{bad}" in err.value.report()


def test_an_unreadable_file_does_not_stop_the_others(tmp_path, dataset, examples):
    shutil.copy(examples / "WP12.gpml", tmp_path / "WP12.gpml")
    (tmp_path / "WP13.gpml").write_text("<Pathway", encoding="utf-8")
    report = scan(tmp_path, dataset)
    assert {link.wpid for link in report.links} == {"WP12"}
    assert len(report.problems) == 1 and "not well-formed XML" in report.problems[0].message
