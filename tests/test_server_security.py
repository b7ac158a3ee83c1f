"""What a hostile request cannot do (issue 16): put another host's name into a cached page (a forged
``Host``), run script through a link made from the data or a query's answer, frame the site, or make
it redirect to another site."""

from __future__ import annotations

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
