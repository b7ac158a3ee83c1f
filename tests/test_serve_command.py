"""`clastordf serve` decides when to build, and reads its settings from flags and the environment."""

from __future__ import annotations

import os
import time
from pathlib import Path

from clastordf.cli import build_is_stale, main
from clastordf.pipeline import build
from clastordf.server.config import ServerConfig


def test_build_is_stale_when_missing_or_older_than_a_source(mini, tmp_path):
    out = tmp_path / "build"
    assert build_is_stale(mini, out)
    build(mini, out, lambda _: None)
    assert not build_is_stale(mini, out)
    fact = next((mini.curation / "facts").glob("*.yaml"))
    later = time.time() + 5
    os.utime(fact, (later, later))
    assert build_is_stale(mini, out)


def test_serve_no_build_refuses_a_stale_build(mini, tmp_path, capsys):
    code = main(["--project", str(mini.root), "serve", "--no-build", "--build-dir", str(tmp_path / "none")])
    assert code == 2
    assert "--no-build" in capsys.readouterr().err


def test_config_from_environment_and_overrides(monkeypatch, tmp_path):
    monkeypatch.setenv("CLASTORDF_BASE", "http://example.org/c")
    monkeypatch.setenv("CLASTORDF_QUERY_TIMEOUT", "2.5")
    monkeypatch.setenv("CLASTORDF_SERVICE_ALLOWLIST", "https://sparql.uniprot.org/sparql https://query.wikidata.org/sparql")
    config = ServerConfig.from_env(tmp_path, result_limit=7, query_timeout=None)
    assert config.base == "http://example.org/c/"
    assert config.query_timeout == 2.5 and config.result_limit == 7
    assert config.service_allowlist == ("https://sparql.uniprot.org/sparql", "https://query.wikidata.org/sparql")
    assert config.build_dir == Path(tmp_path)
