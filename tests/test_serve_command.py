"""`clastordf serve` decides when to build (never for ``--release``), and reads its settings from
flags and the environment."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode
from urllib.request import Request, urlopen

import pytest

from clastordf.build import build
from clastordf.cli import build_is_stale, main
from clastordf.server.config import ServerConfig

from .conftest import REPO
from .test_server_releases import MARKER, make_release, make_released_build, snapshot


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
    monkeypatch.setenv(
        "CLASTORDF_SERVICE_ALLOWLIST", "https://sparql.uniprot.org/sparql https://query.wikidata.org/sparql"
    )
    config = ServerConfig.from_env(tmp_path, result_limit=7, query_timeout=None)
    assert config.base == "http://example.org/c/"
    assert config.query_timeout == 2.5 and config.result_limit == 7
    assert config.service_allowlist == ("https://sparql.uniprot.org/sparql", "https://query.wikidata.org/sparql")
    assert config.build_dir == Path(tmp_path)


def test_config_release_settings_from_environment(monkeypatch, tmp_path):
    config = ServerConfig.from_env(tmp_path)
    assert config.release is None and config.data_dir == tmp_path
    assert config.releases_root == tmp_path / "release" and config.store_location == tmp_path / "oxigraph"
    monkeypatch.setenv("CLASTORDF_RELEASE", "0.2.0")
    monkeypatch.setenv("CLASTORDF_RELEASES_DIR", str(tmp_path / "published"))
    config = ServerConfig.from_env(tmp_path)
    assert config.data_dir == tmp_path / "published" / "0.2.0"
    assert config.store_location == tmp_path / "published" / ".stores" / "0.2.0"  # never inside the release
    monkeypatch.setenv("CLASTORDF_STORE_DIR", str(tmp_path / "stores" / "x"))
    assert ServerConfig.from_env(tmp_path).store_location == tmp_path / "stores" / "x"
    assert ServerConfig.from_env(tmp_path, release="0.3.0").release == "0.3.0"  # the flag wins
    monkeypatch.setenv("CLASTORDF_RELEASE", "")
    assert ServerConfig.from_env(tmp_path).release is None


def test_serve_unknown_release_lists_the_releases(real_build_dir, tmp_path, capsys):
    build = tmp_path / "build"
    for version in ("0.9.0", "0.10.0"):
        make_release(build / "release", version, {"README.md": f"# {version}\n".encode()})
    code = main(["--project", str(REPO), "serve", "--release", "9.9.9", "--build-dir", str(build)])
    assert code == 2
    err = capsys.readouterr().err
    assert "9.9.9" in err and "0.10.0, 0.9.0" in err
    code = main(["--project", str(REPO), "serve", "--release", "latest", "--build-dir", str(tmp_path / "none")])
    assert code == 2 and "clastordf release --version" in capsys.readouterr().err


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_release_serves_it_without_building(real_build_dir, tmp_path):
    """``clastordf serve --release latest`` under granian: the release's data, no build step (the build
    folder holds nothing but the release, and stays so), no project, the store outside the release folder."""
    released_build = make_released_build(tmp_path / "build", real_build_dir)
    folder = released_build / "release" / "0.1.0"
    before = snapshot(folder)
    port = free_port()
    cli = Path(sys.executable).parent / "clastordf"
    # Run outside any project: serving a release needs none.
    proc = subprocess.Popen(
        [
            str(cli),
            "serve",
            "--release",
            "latest",
            "--build-dir",
            str(released_build),
            "--port",
            str(port),
            "--workers",
            "1",
        ],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        health = wait_for(proc, f"http://127.0.0.1:{port}/health")
        assert health["version"] == "0.1.0"
        query = urlencode({"query": f'ASK {{ ?d <{MARKER}> "release 0.1.0" }}'})
        request = Request(
            f"http://127.0.0.1:{port}/sparql?{query}", headers={"Accept": "application/sparql-results+json"}
        )
        with urlopen(request, timeout=10) as response:  # noqa: S310 - a local test server
            assert json.load(response)["boolean"] is True
        with urlopen(f"http://127.0.0.1:{port}/downloads.json", timeout=10) as response:  # noqa: S310
            assert json.load(response)["release"] == "0.1.0"
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        output = proc.communicate(timeout=20)[0].decode()
    assert "serving release 0.1.0" in output and "building" not in output
    assert sorted(p.name for p in released_build.iterdir()) == ["release"]
    assert snapshot(folder) == before


def wait_for(proc: subprocess.Popen, url: str) -> dict:
    """The JSON at ``url`` once the server answers it (fails with the server's output if it dies)."""
    deadline = time.monotonic() + 60
    while True:
        try:
            with urlopen(url, timeout=2) as response:  # noqa: S310 - a local test server
                return json.load(response)
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            os.killpg(proc.pid, signal.SIGTERM)
            output = proc.communicate(timeout=20)[0].decode()
            pytest.fail(f"clastordf serve --release did not come up:\n{output[-3000:]}")
        time.sleep(0.2)


def test_serve_no_build_serves_a_copied_build_outside_any_checkout(real_build_dir, tmp_path):
    """``clastordf serve --build-dir DIR --no-build`` serves a copy of build/ from a folder with no
    project above it (a deployment that only ships the build), and builds nothing."""
    copy = tmp_path / "copy"
    copy.mkdir()
    for path in real_build_dir.glob("clastordf*"):
        (copy / path.name).write_bytes(path.read_bytes())
    port = free_port()
    cli = Path(sys.executable).parent / "clastordf"
    args = [str(cli), "serve", "--no-build", "--build-dir", str(copy), "--port", str(port), "--workers", "1"]
    proc = subprocess.Popen(
        args, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        health = wait_for(proc, f"http://127.0.0.1:{port}/health")
        assert health["status"] == "ok"
        query = urlencode({"query": "ASK { <https://w3id.org/clastordf/fact/CF0320> ?p ?o }"})
        request = Request(
            f"http://127.0.0.1:{port}/sparql?{query}", headers={"Accept": "application/sparql-results+json"}
        )
        with urlopen(request, timeout=10) as response:  # noqa: S310 - a local test server
            assert json.load(response)["boolean"] is True
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        output = proc.communicate(timeout=20)[0].decode()
    assert "building" not in output and "no clastordf project" not in output


def test_serve_no_build_outside_a_checkout_needs_a_build(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["serve", "--no-build", "--build-dir", str(tmp_path / "empty")]) == 2
    assert "holds no build" in capsys.readouterr().err
