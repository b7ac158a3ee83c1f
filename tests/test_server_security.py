"""What a hostile request cannot do (issue 16): put another host's name into a cached page (a forged
``Host``), run script through a link made from the data or a query's answer, frame the site, or make
it redirect to another site."""

from __future__ import annotations

import re

import pytest

BASE = "https://w3id.org/clastordf/"
EVIL = "evil.example"


def text(response) -> str:
    return response.get_data(as_text=True)


def everything(response) -> str:
    """A response's body and headers, where a forged host could show."""
    return text(response) + "\n" + "\n".join(f"{k}: {v}" for k, v in response.headers.items())


# -- the Host header --------------------------------------------------------------------------------

#: Responses with absolute URLs (JSON twins, VoID, the query page's twin, Link headers, the SPARQL
#: service description).
ABSOLUTE_URLS = ("/facts.json", "/.well-known/void", "/query?format=json", "/downloads.json", "/", "/sparql")


@pytest.mark.parametrize("path", ABSOLUTE_URLS)
def test_a_forged_host_is_refused_and_leaves_nothing_in_the_cache(client, path):
    forged = client.get(path, headers={"Host": EVIL})
    assert forged.status_code == 400 and forged.mimetype == "text/plain"
    assert "CLASTORDF_TRUSTED_HOSTS" in text(forged)
    later = client.get(path)  # what the next visitor gets, from the page cache or not
    assert later.status_code == 200 and EVIL not in everything(later)
    if path != "/":  # the home page's links are paths
        assert "http://localhost/" in everything(later)  # the host asked of, not the forged one


def test_a_forged_host_with_a_port_or_odd_characters_is_refused(client):
    for host in (f"{EVIL}:80", "localhost.evil.example", "localhost@evil.example", "127.0.0.1.evil.example"):
        assert client.get("/facts.json", headers={"Host": host}).status_code == 400, host


def test_loopback_names_are_trusted_with_any_port(client):
    for host in ("localhost", "localhost:8000", "127.0.0.1:5000", "[::1]:8080"):
        r = client.get("/query?format=json", headers={"Host": host})
        assert r.status_code == 200, host
        assert r.get_json()["endpoint"] == f"http://{host}/sparql"


def test_x_forwarded_host_is_ignored_without_proxy_hops(client):
    r = client.get("/.well-known/void", headers={"X-Forwarded-Host": EVIL})
    assert r.status_code == 200 and EVIL not in everything(r)


@pytest.fixture(scope="module")
def proxied(real_build_dir):
    """An app behind one proxy, answering for data.example.org (and its subdomains)."""
    from clastordf.server import ServerConfig, create_app

    config = ServerConfig(real_build_dir, proxy_hops=1, trusted_hosts=(".data.example.org",))
    return create_app(config).test_client()


def test_behind_a_proxy_the_forwarded_host_must_be_trusted(proxied):
    forwarded = {"X-Forwarded-Host": "data.example.org", "X-Forwarded-Proto": "https"}
    r = proxied.get("/.well-known/void", headers=forwarded)
    assert r.status_code == 200 and "<https://data.example.org/sparql>" in text(r)
    sub = proxied.get("/query?format=json", headers={**forwarded, "X-Forwarded-Host": "www.data.example.org"})
    assert sub.get_json()["endpoint"] == "https://www.data.example.org/sparql"
    assert proxied.get("/.well-known/void", headers={**forwarded, "X-Forwarded-Host": EVIL}).status_code == 400
    plain = proxied.get("/.well-known/void")  # the proxy's own check, on loopback
    assert plain.status_code == 200 and EVIL not in text(plain) and "data.example.org" not in text(plain)


def test_the_base_host_is_trusted(real_build_dir):
    from clastordf.server import ServerConfig, create_app

    client = create_app(ServerConfig(real_build_dir, base="http://example.org/clastordf/")).test_client()
    assert client.get("/query?format=json", headers={"Host": "example.org"}).status_code == 200
    assert client.get("/query?format=json", headers={"Host": "example.net"}).status_code == 400


def test_trusted_hosts_from_the_environment(monkeypatch, tmp_path):
    from clastordf.server import ServerConfig

    monkeypatch.setenv("CLASTORDF_TRUSTED_HOSTS", "data.example.org  .mirror.example.net")
    assert ServerConfig.from_env(tmp_path).trusted_hosts == ("data.example.org", ".mirror.example.net")


# -- headers on every response ----------------------------------------------------------------------


def assert_security_headers(r, what: str) -> None:
    csp = r.headers.get("Content-Security-Policy", "")
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";") if d.strip())
    assert directives.get("frame-ancestors") == "'none'", what
    assert directives.get("script-src") == "'self'" and directives.get("default-src") == "'none'", what
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, what
    assert r.headers.get("X-Content-Type-Options") == "nosniff", what
    assert r.headers.get("Referrer-Policy") == "same-origin", what


def test_every_response_carries_the_security_headers(client):
    responses = {
        "page": client.get("/"),
        "page from the cache": client.get("/"),
        "not modified": client.get("/", headers={"If-None-Match": client.get("/").headers["ETag"]}),
        "csv twin": client.get("/facts.csv"),
        "rdf": client.get("/fact/CF0200.ttl"),
        "sparql answer": client.get("/sparql", query_string={"query": "ASK {}"}),
        "sparql error": client.get("/sparql", query_string={"query": "SELECT nonsense"}),
        "download": client.get("/downloads/clastordf.ttl"),
        "not found": client.get("/no/such/thing"),
        "wrong method": client.post("/facts"),
        "forged host": client.get("/", headers={"Host": EVIL}),
        "health": client.get("/health"),
        "static": client.get("/static/query.js"),
    }
    assert responses["not modified"].status_code == 304
    for what, r in responses.items():
        assert_security_headers(r, what)


PAGES = (
    "/",
    "/facts",
    "/query",
    "/query?example=contested-facts&run=1",
    "/vocab",
    "/downloads",
    "/fact/CF0200",
    "/evidence/E0100",
    "/entity?iri=https://identifiers.org/uniprot/Q9NYA1",
    "/no/such/thing",
)


@pytest.mark.parametrize("path", PAGES)
def test_pages_have_no_inline_script_or_style(client, path):
    """What the Content-Security-Policy forbids is not in the pages: it would not run or apply."""
    page = text(client.get(path))
    assert "<html" in page
    assert re.findall(r"<script(?![^>]*\bsrc=\"/static/)", page) == []
    assert re.findall(r"<style|\sstyle=|\son[a-z]+=|javascript:", page, re.I) == []


# -- links only to http(s) --------------------------------------------------------------------------


def test_a_javascript_iri_in_an_answer_is_shown_as_text_not_a_link(client):
    """The no-JavaScript query page (``run=1``) links only to http(s) IRIs."""
    query = (
        "SELECT ?x WHERE { VALUES ?x { <javascript:alert(document.domain)> <data:text/html,hi> "
        "<vbscript:x> <https://example.org/x> } }"
    )
    links, rows = answer_links(client, query)
    assert links == ["https://example.org/x"]
    assert "<span>javascript:alert(document.domain)</span>" in rows and "<span>data:text/html,hi</span>" in rows


def answer_links(client, query: str) -> tuple[list[str], str]:
    """The links in the answer table of ``/query?run=1``, and the table."""
    r = client.get("/query", query_string={"query": query, "run": "1"})
    assert r.status_code == 200
    rows = text(r).split('id="results"', 1)[1].split("</table>", 1)[0]
    return re.findall(r'href="([^"]*)"', rows), rows


def test_site_links_only_to_http_urls_and_to_no_other_host(app):
    from clastordf.server import state
    from clastordf.server.linkeddata import Site

    with app.app_context():
        s = Site(state().store, BASE)
        assert s.href("javascript:alert(1)") is None and s.href("JaVaScRiPt:alert(1)") is None
        assert s.href("data:text/html,x") is None and s.href("urn:x") is None
        assert s.href("https://example.org/x") == "https://example.org/x"
        assert s.href(BASE + "fact/CF0200") == "/fact/CF0200"


def test_a_template_link_without_a_url_is_text(app):
    from flask import render_template_string

    with app.test_request_context("/"):
        macro = '{% from "_macros.html" import link %}'
        assert render_template_string(macro + "{{ link(none, '<x>') }}") == "<span>&lt;x&gt;</span>"
        linked = render_template_string(macro + "{{ link('/a', 'x', cls='c', title='t') }}")
        assert linked == '<a class="c" href="/a" title="t">x</a>'


def test_the_ontology_page_keeps_no_link_that_is_not_http(app, tmp_path):
    from clastordf.server import state
    from clastordf.server.linkeddata import Site
    from clastordf.server.pages.vocab import ONTOLOGY_PAGE, vocab_page

    (tmp_path / ONTOLOGY_PAGE).write_text(
        '<html><body><a href="#X">x</a> <a href="javascript:alert(1)">j</a> '
        '<a href="https://example.org/y">y</a> <a href="clastordf.owl">owl</a></body></html>'
    )
    with app.app_context():
        page = str(vocab_page(Site(state().store, BASE), tmp_path, {"clastordf.owl": "/downloads/clastordf.owl"}))
    assert 'href="#X"' in page and 'href="https://example.org/y"' in page
    assert 'href="/downloads/clastordf.owl"' in page
    assert "javascript" not in page and "<a >j</a>" in page  # an <a> without href is text


# -- redirects stay on this server ------------------------------------------------------------------


@pytest.mark.parametrize(
    "iri",
    [BASE + "/evil.example/x", BASE + "//evil.example/x", BASE + "/\\evil.example/x", BASE + "/%2Fevil.example"],
)
@pytest.mark.parametrize("path", ["/entity", "/term"])
def test_entity_never_redirects_to_another_host(client, path, iri):
    r = client.get(path, query_string={"iri": iri})
    location = r.headers.get("Location", "")
    assert not location.startswith(("//", "/\\")) and "evil.example" not in location
    assert r.status_code == 404


def test_entity_still_redirects_an_iri_under_the_base_to_its_path(client):
    r = client.get("/entity", query_string={"iri": BASE + "fact/CF0200"})
    assert r.status_code == 303 and r.headers["Location"] == "/fact/CF0200"


def test_an_iri_under_the_base_that_reads_as_another_host_has_no_path_here(app):
    from clastordf.server import state
    from clastordf.server.linkeddata import Site

    with app.app_context():
        s = Site(state().store, BASE)
        assert s.local_path(BASE + "/evil.example/x") is None
        assert s.href(BASE + "/evil.example/x") == BASE + "/evil.example/x"  # the IRI itself, not //evil…
        assert s.local_path(BASE + "fact/CF0200") == "/fact/CF0200"


def test_an_answer_iri_under_the_base_never_links_to_another_host(client):
    query = f"SELECT ?x WHERE {{ VALUES ?x {{ <{BASE}/evil.example/x> <{BASE}fact/CF0200> }} }}"
    links, _ = answer_links(client, query)
    assert links == [BASE + "/evil.example/x", "/fact/CF0200"]
