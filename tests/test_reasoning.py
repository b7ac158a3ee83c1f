"""HermiT classification of facts: inferred clastokines, reverse signals, inconsistencies, Java."""

from __future__ import annotations

import pyoxigraph
import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import RDF

from clastordf.build import build
from clastordf.ontology import reasoning
from clastordf.ontology.reasoning import JavaMissing, ReasoningError, classify
from clastordf.ontology.slim import import_slim, merged
from clastordf.terms.index import TermIndex
from clastordf.vocab import CF, CLASTO

from .conftest import FIXTURES


def quiet(_: str) -> None:
    pass


@pytest.fixture(scope="module")
def tbox(repo) -> Graph:
    edit = Graph().parse(repo.ontology_edit, format="turtle")
    return merged(edit, import_slim(TermIndex.read(repo.term_index)))


@pytest.fixture(scope="module")
def fixture_inference(tbox):
    return classify(tbox, Graph().parse(FIXTURES / "reasoning" / "facts.ttl"))


def test_unasserted_clastokine_is_inferred(fixture_inference):
    types = fixture_inference.types[CF.TEST01]
    assert {CLASTO.Clastokine, CLASTO.PutativeClastokine, CLASTO.CouplingFactor} <= types
    assert not types & {CLASTO.ReviewClastokine, CLASTO.ContestedClastokine}


def test_reverse_signal_is_not_a_clastokine(fixture_inference):
    types = fixture_inference.types[CF.TEST02]
    assert CLASTO.ReverseSignal in types
    assert not types & {CLASTO.Clastokine, CLASTO.CouplingFactor, CLASTO.BoneCommunicationFactor}


def test_inhibitory_vesicle_cargo_is_a_bone_communication_factor(fixture_inference):
    types = fixture_inference.types[CF.TEST03]
    assert {CLASTO.VesicleCargo, CLASTO.BoneCommunicationFactor} <= types
    assert CLASTO.CouplingFactor not in types


def test_a_contested_source_makes_a_contested_clastokine_only(fixture_inference):
    types = fixture_inference.types[CF.TEST04]
    assert {CLASTO.ContestedClastokine, CLASTO.ReviewClastokine} <= types
    assert not types & {CLASTO.Clastokine, CLASTO.CouplingFactor}


def test_inferred_hierarchy_of_defined_classes(fixture_inference):
    assert (CLASTO.Clastokine, CLASTO.CouplingFactor) in fixture_inference.subclasses
    assert (CLASTO.MatrixDerivedCouplingFactor, CLASTO.CouplingFactor) in fixture_inference.subclasses
    # the review's categories are not evidence: a putative clastokine need not be a clastokine on settled
    # claims, and a clastokine need not be one of the review's
    assert (CLASTO.PutativeClastokine, CLASTO.Clastokine) not in fixture_inference.subclasses
    assert (CLASTO.Clastokine, CLASTO.ReviewClastokine) not in fixture_inference.subclasses


def test_inconsistent_fixture_fails_and_names_the_facts(tbox):
    with pytest.raises(ReasoningError) as err:
        classify(tbox, Graph().parse(FIXTURES / "reasoning" / "inconsistent.ttl"))
    report = err.value.report()
    assert "inconsistent" in report
    assert str(CF.TEST10) in report and "both clasto:CouplingFactor and clasto:ReverseSignal" in report
    assert str(CF.TEST12) in report and "functional property clasto:mechanism" in report
    assert str(CF.TEST11) not in report


def test_build_fails_on_an_inconsistency_and_keeps_previous_output(mini, tmp_path):
    out = tmp_path / "build"
    build(mini, out, quiet)
    before = {p.name: p.read_bytes() for p in out.glob("clastordf*")}
    with mini.ontology_edit.open("a", encoding="utf-8") as fh:
        fh.write("\nclasto:CouplingFactor owl:disjointWith clasto:ClastokineFact .\n")
    with pytest.raises(ReasoningError, match="inconsistent") as err:
        build(mini, out, quiet)
    report = err.value.report()
    # CF0002 (LIF) is the mini fixture's coupling factor; SLIT3's source is contested, so it is none
    assert str(CF.CF0002) in report and str(CF.CF0001) not in report
    assert "it would be both clasto:ClastokineFact and clasto:CouplingFactor, which are disjoint" in report
    assert "it would be a member of clasto:CouplingFactor, which can have no member" in report
    assert {p.name: p.read_bytes() for p in out.glob("clastordf*")} == before


def test_unsatisfiable_class_fails_the_build(mini, tmp_path):
    with mini.ontology_edit.open("a", encoding="utf-8") as fh:
        fh.write("\nclasto:ReverseSignal rdfs:subClassOf clasto:CouplingFactor .\n")
    with pytest.raises(ReasoningError, match="unsatisfiable") as err:
        build(mini, tmp_path / "build", quiet)
    assert str(CLASTO.ReverseSignal) in err.value.report()


def test_missing_java_says_how_to_proceed(mini, tmp_path, monkeypatch):
    monkeypatch.setattr(reasoning, "java_executable", lambda: None)
    with pytest.raises(JavaMissing, match="Java") as err:
        build(mini, tmp_path / "build", quiet)
    assert "--no-reason" in err.value.report()
    messages = []
    result = build(mini, tmp_path / "build", messages.append, reason=False)
    assert any("reasoning skipped" in m for m in messages)
    assert not (tmp_path / "build" / "clastordf-inferred.ttl").exists()
    assert not result.inference.types


def test_real_dataset_publishes_inferred_classes_for_plain_sparql(real_build_dir):
    store = pyoxigraph.Store()
    store.load(path=str(real_build_dir / "clastordf.ttl"), format=pyoxigraph.RdfFormat.TURTLE)

    def members(cls: str) -> set[str]:
        rows = store.query(f"SELECT ?x WHERE {{ ?x a <{CLASTO[cls]}> }}")
        return {row["x"].value.rsplit("/", 1)[1] for row in rows}

    clastokines = members("Clastokine")
    assert {"CF0200", "CF0300", "CF0303", "CF0222"} <= clastokines  # S1P, LIF, CT-1, WNT10B
    assert {"CF0221", "CF0111", "CF0116"} <= members("ReverseSignal")
    assert not clastokines & members("ReverseSignal")
    assert {"CF0114", "CF0115", "CF0501"} <= members("BoneCommunicationFactor")  # SEMA4D, miR-214-3p
    assert "CF0114" not in members("CouplingFactor")
    assert {"CF0100", "CF0104", "CF0602"} == members("MatrixDerivedCouplingFactor")  # TGF-β1, IGF-1, PDGF-BB
    assert {"CF0500", "CF0501", "CF0502", "CF0503"} == members("VesicleCargo")
    # CTHRC1, SLIT3, PDGF-BB, and S1P (the review questions its in vivo anabolic mode, s8)
    assert {"CF0200", "CF0210", "CF0320", "CF0405"} == members("ContestedClastokine")
    # every inferred type is marked, and no asserted type is
    unmarked = list(
        store.query(f"""SELECT ?x ?t WHERE {{ ?x a ?t .
        FILTER(?t IN (<{CLASTO.Clastokine}>, <{CLASTO.CouplingFactor}>, <{CLASTO.ReverseSignal}>))
        FILTER NOT EXISTS {{ ?x <{CLASTO.inferredType}> ?t }} }}""")
    )
    assert unmarked == []
    assert not bool(store.query(f"ASK {{ ?x <{CLASTO.inferredType}> <{CLASTO.ClastokineFact}> }}"))


def test_inferred_file_carries_provenance(real_build_dir):
    g = Graph().parse(real_build_dir / "clastordf-inferred.ttl")
    activity = URIRef("https://w3id.org/clastordf/dataset/reasoning")
    assert (activity, RDF.type, URIRef("http://www.w3.org/ns/prov#Activity")) in g
    assert "HermiT" in str(g.value(activity, URIRef("http://www.w3.org/2000/01/rdf-schema#label")))
    assert set(g.objects(None, CLASTO.inferredType)) <= {
        CLASTO[c]
        for c in (
            "Clastokine",
            "ReviewClastokine",
            "PutativeClastokine",
            "ContestedClastokine",
            "CouplingFactor",
            "MatrixDerivedCouplingFactor",
            "ContactCouplingSignal",
            "BoneCommunicationFactor",
            "VesicleCargo",
            "ReverseSignal",
        )
    }
