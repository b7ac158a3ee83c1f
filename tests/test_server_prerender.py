"""The page pack (issue 17): every resource page rendered once into the build, served as bytes with a
strong ETag, byte for byte what the live view gives; a pack that is missing, stale or damaged is made
again or ignored, never served; anything it does not hold is rendered live."""

from __future__ import annotations

import dataclasses
import logging
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from clastordf.server import ServerConfig, create_app, prepare_pages, prepare_store
from clastordf.server import prerender as prerendering
from clastordf.server.cache import etag_of
from clastordf.server.pagepack import PACK_EXTENSION, PACK_FILE, PagePack, open_pack, pack_key, write_pack
from clastordf.server.pages import resources

BASE = "https://w3id.org/clastordf/"
FACT = BASE + "fact/CF0200"
CLAIM = BASE + "fact/CF0200-c1"
EVIDENCE = BASE + "evidence/E0100"
GENE = "https://identifiers.org/uniprot/Q9NYA1"
#: What the tests pre-render: a fact, a claim, an evidence line and an entity (the real build has
#: 1,500 resources, 45 s of rendering).
TARGETS = [("path", FACT), ("path", CLAIM), ("path", EVIDENCE), ("entity", GENE)]
ACCEPT = {
    "html": "text/html",
    "ttl": "text/turtle",
    "jsonld": "application/ld+json",
    "nt": "application/n-triples",
    "rdf": "application/rdf+xml",
}


def path_of(route: str, iri: str) -> str:
    return "/" + iri[len(BASE) :] if route == "path" else "/entity?iri=" + iri


def requests_for(route: str, iri: str) -> Iterator[tuple[str, str, dict[str, str]]]:
    """(format, path, headers) of each way to ask for each page of a resource: Accept, extension, ?format=."""
    path = path_of(route, iri)
    sep = "&" if "?" in path else "?"
    for fmt, media in ACCEPT.items():
        yield fmt, path, {"Accept": media}
        yield fmt, f"{path}{sep}format={fmt}", {}
        if route == "path":
            yield fmt, path + ("" if fmt == "html" else f".{fmt}"), {"Accept": "text/html" if fmt == "html" else "*/*"}


def replayed(response) -> tuple[bytes, list[tuple[str, str]]]:
    return response.get_data(), sorted((k, v) for k, v in response.headers.items() if k != "Date")


@pytest.fixture(scope="module")
def packed_config(real_build_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerConfig]:
    """The real build with its own store, whose pack holds the pages of :data:`TARGETS`."""
    config = ServerConfig(real_build_dir, store_dir=tmp_path_factory.mktemp("packed") / "store")
    prepare_store(config.data_dir, config.store_location)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(prerendering, "resources", lambda store, base: TARGETS)
        report = prepare_pages(config, processes=1)
        assert report is not None and report.rendered and report.pages == 20 and report.skipped == 0
        yield config


@pytest.fixture
def only_targets(monkeypatch):
    monkeypatch.setattr(prerendering, "resources", lambda store, base: TARGETS)


@pytest.fixture(scope="module")
def packed_app(packed_config: ServerConfig) -> Flask:
    app = create_app(packed_config)
    assert isinstance(app.extensions[PACK_EXTENSION], PagePack)
    return app


@pytest.fixture(scope="module")
def live_app(packed_config: ServerConfig) -> Flask:
    return create_app(packed_config, page_pack=False)


@pytest.fixture
def no_live_rendering(monkeypatch):
    """A resource page rendered live fails: what answers is the pack."""

    def fail(*args, **kwargs):
        raise AssertionError("rendered live")

    monkeypatch.setattr(resources, "render_resource", fail)


def test_the_pack_holds_every_format_of_a_fact_a_claim_an_evidence_line_and_an_entity(packed_app, live_app):
    packed = {}
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(resources, "render_resource", lambda *a: pytest.fail("rendered live"))
        client = packed_app.test_client()
        for route, iri in TARGETS:
            for fmt, path, headers in requests_for(route, iri):
                packed[path, fmt, tuple(headers.items())] = replayed(client.get(path, headers=headers))
    live = live_app.test_client()
    for (path, fmt, headers), (body, kept) in packed.items():
        response = live.get(path, headers=dict(headers))
        assert response.status_code == 200
        assert response.mimetype == ACCEPT[fmt]
        assert (body, kept) == replayed(response), (path, fmt)


def test_a_packed_page_has_a_strong_etag_and_answers_if_none_match_with_304(packed_app, no_live_rendering):
    client = packed_app.test_client()
    response = client.get("/fact/CF0200.ttl")
    etag = response.headers["ETag"]
    assert etag == f'"{etag_of(response.get_data(), "text/turtle; charset=utf-8")}"'
    assert not etag.startswith("W/")
    again = client.get("/fact/CF0200.ttl", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b""
    assert client.get("/fact/CF0200.ttl", headers={"If-None-Match": '"other"'}).status_code == 200
    head = client.head("/fact/CF0200", headers={"Accept": "text/turtle"})
    assert head.status_code == 200 and head.headers["ETag"] == etag


def test_the_etag_is_the_same_after_a_restart_and_as_the_live_page_caches(packed_config, packed_app, live_app):
    first = packed_app.test_client().get("/fact/CF0200", headers={"Accept": "application/ld+json"})
    restarted = create_app(packed_config)
    again = restarted.test_client().get("/fact/CF0200", headers={"Accept": "application/ld+json"})
    live = live_app.test_client().get("/fact/CF0200", headers={"Accept": "application/ld+json"})
    assert first.headers["ETag"] == again.headers["ETag"] == live.headers["ETag"]
    report = prepare_pages(packed_config, processes=1)
    assert report is not None and not report.rendered  # checked and kept: not rendered again


def test_the_page_cache_keeps_no_second_copy_of_a_packed_page(packed_config):
    app = create_app(packed_config)
    client = app.test_client()
    client.get("/fact/CF0200.ttl")
    client.get("/entity?iri=" + GENE, headers={"Accept": "text/html"})
    assert len(app.extensions["clastordf_page_cache"]) == 0
    client.get("/fact/CF0201.ttl")  # not in the pack: rendered live, and kept
    assert len(app.extensions["clastordf_page_cache"]) == 1


def test_negotiation_redirects_and_404s_are_unchanged(packed_app):
    client = packed_app.test_client()
    assert client.get("/fact/NOPE.ttl").status_code == 404  # rendered live, as before
    assert client.get("/fact/NOPE").status_code == 404
    assert client.get("/fact/CF0200", headers={"Accept": "text/turtle;q=0.5, application/n-triples"}).mimetype == (
        "application/n-triples"
    )
    assert client.get("/fact/CF0200", headers={"Accept": "*/*"}).mimetype == "text/html"
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(resources, "render_resource", lambda *a: pytest.fail("rendered live"))
        assert client.get("/fact/CF0200.html").mimetype == "text/html"
        assert client.get(
            "/fact/CF0200", headers={"Accept": "application/rdf+xml;q=0.9, text/html;q=0.1"}
        ).mimetype == ("application/rdf+xml")
    redirect = client.get("/entity?iri=" + FACT)
    assert redirect.status_code == 303 and redirect.headers["Location"].endswith("/fact/CF0200")


@pytest.mark.parametrize(
    "path, base_url",
    [
        ("/fact/CF0200.ttl?x=1", "http://localhost"),  # another query parameter: the pack never saw it
        ("/fact/CF0200.ttl", "http://localhost/mounted"),  # another mount point: its links differ
        ("/fact/CF0201.ttl", "http://localhost"),  # not in the pack
        ("/entity?iri=" + GENE + "&x=1", "http://localhost"),
    ],
)
def test_what_the_pack_does_not_hold_is_rendered_live(packed_app, live_app, path, base_url):
    calls = []
    render = resources.render_resource

    def counted(*args):
        calls.append(args[0])
        return render(*args)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(resources, "render_resource", counted)
        response = packed_app.test_client().get(path, base_url=base_url)
    assert response.status_code == 200 and len(calls) == 1
    live = live_app.test_client().get(path, base_url=base_url)
    assert replayed(response) == replayed(live)
    if base_url.endswith("/mounted"):
        assert "</mounted/fact/CF0200.nt>" in response.headers["Link"]


def copy_of(config: ServerConfig, tmp_path: Path) -> ServerConfig:
    """``config`` with a copy of its store (and pack) to damage."""
    import shutil

    shutil.copytree(config.store_location, tmp_path / "store")
    return dataclasses.replace(config, store_dir=tmp_path / "store")


def damage_a_body(pack: Path, needle: bytes) -> None:
    """Change one byte of a stored page in place (the file keeps its size and its structure)."""
    data = bytearray(pack.read_bytes())
    at = data.index(needle)
    data[at] = ord("X")
    pack.write_bytes(bytes(data))


def test_a_damaged_page_is_never_served_and_the_pack_is_made_again(packed_config, tmp_path, caplog, only_targets):
    config = copy_of(packed_config, tmp_path)
    pack = config.store_location / PACK_FILE
    good = create_app(config).test_client().get("/fact/CF0200.nt").get_data()
    damage_a_body(pack, b"<https://w3id.org/clastordf/fact/CF0200> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type>")
    with caplog.at_level(logging.WARNING):
        served = create_app(config).test_client().get("/fact/CF0200.nt")
    assert served.status_code == 200 and served.get_data() == good  # rendered live instead
    assert "damaged" in caplog.text
    report = prepare_pages(config, processes=1)
    assert report is not None and report.rendered and "bytes" in (report.problem or "")
    assert open_pack(config.store_location, config.base) is not None


def test_a_pack_that_is_not_a_database_is_ignored_then_made_again(packed_config, tmp_path, caplog, only_targets):
    config = copy_of(packed_config, tmp_path)
    (config.store_location / PACK_FILE).write_bytes(b"not a database" * 100)
    with caplog.at_level(logging.WARNING):
        app = create_app(config)
    assert app.extensions[PACK_EXTENSION] is None and "cannot be read" in caplog.text
    assert app.test_client().get("/fact/CF0200.ttl").status_code == 200
    report = prepare_pages(config, processes=1)
    assert report is not None and report.rendered and "cannot be read" in (report.problem or "")


def test_a_missing_pack_is_made(packed_config, tmp_path, only_targets):
    config = copy_of(packed_config, tmp_path)
    (config.store_location / PACK_FILE).unlink()
    assert create_app(config).extensions[PACK_EXTENSION] is None
    report = prepare_pages(config, processes=1)
    assert report is not None and report.rendered and report.problem is None and report.pages == 20


@pytest.mark.parametrize("field", ["data", "base", "script_root", "code", "layout"])
def test_a_stale_pack_is_not_served_and_is_made_again(packed_config, tmp_path, caplog, only_targets, field):
    config = copy_of(packed_config, tmp_path)
    pack = config.store_location / PACK_FILE
    key = pack_key(config.store_location, config.base)
    assert key is not None
    other = dataclasses.replace(key, **{field: 2 if field == "layout" else "/other"})
    live = create_app(config).test_client().get("/fact/CF0200.ttl").get_data()
    # a pack of other bytes under the other key: served, they would show
    write_pack(pack, other, [])
    with caplog.at_level(logging.WARNING):
        app = create_app(config)
    assert app.extensions[PACK_EXTENSION] is None and "stale" in caplog.text
    assert app.test_client().get("/fact/CF0200.ttl").get_data() == live
    report = prepare_pages(config, processes=1)
    assert report is not None and report.rendered and "rendered" in (report.problem or "")


def test_the_pack_follows_the_data(packed_config, tmp_path, only_targets):
    """A store made from other data has another fingerprint: its old pack is stale."""
    config = copy_of(packed_config, tmp_path)
    stamp = config.store_location / "loaded-from"
    stamp.write_text(stamp.read_text() + " changed")
    assert open_pack(config.store_location, config.base) is None


def test_a_page_that_names_its_host_is_left_to_the_live_view(live_app):
    """A release's named graph is described with the server's absolute SPARQL URL."""
    graph = BASE + "graph/0.1.0"
    entries, skipped = prerendering.render(live_app, [("path", graph), ("path", FACT)])
    assert skipped == 1 and {e.iri for e in entries} == {FACT}


def test_iris_with_no_path_of_their_own_are_skipped(live_app):
    entries, skipped = prerendering.render(live_app, [("path", BASE + "vocab#Fact"), ("path", BASE + "/evil.example")])
    assert entries == [] and skipped == 2


def test_pages_are_rendered_by_an_app_without_a_pack(packed_app):
    with pytest.raises(ValueError, match="pack"):
        prerendering.render(packed_app, [("path", FACT)])


def test_no_pack_with_a_remote_backend(packed_config):
    remote = dataclasses.replace(packed_config, backend="sparql:http://127.0.0.1:9/sparql")
    assert prepare_pages(remote) is None


def test_the_pack_is_read_only_and_indexed(packed_config):
    pack = packed_config.store_location / PACK_FILE
    db = sqlite3.connect(pack)
    plan = db.execute(
        "EXPLAIN QUERY PLAN SELECT body FROM page WHERE iri = ? AND route = ? AND fmt = ?", ("a", "b", "c")
    )
    assert "page_key" in " ".join(str(row) for row in plan)


def test_a_pack_replaced_under_a_running_server_is_not_read(packed_config, tmp_path, caplog):
    """Another server, for other code, renders a new pack in its place: this one's threads read nothing from it."""
    config = copy_of(packed_config, tmp_path)
    app = create_app(config)  # the pack opened (its key checked); no thread has read from it yet
    key = app.extensions[PACK_EXTENSION].key
    live = create_app(config, page_pack=False).test_client().get("/fact/CF0200.ttl").get_data()
    write_pack(config.store_location / PACK_FILE, dataclasses.replace(key, code="other"), [])
    with caplog.at_level(logging.WARNING):
        response = app.test_client().get("/fact/CF0200.ttl")
    assert response.get_data() == live and "changed" in caplog.text
    assert app.extensions[PACK_EXTENSION].stale


def test_a_rendering_that_fails_leaves_every_page_live(packed_config, tmp_path, caplog, monkeypatch):
    config = copy_of(packed_config, tmp_path)
    (config.store_location / PACK_FILE).unlink()

    def broken(*args):
        raise RuntimeError("a rendering process died")
        yield

    monkeypatch.setattr(prerendering, "render_all", broken)
    with caplog.at_level(logging.WARNING):
        assert prepare_pages(config, processes=1) is None
    assert "could not be rendered" in caplog.text
    assert sorted(p.name for p in config.store_location.iterdir() if "pages" in p.name) == []
    assert create_app(config).extensions[PACK_EXTENSION] is None


def test_leftovers_of_a_killed_rendering_are_removed(packed_config, tmp_path, only_targets):
    config = copy_of(packed_config, tmp_path)
    (config.store_location / PACK_FILE).unlink()
    left = config.store_location / ".pages-new-x1y2z3.sqlite"
    left.write_bytes(b"half a pack")
    assert prepare_pages(config, processes=1) is not None
    assert not left.exists()
