"""Every SHACL constraint rejects what it should: one broken copy of the mini build per constraint."""

from __future__ import annotations

import pytest
from rdflib import Graph

from clastordf.build import build
from clastordf.cli import main
from clastordf.validate.shacl import load_shapes, validate_graph

from .conftest import REPO

PREFIXES = """
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX obo: <http://purl.obolibrary.org/obo/>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX biolink: <https://w3id.org/biolink/vocab/>
PREFIX clasto: <https://w3id.org/clastordf/vocab#>
PREFIX cf: <https://w3id.org/clastordf/fact/>
PREFIX ce: <https://w3id.org/clastordf/evidence/>
PREFIX cx: <https://w3id.org/clastordf/complex/>
PREFIX uniprot: <https://identifiers.org/uniprot/>
"""

# (case id, SPARQL Update that breaks the graph, text the violation message must contain)
BREAKAGES = [
    ("fact-label-missing", "DELETE WHERE { cf:CF0002 rdfs:label ?l }", "exactly one rdfs:label"),
    ("fact-label-twice", 'INSERT DATA { cf:CF0002 rdfs:label "again"@en }', "exactly one rdfs:label"),
    ("fact-category-missing", "DELETE WHERE { cf:CF0002 clasto:reviewCategory ?s }", "exactly one review category"),
    (
        "fact-category-unknown",
        "DELETE WHERE { cf:CF0002 clasto:reviewCategory ?s } ; "
        "INSERT DATA { cf:CF0002 clasto:reviewCategory clasto:Established }",
        "exactly one review category",
    ),
    ("fact-level-missing", "DELETE WHERE { cf:CF0002 clasto:evidenceLevel ?s }", "evidence level is exactly one"),
    (
        "fact-level-unknown",
        "DELETE WHERE { cf:CF0002 clasto:evidenceLevel ?s } ; "
        "INSERT DATA { cf:CF0002 clasto:evidenceLevel clasto:Putative }",
        "evidence level is exactly one",
    ),
    ("fact-contested-missing", "DELETE WHERE { cf:CF0002 clasto:contested ?s }", "contested is exactly one"),
    (
        "fact-contested-not-boolean",
        'DELETE WHERE { cf:CF0002 clasto:contested ?s } ; INSERT DATA { cf:CF0002 clasto:contested "no" }',
        "contested is exactly one",
    ),
    (
        "fact-contested-without-dispute",
        "DELETE WHERE { cf:CF0002 clasto:contested ?s } ; INSERT DATA { cf:CF0002 clasto:contested true }",
        "contested exactly when",
    ),
    (
        "fact-dispute-not-contested",
        "DELETE WHERE { cf:CF0001 clasto:contested ?s } ; INSERT DATA { cf:CF0001 clasto:contested false }",
        "contested exactly when",
    ),
    ("fact-taxon-missing", "DELETE WHERE { cf:CF0002 obo:RO_0002162 ?t }", "in taxon"),
    ("fact-taxon-not-ncbitaxon", "INSERT DATA { cf:CF0002 obo:RO_0002162 obo:UBERON_0002481 }", "in taxon"),
    ("fact-no-claim", "DELETE WHERE { cf:CF0002 clasto:hasClaim ?c }", "at least one clasto:Claim"),
    ("fact-claim-not-a-claim", "INSERT DATA { cf:CF0002 clasto:hasClaim ce:E0001 }", "at least one clasto:Claim"),
    ("fact-no-references", "DELETE WHERE { cf:CF0002 dcterms:references ?r }", "references its studies"),
    (
        "fact-reference-not-pubmed",
        "INSERT DATA { cf:CF0002 dcterms:references <http://example.org/x> }",
        "references its studies",
    ),
    ("fact-not-derived-from-review", "DELETE WHERE { cf:CF0002 prov:wasDerivedFrom ?r }", "derived from the review"),
    ("fact-no-source-location", "DELETE WHERE { cf:CF0002 clasto:sourceLocation ?l }", "Table 1 row"),
    ("fact-bad-source-location", 'INSERT DATA { cf:CF0002 clasto:sourceLocation "table1-row99" }', "Table 1 row"),
    ("ligand-missing", "DELETE WHERE { cf:CF0002 clasto:ligand ?l }", "ligand is exactly one"),
    ("ligand-twice", "INSERT DATA { cf:CF0002 clasto:ligand uniprot:O75094 }", "ligand is exactly one"),
    (
        "ligand-wrong-namespace",
        "DELETE WHERE { cf:CF0002 clasto:ligand ?l } ; INSERT DATA { cf:CF0002 clasto:ligand obo:CL_0000092 }",
        "ligand is exactly one",
    ),
    ("ligand-form-twice", 'INSERT DATA { cf:CF0002 clasto:ligandForm "a"@en , "b"@en }', "ligand form"),
    (
        "mechanism-unknown",
        "DELETE WHERE { cf:CF0002 clasto:mechanism ?m } ; INSERT DATA { cf:CF0002 clasto:mechanism clasto:Telepathy }",
        "mechanism is exactly one",
    ),
    ("source-cell-missing", "DELETE WHERE { cf:CF0002 clasto:sourceCellType ?c }", "the cell the ligand comes from"),
    ("source-cell-not-cl", "INSERT DATA { cf:CF0002 clasto:sourceCellType obo:GO_0001649 }", "source cell type"),
    (
        "producing-cell-not-cl",
        "INSERT DATA { cf:CF0002 clasto:producingCellType obo:GO_0001649 }",
        "producing cell type",
    ),
    (
        "releasing-cell-not-cl",
        "INSERT DATA { cf:CF0002 clasto:releasingCellType obo:GO_0001649 }",
        "releasing cell type",
    ),
    (
        "contested-source-as-settled",
        "INSERT DATA { cf:CF0001 clasto:sourceCellType obo:CL_0000092 }",
        "only contested claims state",
    ),
    ("target-cell-missing", "DELETE WHERE { cf:CF0002 clasto:targetCellType ?c }", "target cell type"),
    ("receptor-not-protein", "INSERT DATA { cf:CF0002 clasto:receptor obo:CHEBI_37550 }", "receptor is a UniProt"),
    ("no-effect", "DELETE WHERE { cf:CF0002 clasto:promotes ?p }", "promotes or inhibits at least one"),
    ("promotes-not-go", "INSERT DATA { cf:CF0002 clasto:promotes obo:CL_0000062 }", "promotes takes GO"),
    ("inhibits-not-go", "INSERT DATA { cf:CF0002 clasto:inhibits obo:CL_0000062 }", "inhibits takes GO"),
    ("pathway-not-go", "INSERT DATA { cf:CF0002 clasto:pathway obo:CL_0000062 }", "pathway takes GO"),
    ("carrier-twice", "INSERT DATA { cf:CF0003 clasto:carrier obo:GO_1903561 }", "carrier is at most one"),
    ("phase-unknown", "INSERT DATA { cf:CF0002 clasto:remodelingPhase clasto:Reversal }", "remodeling phase"),
    ("claim-contested-without-dispute", "DELETE WHERE { cf:CF0001-c1 clasto:disputedBy ?e }", "contested exactly when"),
    ("vesicle-without-carrier", "DELETE WHERE { cf:CF0003 clasto:carrier ?c }", "names its carrier"),
    ("regulator-missing", "DELETE WHERE { cf:CF0004 clasto:regulator ?r }", "exactly one regulator"),
    ("regulation-without-target", "DELETE WHERE { cf:CF0004 clasto:upregulates ?r }", "up- or downregulates"),
    ("regulation-cell-not-cl", "INSERT DATA { cf:CF0004 clasto:cellType obo:GO_0001649 }", "cell type takes CL"),
    ("claim-subject-missing", "DELETE WHERE { cf:CF0002-c1 rdf:subject ?s }", "exactly one subject"),
    (
        "claim-predicate-not-allowed",
        "DELETE WHERE { cf:CF0002-c1 rdf:predicate ?p } ; INSERT DATA { cf:CF0002-c1 rdf:predicate obo:RO_0002131 }",
        "allowed RO relations",
    ),
    ("claim-object-missing", "DELETE WHERE { cf:CF0002-c1 rdf:object ?o }", "exactly one object"),
    (
        "claim-context-not-cell",
        "INSERT DATA { cf:CF0002-c1 biolink:anatomical_context_qualifier obo:GO_0001649 }",
        "context is a CL or UBERON",
    ),
    ("claim-level-missing", "DELETE WHERE { cf:CF0002-c1 clasto:evidenceLevel ?s }", "evidence level is exactly one"),
    (
        "claim-level-against-rule",
        "DELETE WHERE { cf:CF0002-c3 clasto:evidenceLevel ?s } ; "
        "INSERT DATA { cf:CF0002-c3 clasto:evidenceLevel clasto:InVivoSupport }",
        "follows the rule",
    ),
    (
        "claim-override-without-reason",
        "INSERT DATA { cf:CF0002-c3 clasto:computedEvidenceLevel clasto:InVitroOnly }",
        "states its reason",
    ),
    (
        "claim-two-override-reasons",
        "INSERT DATA { cf:CF0002-c3 clasto:computedEvidenceLevel clasto:InVitroOnly ; "
        'clasto:evidenceLevelReason "one"@en , "two"@en }',
        "one stated reason",
    ),
    ("claim-contested-missing", "DELETE WHERE { cf:CF0002-c1 clasto:contested ?s }", "contested is exactly one"),
    (
        "claim-without-evidence",
        "DELETE WHERE { cf:CF0002-c1 clasto:supportedBy ?e }",
        "at least one supporting evidence line",
    ),
    (
        "supported-by-non-evidence",
        "INSERT DATA { cf:CF0002-c1 clasto:supportedBy cf:CF0001 }",
        "supportedBy points at evidence",
    ),
    (
        "disputed-by-non-evidence",
        "INSERT DATA { cf:CF0001-c1 clasto:disputedBy cf:CF0001 }",
        "disputedBy points at evidence",
    ),
    (
        "disputed-claim-not-contested",
        "INSERT DATA { cf:CF0002-c1 clasto:disputedBy ce:E0002 }",
        "contested exactly when",
    ),
    ("anatomy-not-uberon", "INSERT DATA { ce:E0001 clasto:anatomicalSite obo:CL_0000062 }", "UBERON IRI"),
    ("manipulated-cell-not-cl", "INSERT DATA { ce:E0001 clasto:cellManipulated obo:GO_0001649 }", "one CL IRI"),
    ("evidence-type-missing", "DELETE WHERE { ce:E0001 clasto:evidenceType ?t }", "exactly one ECO"),
    (
        "evidence-type-not-eco",
        "DELETE WHERE { ce:E0001 clasto:evidenceType ?t } ; "
        "INSERT DATA { ce:E0001 clasto:evidenceType obo:GO_0001649 }",
        "exactly one ECO",
    ),
    ("evidence-source-missing", "DELETE WHERE { ce:E0001 dcterms:source ?s }", "cites exactly one study"),
    (
        "evidence-source-not-pubmed",
        "DELETE WHERE { ce:E0001 dcterms:source ?s } ; "
        "INSERT DATA { ce:E0001 dcterms:source <http://example.org/paper> }",
        "cites exactly one study",
    ),
    ("evidence-system-missing", "DELETE WHERE { ce:E0001 clasto:experimentalSystem ?s }", "experimental system"),
    (
        "evidence-system-unknown",
        "INSERT DATA { ce:E0001 clasto:experimentalSystem clasto:InSilico }",
        "experimental system",
    ),
    ("evidence-taxon-missing", "DELETE WHERE { ce:E0001 obo:RO_0002162 ?t }", "in taxon"),
    ("evidence-comment-missing", "DELETE WHERE { ce:E0001 rdfs:comment ?c }", "says what was shown"),
    ("complex-one-subunit", "DELETE WHERE { cx:LIFR-IL6ST obo:BFO_0000051 uniprot:P42702 }", "two or more UniProt"),
    ("complex-label-missing", "DELETE WHERE { cx:LIFR-IL6ST rdfs:label ?l }", "exactly one rdfs:label"),
    ("gene-product-label-missing", "DELETE WHERE { uniprot:Q9Y6N7 rdfs:label ?l }", "exactly one rdfs:label"),
    ("gene-product-taxon-missing", "DELETE WHERE { uniprot:Q9Y6N7 obo:RO_0002162 ?t }", "in taxon"),
    (
        "gene-product-not-uniprot",
        "INSERT DATA { <http://example.org/gene> a clasto:GeneProduct ; "
        'rdfs:label "X" ; obo:RO_0002162 obo:NCBITaxon_9606 }',
        "gene product node is a UniProt IRI",
    ),
]


@pytest.fixture(scope="module")
def shapes() -> Graph:
    return load_shapes(REPO / "shapes" / "clastordf.shacl.ttl")


@pytest.fixture(scope="module")
def good_graph(mini_template, tmp_path_factory) -> Graph:
    out = tmp_path_factory.mktemp("shapes-build")
    result = build(mini_template, out, lambda _: None)
    return result.graph


def test_the_unbroken_graph_conforms(good_graph, shapes):
    assert validate_graph(good_graph, shapes) == []


@pytest.mark.parametrize(("case", "update", "expected"), BREAKAGES, ids=[b[0] for b in BREAKAGES])
def test_each_constraint_rejects_its_breakage(good_graph, shapes, case, update, expected):
    broken = Graph()
    for triple in good_graph:
        broken.add(triple)
    before = set(broken)
    broken.update(PREFIXES + update)
    assert set(broken) != before, f"{case}: the update changed nothing"
    violations = validate_graph(broken, shapes)
    assert any(expected in v.message for v in violations), (case, [str(v) for v in violations])


def test_every_property_shape_with_a_message_has_a_breakage(shapes):
    """A new constraint without a negative test fails here."""
    sh = "http://www.w3.org/ns/shacl#"
    messages = {str(o) for _, p, o in shapes if str(p) == sh + "message"}
    tested = {expected for _, _, expected in BREAKAGES}
    untested = [m for m in messages if not any(t in m for t in tested)]
    assert untested == []


def test_validate_command_reports_violations(good_graph, tmp_path, capsys):
    broken = Graph()
    for triple in good_graph:
        broken.add(triple)
    broken.update(PREFIXES + "DELETE WHERE { ce:E0001 dcterms:source ?s }")
    path = tmp_path / "broken.ttl"
    broken.serialize(path, format="turtle")
    code = main(["--project", str(REPO), "validate", str(path)])
    assert code == 1
    assert "ce:E0001 dcterms:source" in capsys.readouterr().err
    good = tmp_path / "good.ttl"
    good_graph.serialize(good, format="turtle")
    assert main(["--project", str(REPO), "validate", str(good)]) == 0


def test_validate_command_rejects_invalid_turtle(tmp_path, capsys):
    path = tmp_path / "bad.ttl"
    path.write_text("<a> <b> .")
    assert main(["--project", str(REPO), "validate", str(path)]) == 1
    assert "not valid Turtle" in capsys.readouterr().err
