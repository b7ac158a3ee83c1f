"""The real curation: builds, conforms, is deterministic, and its term index matches the reference."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph
import pytest

from clastordf.build import build
from clastordf.cli import main

from .conftest import REPO


@pytest.fixture(scope="module")
def real_build(real_build_dir) -> Path:
    return real_build_dir / "clastordf.ttl"


def test_real_dataset_builds_and_parses(real_build):
    store = pyoxigraph.Store()
    store.load(path=str(real_build), format=pyoxigraph.RdfFormat.TURTLE)
    facts = list(
        store.query("SELECT (COUNT(?f) AS ?n) WHERE { ?f a <https://w3id.org/clastordf/vocab#ClastokineFact> }")
    )
    assert int(facts[0]["n"].value) >= 30


def test_real_dataset_is_deterministic(repo, real_build_dir, tmp_path):
    build(repo, tmp_path, lambda _: None)
    for path in sorted(p for p in real_build_dir.iterdir() if p.is_file()):
        assert (tmp_path / path.name).read_bytes() == path.read_bytes(), path.name


def test_committed_term_index_matches_reference(repo, shared, capsys):
    code = main(["--project", str(repo.root), "terms", "check", "--reference", str(shared / "reference")])
    assert code == 0, capsys.readouterr().err


def test_bibliography_snapshot_matches_the_review(repo, shared):
    assert repo.bibliography.read_bytes() == (shared / "sources" / "elife-95083-references.tsv").read_bytes()


def test_example_query_from_the_model_answers(real_build, shared):
    """The founders' example question is answered by its successor in queries/.

    The founders' query (shared/docs/model-example) reads ``clasto:status`` and ``producingCellType``,
    which the evidence-semantics rework split into the review category, the evidence level, contest and
    the source cell type; it parses and runs (answering nothing), and the question it asks is answered by
    ``queries/ocl-ligands-ob-differentiation-invivo.rq`` with in-vivo PMIDs."""
    store = pyoxigraph.Store()
    store.load(path=str(real_build), format=pyoxigraph.RdfFormat.TURTLE)
    founders = (shared / "docs" / "model-example" / "query-ocl-ligands-ob-differentiation-invivo.rq").read_text()
    assert "clasto:status" in founders and list(store.query(founders)) == []
    successor = (REPO / "queries" / "ocl-ligands-ob-differentiation-invivo.rq").read_text()
    assert successor.splitlines()[0] == founders.splitlines()[0]  # the same question
    rows = list(store.query(successor))
    assert rows, "no osteoclast ligand with in-vivo support for osteoblast differentiation"
    assert all(row["pmids"].value for row in rows)
