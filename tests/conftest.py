"""Shared fixtures: the repository, the pinned reference files, and throw-away projects."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from clastordf.curation import read_curation
from clastordf.project import Project
from clastordf.reference import Reference
from clastordf.terms import build_index

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("CLASTORDF_SHARED", REPO.parent / "shared"))
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(scope="session")
def repo() -> Project:
    return Project(REPO)


@pytest.fixture(scope="session")
def shared() -> Path:
    if not (SHARED / "reference").is_dir():
        pytest.skip(f"the shared folder is not at {SHARED} (set CLASTORDF_SHARED)")
    return SHARED


@pytest.fixture(scope="session")
def reference(shared: Path) -> Reference:
    return Reference(shared / "reference")


def make_project(dest: Path, curation: Path) -> Project:
    """A project at ``dest`` with the repository's shapes and vocabulary and the given curation."""
    shutil.copytree(curation, dest / "curation")
    shutil.copytree(REPO / "shapes", dest / "shapes")
    (dest / "ontology" / "imports").mkdir(parents=True)
    shutil.copyfile(REPO / "ontology" / "clastordf-vocab.ttl", dest / "ontology" / "clastordf-vocab.ttl")
    return Project(dest)


def refresh(project: Project, reference: Reference) -> None:
    result = build_index(read_curation(project.curation), reference)
    project.term_index.write_text(result.index.to_tsv(), encoding="utf-8")


@pytest.fixture(scope="session")
def mini_template(tmp_path_factory: pytest.TempPathFactory, reference: Reference) -> Project:
    project = make_project(tmp_path_factory.mktemp("mini-template"), FIXTURES / "mini" / "curation")
    refresh(project, reference)
    return project


@pytest.fixture
def mini(tmp_path: Path, mini_template: Project) -> Project:
    """A fresh, writable copy of the mini fixture project with its term index."""
    dest = tmp_path / "project"
    shutil.copytree(mini_template.root, dest)
    return Project(dest)
