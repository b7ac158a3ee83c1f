"""The documented example queries (queries/*.rq) answer the model's questions on the real dataset."""

from __future__ import annotations

import pyoxigraph
import pytest

from clastordf.pipeline import build

from .conftest import REPO

QUERIES = REPO / "queries"


@pytest.fixture(scope="module")
def store(repo, tmp_path_factory) -> pyoxigraph.Store:
    out = tmp_path_factory.mktemp("queries")
    build(repo, out, lambda _: None)
    st = pyoxigraph.Store()
    st.load(path=str(out / "clastordf.ttl"), format=pyoxigraph.RdfFormat.TURTLE)
    return st


def run(store: pyoxigraph.Store, name: str) -> list[dict[str, str]]:
    solutions = store.query((QUERIES / name).read_text())
    names = [v.value for v in solutions.variables]
    return [{n: (row[n].value if row[n] is not None else None) for n in names} for row in solutions]


def column(rows: list[dict[str, str]], name: str) -> set[str]:
    return {r[name] for r in rows if r[name] is not None}


def test_every_query_file_parses_and_runs(store):
    for path in sorted(QUERIES.glob("*.rq")):
        assert path.read_text().startswith("#"), f"{path.name} starts with the question it answers"
        run(store, path.name)


def test_contested_facts_name_the_disputing_studies(store):
    rows = run(store, "contested-facts.rq")
    pairs = {(r["ligandLabel"], r["studyLabel"]) for r in rows}
    assert ("SLIT3", "Li et al., 2020") in pairs
    assert ("CTHRC1", "Jin et al., 2017") in pairs


def test_lifr_gp130_ligands_are_lif_and_ct1(store):
    assert column(run(store, "lifr-gp130-ligands.rq"), "ligandLabel") == {"LIF", "CTF1"}


def test_s1p_receptors(store):
    rows = run(store, "s1p-receptor-ligands.rq")
    assert column(rows, "receptorLabel") == {"S1PR1", "S1PR2", "S1PR3"}
    assert column(rows, "ligandLabel") == {"sphingosine 1-phosphate"}


def test_vesicle_cargo(store):
    rows = run(store, "vesicle-cargo.rq")
    assert {"TNFRSF11A", "hsa-miR-214-3p"} <= column(rows, "ligandLabel")
    assert "apoptotic body" in column(rows, "carrierLabel")


def test_s1p_export_regulators_and_calcitonin_targets(store):
    rows = run(store, "s1p-export-and-calcitonin.rq")
    assert ("CALCA", "down", "SPNS2") in {(r["regulatorLabel"], r["direction"], r["targetLabel"]) for r in rows}
    assert ("CALCA", "up", "WNT10B") in {(r["regulatorLabel"], r["direction"], r["targetLabel"]) for r in rows}
    assert ("CTSK", "down") in {(r["regulatorLabel"], r["direction"]) for r in rows
                                if r["targetLabel"] == "sphingosine 1-phosphate"}


def test_human_gene_set_uses_ncbi_gene_ids(store):
    rows = run(store, "human-genes-ncbigene.rq")
    genes = {r["symbol"]: r["ncbigene"] for r in rows}
    assert genes["SLIT3"] == "6586"
    assert {"LIFR", "IL6ST"} <= set(genes)  # complex subunits are included
    assert all(v.isdigit() for v in genes.values())


def test_invivo_osteoblast_differentiation_ligands(store):
    rows = run(store, "ocl-ligands-ob-differentiation-invivo.rq")
    ligands = column(rows, "ligand")
    assert "https://identifiers.org/uniprot/P52799" in ligands  # EFNB2 (forward signalling)
    assert all(r["pmids"] for r in rows)


def test_queries_are_documented_in_the_readme():
    readme = (REPO / "queries" / "README.md").read_text()
    for path in QUERIES.glob("*.rq"):
        assert path.name in readme, f"{path.name} is not listed in queries/README.md"




def test_inferred_clastokines_come_with_their_status_class(store):
    rows = run(store, "inferred-clastokines.rq")
    by_ligand = {r["ligandLabel"]: r for r in rows}
    assert by_ligand["LIF"]["kind"] == "EstablishedClastokine"
    assert by_ligand["SLIT3"]["kind"] == "ContestedClastokine"
    assert "SEMA4D" not in by_ligand  # inhibitory: a bone communication factor, not a clastokine
    assert all(r["kind"] == {"Established": "EstablishedClastokine", "Putative": "PutativeClastokine",
                             "Controversial": "ContestedClastokine"}[r["status"]] for r in rows)
