"""A damaged store is never served (issue 16, item 8): it is made again from the data, or refused in
one line; and ``/health`` says whether the store still answers, and how much memory the worker uses."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

from clastordf.cli import main
from clastordf.server import ServerConfig, StoreError, create_app, prepare_store, state
from clastordf.server.pages.home import process_memory
from clastordf.server.store import MANIFEST_FILE, check_store, open_store

from .conftest import REPO

DATA = '<https://w3id.org/clastordf/dataset> <http://purl.org/pav/version> "1" .\n' + "".join(
    f'<urn:s{i}> <urn:p> "value {i}" .\n' for i in range(2000)
)


@pytest.fixture
def store(tmp_path: Path) -> tuple[Path, Path]:
    """(data folder, store folder) of a small store, made."""
    data = tmp_path / "data"
    data.mkdir()
    (data / "clastordf.ttl").write_text(DATA, encoding="utf-8")
    return data, prepare_store(data, tmp_path / "stores" / "1")


def damage(store_dir: Path) -> Path:
    """Overwrite bytes in the middle of the store's largest table file (its size stays the same)."""
    sst = max((store_dir / "db").glob("*.sst"), key=lambda p: p.stat().st_size)
    with sst.open("r+b") as f:
        f.seek(sst.stat().st_size // 2)
        f.write(b"\xff" * 64)
    return sst


def test_a_made_store_passes_its_check(store):
    _, store_dir = store
    check = check_store(store_dir)
    assert check.ok and check.quads == 2001 and check.files
    assert (store_dir / MANIFEST_FILE).is_file()


def test_a_damaged_store_is_found_and_made_again(store, caplog):
    data, store_dir = store
    stamp = (store_dir / "loaded-from").read_text()
    sst = damage(store_dir)
    found = check_store(store_dir)
    assert not found.ok and sst.name in (found.problem or "")
    with caplog.at_level(logging.WARNING, logger="clastordf.server.store"):
        assert prepare_store(data, store_dir) == store_dir
    assert f"the store at {store_dir} cannot be served (db/{sst.name}" in caplog.text
    assert check_store(store_dir).ok and (store_dir / "loaded-from").read_text() == stamp
    assert len(open_store(store_dir)) == 2001


def test_a_store_missing_a_file_or_its_manifest_is_made_again(store):
    data, store_dir = store
    next((store_dir / "db").glob("*.sst")).unlink()
    assert "missing" in (check_store(store_dir).problem or "")
    prepare_store(data, store_dir)
    (store_dir / MANIFEST_FILE).unlink()  # a store made before stores had manifests
    assert "no manifest" in (check_store(store_dir).problem or "")
    prepare_store(data, store_dir)
    assert check_store(store_dir).ok


def test_a_damaged_store_that_cannot_be_made_again_is_refused_in_one_line(store, monkeypatch):
    data, store_dir = store
    damage(store_dir)

    def disk_full(*args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("clastordf.server.store._load", disk_full)
    with pytest.raises(StoreError) as refused:
        prepare_store(data, store_dir)
    message = str(refused.value)
    assert f"the store at {store_dir} could not be made" in message and "No space left on device" in message
    assert f"delete {store_dir}" in message and "\n" not in message
    assert isinstance(refused.value, FileNotFoundError)  # the command line's one-line error, exit 2


def test_serve_with_a_damaged_store_it_cannot_remake_exits_2_without_a_traceback(
    real_build_dir, tmp_path, monkeypatch, capsys
):
    store_dir = prepare_store(real_build_dir, tmp_path / "store")
    damage(store_dir)
    monkeypatch.setenv("CLASTORDF_STORE_DIR", str(store_dir))

    def disk_full(*args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("clastordf.server.store._load", disk_full)
    code = main(["--project", str(REPO), "serve", "--no-build", "--build-dir", str(real_build_dir)])
    err = capsys.readouterr().err
    assert code == 2 and f"error: the store at {store_dir} could not be made" in err and "Traceback" not in err


def test_an_app_never_opens_a_damaged_store(real_build_dir, tmp_path):
    store_dir = prepare_store(real_build_dir, tmp_path / "store")
    damage(store_dir)
    app = create_app(ServerConfig(real_build_dir, store_dir=store_dir))
    with app.app_context():
        assert state().store_check is not None and state().store_check.ok
    health = app.test_client().get("/health")
    assert health.status_code == 200 and health.get_json()["store"]["check"] == "ok"


# -- /health ------------------------------------------------------------------------------------------


def test_health_reports_the_store_check_a_query_and_memory(client):
    body = client.get("/health").get_json()
    assert body["status"] == "ok"
    store = body["store"]
    assert store["check"] == "ok" and store["files"] == "unchanged" and store["query"] == "ok"
    assert store["quads"] == body["triples"] > 5000 and store["query_ms"] >= 0 and store["checked"].endswith("+00:00")
    memory = body["memory"]
    assert memory["worker_rss_bytes"] > 10_000_000 and memory["worker_peak_rss_bytes"] >= memory["worker_rss_bytes"]
    assert set(memory["caches"]) == {"pages", "answers"}
    assert all(isinstance(c["entries"], int) for c in memory["caches"].values())


def test_health_is_503_when_the_stores_files_change_under_it(real_build_dir, tmp_path):
    store_dir = prepare_store(real_build_dir, tmp_path / "store")
    client = create_app(ServerConfig(real_build_dir, store_dir=store_dir)).test_client()
    assert client.get("/health").status_code == 200
    sst = damage(store_dir)
    health = client.get("/health")
    assert health.status_code == 503
    body = health.get_json()
    assert body["status"] == "error" and sst.name in body["error"] and sst.name in body["store"]["files"]


def test_health_is_503_with_the_store_report_when_a_query_fails(app):
    with app.app_context():
        st = state()
        real = st.store

        class Broken:
            def query(self, *args, **kwargs):
                raise OSError("Corruption: block checksum mismatch")

        st.store = Broken()  # type: ignore[assignment]
        try:
            r = app.test_client().get("/health")
        finally:
            st.store = real
    body = r.get_json()
    assert r.status_code == 503 and body["status"] == "error" and "checksum mismatch" in body["error"]
    assert body["store"]["query"] == "failed" and body["memory"]["worker_rss_bytes"] > 0


def test_process_memory_reads_proc_status(tmp_path):
    status = tmp_path / "status"
    status.write_text("Name:\tgunicorn\nVmHWM:\t  204800 kB\nVmRSS:\t  102400 kB\nThreads:\t4\n")
    assert process_memory(status) == (102400 * 1024, 204800 * 1024)
    assert process_memory(tmp_path / "none") == (None, None)
    if os.path.exists("/proc/self/status"):
        rss, peak = process_memory()
        assert rss and peak and peak >= rss


def test_health_reports_the_executors_memory_once_a_query_started_them(client):
    query = client.get(
        "/sparql", query_string={"query": "ASK { ?s ?p ?o }"}, headers={"Accept": "application/sparql-results+json"}
    )
    assert query.status_code == 200
    executors = client.get("/health").get_json()["memory"]["executors"]
    assert executors["processes"] >= 1 and executors["rss_bytes"] > 1_000_000
    assert executors["limit_bytes"] is None or executors["limit_bytes"] > 100 * 2**20
