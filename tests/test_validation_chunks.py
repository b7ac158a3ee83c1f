"""Chunked SHACL validation reports exactly what validating the whole graph reports (issue 8).

Three validators are compared: the one the build used before issue 8 (pyshacl on a copy of the
whole graph, every SPARQL query parsed on every call), whole-graph validation with prepared
queries (``chunked=False``) and chunked validation (one focus node per chunk, so that every focus
node is validated apart from every other; and chunks in worker processes). They must agree on the
mini fixture with every breakage of tests/test_shapes.py, on a few more, and on the real dataset.
"""

from __future__ import annotations

import pytest
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF

from clastordf.build import build
from clastordf.curation.model import Loc
from clastordf.validate import shacl as validation
from clastordf.validate.chunks import (
    Chunk,
    NotChunkable,
    Reach,
    analyse_shapes,
    chunks,
    focus_nodes,
    pack,
    unpack,
)
from clastordf.validate.shacl import Violation, load_shapes, validate_graph
from clastordf.vocab import CLASTO

from .conftest import REPO
from .test_shapes import BREAKAGES, PREFIXES

SHAPES_PREFIXES = """
@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix ex: <http://example.org/> .
"""

# Breakages beyond one per constraint: subclasses declared in the data (targets and sh:class go
# through rdfs:subClassOf), a blank-node focus node, and several violations at once.
MORE_BREAKAGES = [
    (
        "evidence-typed-by-subclass",
        "DELETE WHERE { ce:E0001 rdf:type clasto:EvidenceLine } ; "
        "INSERT DATA { ce:E0001 rdf:type <http://example.org/Special> . "
        "<http://example.org/Special> rdfs:subClassOf clasto:EvidenceLine . "
        "ce:E0001 clasto:evidenceType obo:GO_0001649 }",
    ),
    (
        "evidence-typed-by-unknown-class",
        "DELETE WHERE { ce:E0001 rdf:type clasto:EvidenceLine } ; "
        "INSERT DATA { ce:E0001 rdf:type <http://example.org/Special> }",
    ),
    ("blank-gene-product", 'INSERT DATA { [] a clasto:GeneProduct ; rdfs:label "anonymous"@en }'),
    (
        "many-at-once",
        "DELETE WHERE { cf:CF0002 rdfs:label ?l } ; DELETE WHERE { ce:E0001 dcterms:source ?s } ; "
        "INSERT DATA { cf:CF0002-c1 clasto:disputedBy ce:E0002 . cf:CF0001 clasto:hasClaim ce:E0001 }",
    ),
]


def reference(data: Graph, shapes: Graph) -> list[Violation]:
    """Validation as the build ran it before issue 8: pyshacl copies the graph into a plain Graph."""
    plain = Graph()
    plain += data
    return sorted({v for _, v in validation._results(plain, shapes, inplace=False)})


def chunked_in_process(data: Graph, shapes: Graph, chunk_size: int, origins=None) -> list[Violation]:
    out = validate_graph(data, shapes, origins, chunked=True, workers=1, chunk_size=chunk_size)
    assert validation.last_run is not None and validation.last_run.mode == "chunked"
    return out


def broken_copy(graph: Graph, update: str) -> Graph:
    broken = Graph()
    broken += graph
    broken.update(PREFIXES + update)
    return broken


@pytest.fixture(scope="module")
def shapes() -> Graph:
    return load_shapes(REPO / "shapes" / "clastordf.shacl.ttl")


@pytest.fixture(scope="module")
def mini_graph(mini_template, tmp_path_factory) -> Graph:
    return build(mini_template, tmp_path_factory.mktemp("chunks-build"), lambda _: None).graph


@pytest.fixture(scope="module")
def real_graph(real_build_dir) -> Graph:
    """The real release: the facts with the ontology (subclass axioms, blank nodes) as published."""
    return Graph().parse(real_build_dir / "clastordf.ttl", format="turtle")


# ---------------------------------------------------------------------------------------------- equality


def test_the_unbroken_mini_graph_conforms_every_way(mini_graph, shapes):
    assert reference(mini_graph, shapes) == []
    assert validate_graph(mini_graph, shapes, chunked=False) == []
    assert chunked_in_process(mini_graph, shapes, 1) == []


@pytest.mark.parametrize(
    ("case", "update"),
    [(b[0], b[1]) for b in BREAKAGES] + MORE_BREAKAGES,
    ids=[b[0] for b in BREAKAGES] + [b[0] for b in MORE_BREAKAGES],
)
def test_chunks_report_what_the_whole_graph_reports(mini_graph, shapes, case, update):
    broken = broken_copy(mini_graph, update)
    whole = validate_graph(broken, shapes, chunked=False)
    assert whole, case
    assert reference(broken, shapes) == whole, case
    assert chunked_in_process(broken, shapes, 1) == whole, case
    assert chunked_in_process(broken, shapes, 5) == whole, case


def test_origins_are_attached_the_same_way(mini_graph, shapes):
    broken = broken_copy(mini_graph, "DELETE WHERE { cf:CF0002 rdfs:label ?l }")
    origins = {"https://w3id.org/clastordf/fact/CF0002": Loc("facts/x.yaml", 7, "CF0002")}
    whole = validate_graph(broken, shapes, origins, chunked=False)
    assert [v.origin for v in whole] == ["facts/x.yaml:7 CF0002"]
    assert chunked_in_process(broken, shapes, 1, origins) == whole


REAL_BREAKAGES = """
DELETE { ?f rdfs:label ?l } WHERE { ?f a clasto:ClastokineFact ; rdfs:label ?l . FILTER(STRENDS(STR(?f), "5")) } ;
DELETE { ?c clasto:disputedBy ?e } WHERE { ?c clasto:disputedBy ?e . FILTER(STRENDS(STR(?c), "c1")) } ;
INSERT { ?c clasto:supportedBy ?f } WHERE { ?f clasto:hasClaim ?c . FILTER(STRENDS(STR(?c), "7-c2")) } ;
INSERT { ?f clasto:hasClaim ?e } WHERE { ?f clasto:hasClaim/clasto:supportedBy ?e . FILTER(STRENDS(STR(?f), "3")) } ;
DELETE { ?e dcterms:source ?s } WHERE { ?e a clasto:EvidenceLine ; dcterms:source ?s . FILTER(STRENDS(STR(?e), "1")) } ;
INSERT { ?c clasto:disputedBy ?e } WHERE { ?c clasto:supportedBy ?e . FILTER(STRENDS(STR(?c), "2-c1")) } ;
DELETE { ?g obo:RO_0002162 ?t } WHERE { ?g a clasto:GeneProduct ; obo:RO_0002162 ?t . FILTER(STRENDS(STR(?g), "9")) }
"""


def test_real_dataset_conforms_every_way(real_graph, shapes):
    assert validate_graph(real_graph, shapes, chunked=False) == []
    assert chunked_in_process(real_graph, shapes, 7) == []


def test_real_dataset_with_violations_chunked_in_workers(real_graph, shapes):
    broken = broken_copy(real_graph, REAL_BREAKAGES)
    whole = validate_graph(broken, shapes, chunked=False)
    kinds = {v.message for v in whole}
    assert len(whole) > 20 and len(kinds) >= 6, kinds
    assert reference(broken, shapes) == whole
    assert chunked_in_process(broken, shapes, 1) == whole
    in_workers = validate_graph(broken, shapes, chunked=True, workers=2, chunk_size=50)
    run = validation.last_run
    assert run is not None and (run.mode, run.workers) == ("chunked", 2) and run.chunks > 2
    assert in_workers == whole


def test_small_graphs_are_validated_whole_by_default(mini_graph, shapes):
    validate_graph(mini_graph, shapes, workers=2)
    assert validation.last_run is not None and validation.last_run.mode == "whole"


# ---------------------------------------------------------------------------------------------- chunks


def test_every_focus_node_is_owned_by_exactly_one_chunk(real_graph, shapes):
    reach = analyse_shapes(shapes)
    focus = focus_nodes(real_graph, reach)
    assert len(focus) > 300
    owned = [n for chunk in chunks(real_graph, reach, 13) for n in chunk.owned]
    assert len(owned) == len(set(owned)) and set(owned) == set(focus)


def test_a_fact_is_chunked_with_its_claims_and_their_evidence(mini_graph, shapes):
    """Not needed for the results, but for speed: otherwise the claims would be validated, with their
    types only, in the fact's chunk too."""
    reach = analyse_shapes(shapes)
    order = [n for chunk in chunks(mini_graph, reach, 1) for n in chunk.owned]
    fact = URIRef("https://w3id.org/clastordf/fact/CF0001")
    claims = set(mini_graph.objects(fact, CLASTO.hasClaim))
    evidence = {e for c in claims for p in (CLASTO.supportedBy, CLASTO.disputedBy) for e in mini_graph.objects(c, p)}
    # the fact's receptor is a focus node too (a gene product) that the settled-value constraint reaches
    receptors = set(mini_graph.objects(fact, CLASTO.receptor))
    assert claims and evidence and receptors
    start = order.index(fact)
    near = order[start : start + 1 + len(claims) + len(evidence) + len(receptors)]
    assert set(near) == {fact} | claims | evidence | receptors


def test_a_chunk_holds_the_reach_of_its_focus_node(mini_graph, shapes):
    reach = analyse_shapes(shapes)
    claim = URIRef("https://w3id.org/clastordf/fact/CF0001-c1")
    fact = URIRef("https://w3id.org/clastordf/fact/CF0001")
    [chunk] = [c for c in chunks(mini_graph, reach, 1) if c.owned == [fact]]
    assert set(mini_graph.triples((fact, None, None))) <= chunk.triples
    assert (claim, RDF.type, CLASTO.Claim) in chunk.triples  # sh:class on clasto:hasClaim
    disputes = set(mini_graph.triples((claim, CLASTO.disputedBy, None)))
    assert disputes and disputes <= chunk.triples  # the SPARQL constraint's hasClaim/disputedBy
    subject = set(mini_graph.triples((claim, RDF.subject, None)))
    assert subject and not subject & chunk.triples  # the fact's shapes never read a claim's subject


def test_packing_keeps_every_term_exactly():
    from rdflib.namespace import XSD  # here: pytest's collection trips over XSD's attribute checks

    terms = [
        URIRef("http://example.org/ä b"),
        BNode("b0"),
        Literal("plain"),
        Literal("chat", lang="fr"),
        Literal("x", datatype=XSD.string),
        Literal("007", datatype=XSD.integer, normalize=False),
        Literal("7", datatype=XSD.integer),
        Literal("not a date", datatype=XSD.date),
        Literal("2026-11-21", datatype=XSD.date),
        Literal('quote " and \\ and \n', lang="en"),
    ]
    graph = Graph()
    for i, o in enumerate(terms):
        graph.add((BNode("s"), URIRef(f"http://example.org/p{i}"), o))
    chunk = Chunk([BNode("s")], set(graph))
    out = Graph(bind_namespaces="none")
    owned = unpack(pack(chunk, [("ex", "http://example.org/")]), out)
    assert owned == {BNode("s")}
    assert set(out) == set(graph)
    for _, p, o in graph:
        [back] = out.objects(BNode("s"), p)
        assert (str(back), back.language if isinstance(o, Literal) else None) == (
            str(o),
            o.language if isinstance(o, Literal) else None,
        )
        if isinstance(o, Literal):
            assert (back.datatype, back.value, back.ill_typed) == (o.datatype, o.value, o.ill_typed)
    assert dict(out.namespaces())["ex"] == URIRef("http://example.org/")


# ---------------------------------------------------------------------------------------------- shapes


def test_the_shapes_reach_is_what_the_module_docstring_says(shapes):
    reach = analyse_shapes(shapes)
    obo = "http://purl.obolibrary.org/obo/"
    assert reach == Reach(
        target_classes=frozenset(
            {
                CLASTO.ClastokineFact,
                CLASTO.RegulationFact,
                CLASTO.Claim,
                CLASTO.EvidenceLine,
                CLASTO.GeneProduct,
                URIRef(obo + "GO_0032991"),
            }
        ),
        class_predicates=frozenset({CLASTO.hasClaim, CLASTO.supportedBy, CLASTO.disputedBy}),
        sparql_predicates=frozenset(
            {
                CLASTO.contested,
                CLASTO.hasClaim,
                CLASTO.disputedBy,
                CLASTO.mechanism,
                CLASTO.carrier,
                CLASTO.promotes,
                CLASTO.inhibits,
                CLASTO.sourceCellType,
                CLASTO.receptor,
                CLASTO.upregulates,
                CLASTO.downregulates,
                RDF.object,
                CLASTO.evidenceLevel,
                CLASTO.computedEvidenceLevel,
                CLASTO.evidenceLevelReason,
                CLASTO.supportedBy,
                CLASTO.experimentalSystem,
            }
        ),
    )


def sparql_shape(select: str) -> str:
    return f"""ex:p a owl:Ontology ; sh:declare [ sh:prefix "ex" ; sh:namespace "http://example.org/"^^xsd:anyURI ] .
ex:S a sh:NodeShape ; sh:targetClass ex:C ; sh:sparql [ sh:prefixes ex:p ; sh:select \"\"\"{select}\"\"\" ] ."""


ACCEPTED_SPARQL = [
    (
        "SELECT $this WHERE { $this ex:a/ex:b* ?x . ?x ex:c|ex:d ?y . FILTER NOT EXISTS { ?y ex:e ?z } }",
        {"a", "b", "c", "d", "e"},
    ),
    ("SELECT $this WHERE { $this ex:a ?x . FILTER (EXISTS { ?x ex:b ?y . ?y ex:c ex:K }) }", {"a", "b", "c"}),
    ("SELECT DISTINCT $this ?v WHERE { $this ex:a ?v . FILTER (isIRI(?v) && STRLEN(STR(?v)) > 3) }", {"a"}),
    (
        "SELECT $this WHERE { $this ex:a ?v . FILTER NOT EXISTS { $this ex:b ?c . ?c ex:c ?v ; ex:d true } }",
        {"a", "b", "c", "d"},
    ),
]


@pytest.mark.parametrize(("select", "predicates"), ACCEPTED_SPARQL)
def test_sparql_constraints_that_stay_on_paths_from_this(select, predicates):
    shapes = Graph().parse(data=SHAPES_PREFIXES + sparql_shape(select), format="turtle")
    assert analyse_shapes(shapes).sparql_predicates == {URIRef(f"http://example.org/{p}") for p in predicates}


REFUSED_SHAPES = {
    "node-constraint": "ex:S a sh:NodeShape ; sh:targetClass ex:C ; sh:property [ sh:path ex:p ; sh:node ex:T ] .",
    "inverse-path": "ex:S a sh:NodeShape ; sh:targetClass ex:C ; sh:property [ sh:path [ sh:inversePath ex:p ] ] .",
    "sequence-path": "ex:S a sh:NodeShape ; sh:targetClass ex:C ; sh:property [ sh:path ( ex:p ex:q ) ; "
    "sh:minCount 1 ] .",
    "target-node": "ex:S a sh:NodeShape ; sh:targetNode ex:n ; sh:property [ sh:path ex:p ; sh:minCount 1 ] .",
    "target-objects": "ex:S a sh:NodeShape ; sh:targetObjectsOf ex:p ; sh:nodeKind sh:IRI .",
    "implicit-class-target": "ex:S a sh:NodeShape, rdfs:Class ; sh:property [ sh:path ex:p ; sh:minCount 1 ] .",
    "second-hop-in-or": "ex:S a sh:NodeShape ; sh:targetClass ex:C ; sh:property [ sh:path ex:p ; "
    "sh:or ( [ sh:path ex:q ; sh:minCount 1 ] [ sh:datatype xsd:string ] ) ] .",
    "closed-value-node": "ex:S a sh:NodeShape ; sh:targetClass ex:C ; sh:property [ sh:path ex:p ; "
    "sh:or ( [ sh:closed true ] ) ] .",
    "rule": "ex:S a sh:NodeShape ; sh:targetClass ex:C ; sh:rule [ a sh:TripleRule ; sh:subject sh:this ; "
    "sh:predicate ex:p ; sh:object ex:o ] .",
    "qualified": "ex:S a sh:NodeShape ; sh:targetClass ex:C ; sh:property [ sh:path ex:p ; "
    "sh:qualifiedValueShape [ sh:class ex:D ] ; sh:qualifiedMinCount 1 ] .",
    "sparql-on-property-shape": "ex:S a sh:NodeShape ; sh:targetClass ex:C ; sh:property [ sh:path ex:p ; "
    'sh:sparql [ sh:select "SELECT $this WHERE { $this $PATH ?v }" ] ] .',
    "sparql-inverse": sparql_shape("SELECT $this WHERE { $this ^ex:a ?x }"),
    "sparql-this-as-object": sparql_shape("SELECT $this WHERE { ?x ex:a $this }"),
    "sparql-negated": sparql_shape("SELECT $this WHERE { $this !ex:a ?x }"),
    "sparql-variable-predicate": sparql_shape("SELECT $this WHERE { $this ex:a ?x . ?x ?p ?y }"),
    "sparql-constant-subject": sparql_shape("SELECT $this WHERE { ex:K ex:a ?x }"),
    "sparql-union": sparql_shape("SELECT $this WHERE { { $this ex:a ?x } UNION { ?x ex:b ?y } }"),
    "sparql-optional": sparql_shape("SELECT $this WHERE { ?x ex:b ?y OPTIONAL { $this ex:a ?x } }"),
    "sparql-minus": sparql_shape("SELECT $this WHERE { $this ex:a ?x MINUS { ?x ex:b ?y } }"),
    "sparql-subquery": sparql_shape("SELECT $this WHERE { $this ex:a ?x { SELECT ?x WHERE { ?x ex:b ?y } } }"),
    "sparql-graph": sparql_shape("SELECT $this WHERE { GRAPH ?g { $this ex:a ?x } }"),
    "sparql-bound-only-inside-exists": sparql_shape(
        "SELECT $this WHERE { ?x ex:b ?y . FILTER EXISTS { $this ex:a ?x } }"
    ),
    "sparql-ask": 'ex:S a sh:NodeShape ; sh:targetClass ex:C ; sh:sparql [ sh:ask "ASK { $this ex:a ?x }" ] .',
}


@pytest.mark.parametrize("name", sorted(REFUSED_SHAPES))
def test_shapes_whose_reach_cannot_be_bounded_are_refused(name):
    shapes = Graph().parse(data=SHAPES_PREFIXES + REFUSED_SHAPES[name], format="turtle")
    with pytest.raises(NotChunkable):
        analyse_shapes(shapes)


def test_refused_shapes_are_validated_whole(mini_graph):
    text = (
        (REPO / "shapes" / "clastordf.shacl.ttl").read_text()
        + """
cs:EvidenceSource a sh:NodeShape ; sh:targetClass clasto:EvidenceLine ;
    sh:property [ sh:path dcterms:source ; sh:node cs:Anything ] .
cs:Anything a sh:NodeShape ; sh:nodeKind sh:IRI .
"""
    )
    shapes = Graph().parse(data=text, format="turtle")
    broken = broken_copy(mini_graph, "DELETE WHERE { ce:E0001 dcterms:source ?s }")
    out = validate_graph(broken, shapes, chunked=True, workers=1, chunk_size=1)
    run = validation.last_run
    assert run is not None and run.mode == "whole" and "shacl#node" in run.reason
    assert out == validate_graph(broken, shapes, chunked=False) != []
