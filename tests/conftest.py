"""Shared fixtures: the repository, the pinned reference files, and throw-away projects."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from clastordf.build import build, import_slim_text
from clastordf.curation.reader import read_curation
from clastordf.ontology.reasoning import java_executable
from clastordf.ontology.slim import ontology_curies
from clastordf.project import Project
from clastordf.terms.reference import Reference
from clastordf.terms.refresh import build_index

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("CLASTORDF_SHARED", REPO.parent / "shared"))
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def pytest_configure(config: pytest.Config) -> None:
    if java_executable() is None:
        raise pytest.UsageError(
            "the build reasons with HermiT, which needs Java: install a JRE "
            "(Debian: apt-get install default-jre-headless; .ci/run does) or set JAVA_HOME"
        )


@pytest.fixture(scope="session")
def repo() -> Project:
    return Project(REPO)


@pytest.fixture(scope="session")
def real_build_dir(repo: Project, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real curation, built once per test session."""
    out = tmp_path_factory.mktemp("real")
    build(repo, out, lambda _: None)
    return out


@pytest.fixture(scope="session")
def real_release(repo: Project, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real curation released (``clastordf release``) once per test session."""
    from clastordf.release.make import make_release

    version = read_curation(repo.curation).dataset.version
    return make_release(
        repo, version, tmp_path_factory.mktemp("real-release"), build=build, progress=lambda _: None
    ).path


@pytest.fixture(scope="session")
def shared() -> Path:
    if not (SHARED / "reference").is_dir():
        pytest.skip(f"the shared folder is not at {SHARED} (set CLASTORDF_SHARED)")
    return SHARED


@pytest.fixture(scope="session")
def reference(shared: Path) -> Reference:
    return Reference(shared / "reference")


def make_project(dest: Path, curation: Path) -> Project:
    """A project at ``dest`` with the repository's shapes and ontology and the given curation."""
    shutil.copytree(curation, dest / "curation")
    shutil.copytree(REPO / "shapes", dest / "shapes")
    (dest / "ontology" / "imports").mkdir(parents=True)
    shutil.copyfile(REPO / "ontology" / "clastordf-edit.ttl", dest / "ontology" / "clastordf-edit.ttl")
    return Project(dest)


def refresh(project: Project, reference: Reference) -> None:
    result = build_index(read_curation(project.curation), reference, ontology_curies(project.ontology_edit))
    project.term_index.write_text(result.index.to_tsv(), encoding="utf-8")
    project.import_slim.write_text(import_slim_text(result.index), encoding="utf-8")


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


@pytest.fixture(scope="session")
def server_config(real_build_dir: Path):
    from clastordf.server.config import ServerConfig

    return ServerConfig(real_build_dir, query_timeout=3.0, result_limit=500, max_request_bytes=20_000)


@pytest.fixture(scope="session")
def app(server_config):
    """The real app over the real build (one per session: executors are processes)."""
    from clastordf.server import create_app

    return create_app(server_config)


@pytest.fixture
def client(app):
    return app.test_client()
