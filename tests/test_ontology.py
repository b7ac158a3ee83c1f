"""The OWL ontology: declarations, labels, identifier checks, import slim and release artifacts."""

from __future__ import annotations

import shutil

import owlready2
import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS

from clastordf.build import check_import_slim
from clastordf.ontology.slim import (
    IMPORT_IRI,
    VOCAB_IRI,
    check_ontology,
    external_properties,
    import_slim,
    ontology_curies,
    version_iri,
)
from clastordf.rdfio.rdfxml import serialize_rdfxml
from clastordf.rdfio.turtle import serialize
from clastordf.terms.index import Term, TermIndex
from clastordf.vocab import CLASTO, OBO, PREFIXES


@pytest.fixture(scope="module")
def owl_graph(real_build_dir) -> Graph:
    return Graph().parse(real_build_dir / "clastordf.owl", format="xml")


@pytest.fixture(scope="module")
def data_graph(real_build_dir) -> Graph:
    return Graph().parse(real_build_dir / "clastordf.ttl", format="turtle")


def test_release_owl_opens_in_owlready2(real_build_dir):
    world = owlready2.World()
    onto = world.get_ontology((real_build_dir / "clastordf.owl").as_uri()).load()
    names = {c.name for c in onto.classes()}
    assert {"Clastokine", "PutativeClastokine", "ReverseSignal", "VesicleCargo"} <= names
    assert world["http://purl.obolibrary.org/obo/CL_0000092"].label == ["osteoclast"]
    sup = world[str(CLASTO.supportedBy)]
    assert world["http://purl.obolibrary.org/obo/RO_0002558"] in sup.is_a


def test_release_owl_has_version_license_creators_and_no_imports(owl_graph, repo):
    from clastordf.curation.reader import read_curation

    version = read_curation(repo.curation).dataset.version
    assert (VOCAB_IRI, OWL.versionIRI, version_iri(version)) in owl_graph
    assert (
        VOCAB_IRI,
        URIRef("http://purl.org/dc/terms/license"),
        URIRef("http://creativecommons.org/publicdomain/zero/1.0/"),
    ) in owl_graph
    assert owl_graph.value(VOCAB_IRI, URIRef("http://purl.org/dc/terms/creator")) is not None
    assert (VOCAB_IRI, OWL.imports, None) not in owl_graph  # imports merged: opens offline


def test_vocab_release_keeps_the_import_reference(real_build_dir):
    vocab = Graph().parse(real_build_dir / "clastordf-vocab.ttl")
    assert (VOCAB_IRI, OWL.imports, IMPORT_IRI) in vocab
    assert (CLASTO.Clastokine, RDFS.subClassOf, CLASTO.CouplingFactor) in vocab  # inferred, materialised


def test_every_clasto_iri_in_the_data_is_declared(owl_graph, data_graph):
    declared = {s for s in owl_graph.subjects(RDF.type, None)}
    used = {n for triple in data_graph for n in triple if isinstance(n, URIRef) and str(n).startswith(str(CLASTO))}
    assert sorted(used - declared) == []


def test_no_undeclared_property_in_ontology_or_data(owl_graph, data_graph):
    assert sorted(external_properties(owl_graph)) == []
    whole = owl_graph + data_graph
    assert sorted(external_properties(whole)) == []


def test_every_clasto_term_has_label_and_definition(owl_graph):
    for s in set(owl_graph.subjects(RDF.type, None)):
        if isinstance(s, URIRef) and str(s).startswith(str(CLASTO)):
            if (s, RDF.type, URIRef("http://www.w3.org/2004/02/skos/core#Concept")) in owl_graph:
                continue
            if (s, RDF.type, URIRef("http://www.w3.org/2004/02/skos/core#ConceptScheme")) in owl_graph:
                continue
            assert owl_graph.value(s, RDFS.label) is not None, s
            assert owl_graph.value(s, OBO.IAO_0000115) is not None, s


def test_class_labels_are_unique(owl_graph):
    seen: dict[str, URIRef] = {}
    for cls in owl_graph.subjects(RDF.type, OWL.Class):
        for label in owl_graph.objects(cls, RDFS.label):
            key = str(label).lower()
            assert seen.setdefault(key, cls) == cls, f"{label!r}: {cls} and {seen[key]}"


def test_ontology_passes_identifier_checks(repo):
    assert check_ontology(repo.ontology_edit, TermIndex.read(repo.term_index)) == []


def test_import_slim_is_committed_and_current(repo):
    assert check_import_slim(repo, TermIndex.read(repo.term_index)) == []
    slim = Graph().parse(repo.import_slim, format="xml")
    assert (OBO.CL_0000778, RDFS.subClassOf, OBO.CL_0000092) in slim
    assert (OBO.CL_0000092, RDFS.label, Literal("osteoclast")) in slim


def test_ontology_terms_are_in_the_term_index(repo):
    index = TermIndex.read(repo.term_index)
    assert sorted(c for c in ontology_curies(repo.ontology_edit) if c not in index) == []


@pytest.mark.parametrize(
    "line, message",
    [
        (
            "clasto:X a owl:Class ; rdfs:subClassOf obo:CL_0000092 .  # ! osteoblast",
            "label 'osteoblast' does not match 'osteoclast'",
        ),
        ("clasto:X a owl:Class ; rdfs:subClassOf obo:CL_0000092 .", "missing `# ! osteoclast` comment"),
        ("clasto:X a owl:Class ; rdfs:subClassOf obo:CL_9999999 .  # ! nothing", "not in the term index"),
        (
            "clasto:X a owl:Class ; owl:disjointWith obo:CL_0000092 , obo:CL_0000062 .  # ! osteoclast",
            "one external term per line",
        ),
        ("clasto:X a owl:Class ; rdfs:subClassOf clasto:Undeclared .", "used but not declared"),
        ('clasto:X a owl:Class ; rdfs:label "clastokine"@en .', "is also the label of"),
    ],
)
def test_ontology_check_catches(repo, tmp_path, line, message):
    edit = tmp_path / "clastordf-edit.ttl"
    shutil.copyfile(repo.ontology_edit, edit)
    with edit.open("a", encoding="utf-8") as fh:
        fh.write("\n" + line + "\n")
    problems = check_ontology(edit, TermIndex.read(repo.term_index))
    assert any(message in p.message for p in problems), [str(p) for p in problems]
    assert all(p.file == str(edit) and p.line > 0 for p in problems if message in p.message)


def test_obsolete_term_names_its_replacement(repo, tmp_path):
    committed = TermIndex.read(repo.term_index)
    obsolete = Term("CL:0000999", "old osteoclast", "cell", obsolete=True, replaced_by="CL:0000092")
    index = TermIndex([*committed.terms.values(), obsolete])
    edit = tmp_path / "clastordf-edit.ttl"
    shutil.copyfile(repo.ontology_edit, edit)
    with edit.open("a", encoding="utf-8") as fh:
        fh.write("\nclasto:X a owl:Class ; rdfs:subClassOf obo:CL_0000999 .  # ! old osteoclast\n")
    problems = check_ontology(edit, index)
    assert any("obsolete term; use CL:0000092" in p.message for p in problems), [str(p) for p in problems]


def test_writers_round_trip_the_ontology(repo):
    """Each writer's output parses back to the same graph (compared through the canonical Turtle
    writer, which renders blank nodes by their content, not their ids)."""
    edit = Graph().parse(repo.ontology_edit, format="turtle")
    whole = edit + import_slim(TermIndex.read(repo.term_index))
    expected = serialize(whole, PREFIXES)
    xml = serialize_rdfxml(whole, PREFIXES)
    assert serialize(Graph().parse(data=xml, format="xml"), PREFIXES) == expected
    assert serialize(Graph().parse(data=expected, format="turtle"), PREFIXES) == expected
    assert serialize_rdfxml(Graph().parse(data=xml, format="xml"), PREFIXES) == xml


def test_ontology_page_shows_tree_and_definitions(real_build_dir):
    page = (real_build_dir / "clastordf-ontology.html").read_text(encoding="utf-8")
    assert '<li id="Clastokine">' in page and '<li id="PutativeClastokine">' in page
    # the tree nests Clastokine under CouplingFactor
    assert page.index('id="CouplingFactor"') < page.index('id="Clastokine"')
    assert "only limited data are currently available" in page
    assert "mechanism</a> value" in page and "source cell type</a> some" in page
    assert "review category</a> value" in page
