"""The rule pass that types facts after HermiT classifies the ontology: it gives HermiT's own answers
(on the real dataset and on altered facts), names contradictions, and steps aside for any ontology
outside the fragment it reads."""

from __future__ import annotations

import doctest
import random

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS

from clastordf.build import build, reasoning_method
from clastordf.cli import main
from clastordf.ontology import fact_typing
from clastordf.ontology.fact_typing import fragment_problems, read_fragment
from clastordf.ontology.reasoning import (
    ABOX_METHOD,
    FACT_PROPERTIES,
    RULES_METHOD,
    ReasoningError,
    _run_hermit,
    classify,
    fact_descriptions,
    facts_abox,
    rule_typing,
)
from clastordf.ontology.slim import import_slim, merged
from clastordf.terms.index import TermIndex
from clastordf.vocab import CF, CLASTO

from .conftest import FIXTURES

OBO = "http://purl.obolibrary.org/obo/"
TURTLE_PREFIXES = """@prefix clasto: <https://w3id.org/clastordf/vocab#> .
@prefix obo: <http://purl.obolibrary.org/obo/> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
"""


@pytest.fixture(scope="module")
def tbox(repo) -> Graph:
    edit = Graph().parse(repo.ontology_edit, format="turtle")
    return merged(edit, import_slim(TermIndex.read(repo.term_index)))


@pytest.fixture(scope="module")
def real_facts(real_build_dir) -> Graph:
    """The real dataset as the reasoner received it: the published graph without its inferred types."""
    graph = Graph().parse(real_build_dir / "clastordf.ttl")
    for node, cls in list(graph.subject_objects(CLASTO.inferredType)):
        graph.remove((node, RDF.type, cls))
    return graph


def test_the_ontology_is_inside_the_fragment(tbox):
    assert fragment_problems(tbox, FACT_PROPERTIES) == []


def test_rules_give_hermits_types_on_the_real_dataset(tbox, real_facts):
    by_rules = classify(tbox, real_facts, method="rules")
    by_hermit = classify(tbox, real_facts, method="abox")
    assert by_rules.method == RULES_METHOD and by_hermit.method == ABOX_METHOD
    assert len(by_rules.types) > 20
    assert by_rules.types == by_hermit.types
    assert by_rules.subclasses == by_hermit.subclasses


#: Fact properties without a domain (any fact may have them), and those with one value as a rule.
NO_DOMAIN = (CLASTO.reviewCategory, CLASTO.evidenceLevel, CLASTO.contested)
ONE_VALUE = (CLASTO.mechanism, *NO_DOMAIN)


def altered(real: Graph, seed: int, count: int = 90) -> Graph:
    """``count`` facts whose values are drawn at random from those of the real facts (and a few
    other CL and GO classes): new combinations of directions, mechanisms, categories, evidence levels,
    contest and effects,
    some with two values of a functional property, some contradicting the ontology."""
    rng = random.Random(seed)  # noqa: S311 -- reproducible test data, not secrets
    pools = {prop: sorted(set(real.objects(None, prop))) for prop in FACT_PROPERTIES}
    extra = sorted(
        {o for o in real.objects() if isinstance(o, URIRef) and str(o).startswith((OBO + "CL_", OBO + "GO_"))}
    )
    graph = Graph()
    for i in range(count):
        fact = CF[f"ALT{seed}-{i:03d}"]
        regulation = rng.random() < 0.1
        graph.add((fact, RDF.type, CLASTO.RegulationFact if regulation else CLASTO.ClastokineFact))
        graph.add((fact, RDFS.label, Literal(f"altered fact {i}")))
        for prop in FACT_PROPERTIES:
            if (prop == CLASTO.cellType) != regulation and prop not in NO_DOMAIN:
                continue  # the properties' domains: every fact would contradict the ontology otherwise
            pool = pools[prop] or extra
            if prop in (*ONE_VALUE, CLASTO.carrier):
                n = rng.choices((0, 1, 2), (0.15 if prop == CLASTO.carrier else 0.02, 0.9, 0.05))[0]
            else:
                n = rng.choices((0, 1, 2), (0.3, 0.5, 0.2))[0]
            for _ in range(n):
                value = rng.choice(extra) if prop not in ONE_VALUE and rng.random() < 0.1 else rng.choice(pool)
                graph.add((fact, prop, value))
    return graph


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_rules_give_hermits_answers_on_altered_facts(tbox, real_facts, seed):
    graph = altered(real_facts, seed)
    rules = read_fragment(tbox, FACT_PROPERTIES)[0]
    typing, _ = rule_typing(tbox, rules, fact_descriptions(graph))
    contradicting = sorted(typing.contradictions)
    assert contradicting, "the altered facts should include some that contradict the ontology"
    assert len(contradicting) < len(typing.types) // 2
    assert not _run_hermit(tbox + facts_abox(graph)).consistent
    for fact in contradicting[:3]:  # each one is inconsistent for HermiT too, on its own
        assert not _run_hermit(tbox + facts_abox(graph, [fact])).consistent, fact
    consistent = graph
    while not typing.consistent:  # drop the culprits, then any facts contradicting only together
        drop = set(typing.contradictions) | set(typing.together)
        consistent = Graph()
        for s, p, o in graph:
            if s not in drop:
                consistent.add((s, p, o))
        graph = consistent
        typing, _ = rule_typing(tbox, rules, fact_descriptions(graph))
    by_rules = classify(tbox, consistent, method="rules")
    by_hermit = classify(tbox, consistent, method="abox")
    assert by_rules.types == by_hermit.types
    assert {c for types in by_rules.types.values() for c in types} >= {
        CLASTO.CouplingFactor,
        CLASTO.Clastokine,
        CLASTO.ReverseSignal,
        CLASTO.BoneCommunicationFactor,
    }


def test_a_value_of_the_wrong_kind_is_named(tbox):
    """A carrier that is a biological process is both a process and (by the range) a component."""
    data = Graph().parse(FIXTURES / "reasoning" / "facts.ttl")
    data.add((CF.TEST01, CLASTO.carrier, URIRef(OBO + "GO_0001649")))
    with pytest.raises(ReasoningError) as err:
        classify(tbox, data, method="rules")
    report = err.value.report()
    assert f"{CF.TEST01} " in report and str(CF.TEST02) not in report
    assert "its clasto:carrier value (obo:GO_0001649) would be both obo:GO_0005575 and obo:GO_0008150" in report
    with pytest.raises(ReasoningError, match="inconsistent"):
        classify(tbox, data, method="abox")


OUTSIDE = {
    "a some restriction as a superclass": "clasto:Extra a owl:Class ; rdfs:subClassOf "
    "[ a owl:Restriction ; owl:onProperty clasto:pathway ; owl:someValuesFrom obo:GO_0008150 ] .",
    "a defined class as a told superclass": "clasto:Extra a owl:Class ; rdfs:subClassOf clasto:CouplingFactor .",
    "a defined class as a range": "clasto:pathway rdfs:range clasto:BoneFormationProcess .",
    "an inverse property": "clasto:promotedBy a owl:ObjectProperty ; owl:inverseOf clasto:promotes .",
    "a transitive fact property": "clasto:producingCellType a owl:TransitiveProperty .",
    "a fact property's super-property": "clasto:how a owl:ObjectProperty . "
    "clasto:mechanism rdfs:subPropertyOf clasto:how .",
    "a complement": "clasto:NotReverse owl:equivalentClass [ a owl:Class ; owl:complementOf clasto:ReverseSignal ] .",
    "an only restriction": "clasto:OnlyProcesses owl:equivalentClass [ a owl:Class ; owl:intersectionOf ( "
    "clasto:ClastokineFact [ a owl:Restriction ; owl:onProperty clasto:promotes ; "
    "owl:allValuesFrom obo:GO_0008150 ] ) ] .",
}


@pytest.mark.parametrize("axiom", OUTSIDE.values(), ids=OUTSIDE.keys())
def test_an_ontology_outside_the_fragment_goes_to_hermit(tbox, axiom):
    extended = Graph()
    extended += tbox
    extended.parse(data=TURTLE_PREFIXES + axiom, format="turtle")
    problems = fragment_problems(extended, FACT_PROPERTIES)
    assert problems
    facts = Graph().parse(FIXTURES / "reasoning" / "facts.ttl")
    inference = classify(extended, facts)
    assert inference.method == ABOX_METHOD and inference.outside_fragment == problems
    assert CLASTO.ReverseSignal in inference.types[CF.TEST02]
    with pytest.raises(ReasoningError, match="outside the rule pass's fragment") as err:
        classify(extended, facts, method="rules")
    assert problems[0] in err.value.report()


def test_a_fact_asserted_of_a_defined_class_goes_to_hermit(tbox):
    facts = Graph().parse(FIXTURES / "reasoning" / "facts.ttl")
    facts.add((CF.TEST01, RDF.type, CLASTO.CouplingFactor))
    inference = classify(tbox, facts)
    assert inference.method == ABOX_METHOD
    assert any("asserted of a fact" in line for line in inference.outside_fragment)
    assert CLASTO.PutativeClastokine in inference.types[CF.TEST01]
    assert CLASTO.CouplingFactor not in inference.types[CF.TEST01]  # asserted, so not inferred
    # asserting a defined class says more than the rules read: this vesicle cargo cannot be secreted
    facts.add((CF.TEST03, RDF.type, CLASTO.Clastokine))
    with pytest.raises(ReasoningError, match="inconsistent") as err:
        classify(tbox, facts)
    assert str(CF.TEST03) in err.value.report()


def test_the_build_chooses_the_method_and_says_which(mini, tmp_path, monkeypatch):
    messages: list[str] = []
    by_rules = build(mini, tmp_path / "rules", messages.append)
    monkeypatch.setenv("CLASTORDF_REASONING", "abox")
    by_hermit = build(mini, tmp_path / "abox", messages.append)
    assert by_rules.inference.types == by_hermit.inference.types and by_rules.inference.types
    activity = URIRef("https://w3id.org/clastordf/dataset/reasoning")
    labels = [
        str(Graph().parse(tmp_path / d / "clastordf-inferred.ttl").value(activity, RDFS.label))
        for d in ("rules", "abox")
    ]
    assert labels[0].startswith(RULES_METHOD) and labels[1].startswith(ABOX_METHOD)
    monkeypatch.setenv("CLASTORDF_REASONING", "fastest")
    with pytest.raises(ReasoningError, match="CLASTORDF_REASONING='fastest' is not a reasoning method"):
        reasoning_method()


def test_a_bad_reasoning_setting_fails_the_build_before_any_work(mini, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("CLASTORDF_REASONING", "fastest")
    assert main(["--project", str(mini.root), "build", "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert "CLASTORDF_REASONING='fastest' is not a reasoning method" in err and "auto, rules, abox" in err
    assert "[parse]" not in err and not (tmp_path / "out").exists()


def test_the_build_says_when_the_ontology_leaves_the_fragment(mini, tmp_path):
    with mini.ontology_edit.open("a", encoding="utf-8") as fh:
        fh.write("\nclasto:promotedBy a owl:ObjectProperty ; owl:inverseOf clasto:promotes .\n")
    messages: list[str] = []
    result = build(mini, tmp_path / "out", messages.append)
    assert result.inference.method == ABOX_METHOD and result.inference.types
    assert any(
        "outside the rule pass's fragment" in m and "inverseOf" in m and "HermiT realises every fact" in m
        for m in messages
    )


def test_doctests():
    assert doctest.testmod(fact_typing).failed == 0


def test_facts_contradicting_only_together_are_listed(tbox):
    """One fact makes a cell type a process (promotes), another a component (carrier): each alone is fine."""
    data = Graph().parse(FIXTURES / "reasoning" / "facts.ttl")
    osteoclast = URIRef(OBO + "CL_0000092")
    data.add((CF.TEST01, CLASTO.promotes, osteoclast))
    data.add((CF.TEST03, CLASTO.carrier, osteoclast))
    with pytest.raises(ReasoningError, match="together") as err:
        classify(tbox, data, method="rules")
    report = err.value.report()
    assert "no single fact is inconsistent on its own" in report
    assert str(CF.TEST01) in report and str(CF.TEST03) in report and str(CF.TEST02) not in report
    with pytest.raises(ReasoningError) as err:
        classify(tbox, data, method="abox")
    assert "no single fact is inconsistent on its own" in err.value.report()


def test_a_definition_over_a_value_is_applied_as_hermit_does(tbox):
    """A value's classes (its own, and the ranges of the properties pointing to it) can satisfy a
    definition of named classes; a fact's `some` restriction over that class then holds."""
    extended = Graph()
    extended += tbox
    extended.parse(
        data=TURTLE_PREFIXES
        + """
        clasto:ProcessCell owl:equivalentClass [ a owl:Class ; owl:intersectionOf ( obo:CL_0000000 obo:GO_0008150 ) ] .
        clasto:Odd owl:equivalentClass [ a owl:Class ; owl:intersectionOf ( clasto:ClastokineFact
            [ a owl:Restriction ; owl:onProperty clasto:promotes ; owl:someValuesFrom clasto:ProcessCell ] ) ] .
        """,
        format="turtle",
    )
    assert fragment_problems(extended, FACT_PROPERTIES) == []
    data = Graph().parse(FIXTURES / "reasoning" / "facts.ttl")
    data.add((CF.TEST02, CLASTO.promotes, URIRef(OBO + "CL_0000092")))
    by_rules = classify(extended, data, method="rules")
    assert CLASTO.Odd in by_rules.types[CF.TEST02] and CLASTO.Odd not in by_rules.types[CF.TEST01]
    assert by_rules.types == classify(extended, data, method="abox").types
