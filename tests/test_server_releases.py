"""The server offers every release: listings, files with validators and ranges, ``latest``, version
IRIs, and serving one release (``clastordf serve --release``) without touching its folder."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import re
import shutil
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import rdflib
from flask import Flask
from werkzeug.http import http_date

from clastordf.release.layout import SUMS_FILE, read_sums, sums_text
from clastordf.server import create_app, sparql
from clastordf.server.config import ServerConfig, UnknownRelease

#: The release date of each fake release (the release command sets every file's mtime to it).
RELEASED = {
    "0.9.0": datetime(2024, 3, 1, tzinfo=UTC),
    "0.10.0": datetime(2025, 1, 15, 12, 30, tzinfo=UTC),
    "0.11.0": datetime(2025, 6, 2, tzinfo=UTC),
}
MEDIA = {  # file of a release -> the media type it is served with
    "clastordf.ttl": "text/turtle",
    "clastordf.nt.gz": "application/gzip",
    "clastordf.jsonld": "application/ld+json",
    "clastordf.owl": "application/rdf+xml",
    "clastordf.gpml": "application/xml",
    "facts.tsv": "text/tab-separated-values",
    "README.md": "text/markdown",
    "CHANGELOG.md": "text/markdown",
    "void.ttl": "text/turtle",
    SUMS_FILE: "text/plain",
}
MARKER = "http://example.org/test#servedFrom"


def make_release(root: Path, version: str, files: dict[str, bytes], when: datetime | None = None) -> Path:
    """A finished release folder as the release command leaves it: the files, ``SHA256SUMS``, and
    every mtime set to the release date."""
    folder = root / version
    folder.mkdir(parents=True)
    for name, content in files.items():
        (folder / name).write_bytes(content)
    (folder / SUMS_FILE).write_text(sums_text(folder), encoding="utf-8")
    stamp = (when or RELEASED.get(version.lstrip("."), datetime(2024, 1, 1, tzinfo=UTC))).timestamp()
    for path in folder.iterdir():
        os.utime(path, (stamp, stamp))
    return folder


def release_files(build: Path, version: str) -> dict[str, bytes]:
    """A release's files: the real build's Turtle, ontology and GPML, small stand-ins for the rest."""
    triple = f'<https://w3id.org/clastordf/dataset> <http://purl.org/pav/version> "{version}" .\n'
    return {
        "clastordf.ttl": (build / "clastordf.ttl").read_bytes(),
        "clastordf.owl": (build / "clastordf.owl").read_bytes(),
        "clastordf.gpml": (build / "clastordf.gpml").read_bytes(),
        "clastordf.nt.gz": gzip.compress(triple.encode(), mtime=0),
        "clastordf.jsonld": json.dumps({"@id": "https://w3id.org/clastordf/dataset", "version": version}).encode(),
        "facts.tsv": f"id\tlabel\nCF0200\tS1P ({version})\n".encode(),
        "void.ttl": f'<https://w3id.org/clastordf/dataset> <http://purl.org/pav/version> "{version}" .\n'.encode(),
        "README.md": f"# clastordf {version}\n\nThe dataset, release {version}.\n".encode(),
        "CHANGELOG.md": f"# Changes in {version}\n".encode(),
    }


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def text(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def make_app() -> Iterator[Callable[[ServerConfig], Flask]]:
    """Apps made by a test, whose SPARQL executors (if any ran) are stopped afterwards."""
    made: list[Flask] = []

    def make(config: ServerConfig) -> Flask:
        made.append(create_app(config))
        return made[-1]

    yield make
    for app in made:
        pool = app.extensions.get(sparql.EXECUTOR_KEY)
        if pool is not None:
            pool.close()


@pytest.fixture(scope="module")
def releases(real_build_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A releases folder: 0.9.0 and 0.10.0 (so version order is not string order), plus what is not
    a release: a release being made (hidden), the stores folder, a folder without SHA256SUMS."""
    root = tmp_path_factory.mktemp("releases") / "release"
    for version in ("0.9.0", "0.10.0"):
        make_release(root, version, release_files(real_build_dir, version))
    make_release(root, ".0.11.0", release_files(real_build_dir, "0.11.0"))
    (root / ".stores" / "0.10.0").mkdir(parents=True)
    (root / "0.12.0").mkdir()
    (root / "0.12.0" / "README.md").write_text("not finished\n")
    # A file in the folder that SHA256SUMS does not list is not part of the release.
    (root / "0.9.0" / "stray.txt").write_text("not listed\n")
    return root


@pytest.fixture(scope="module")
def client(real_build_dir: Path, releases: Path):
    """The app over the real build, offering the fake releases."""
    app = create_app(ServerConfig(real_build_dir, releases_dir=releases))
    return app.test_client()


# -- listings --------------------------------------------------------------------------------------


def test_downloads_json_lists_every_release_newest_first(client, releases):
    listing = client.get("/downloads.json").get_json()
    assert [r["version"] for r in listing["releases"]] == ["0.10.0", "0.9.0"]  # not 0.9.0 first, nor hidden ones
    assert [r["latest"] for r in listing["releases"]] == [True, False]
    assert listing["latest"]["version"] == "0.10.0" and listing["latest"]["url"].endswith("/downloads/latest/")
    assert listing["release"] is None and {"clastordf.ttl", "clastordf.owl"} <= {f["name"] for f in listing["files"]}
    for r in listing["releases"]:
        folder = releases / r["version"]
        assert r["url"].endswith(f"/downloads/{r['version']}/")
        assert r["sha256sums"].endswith(f"/downloads/{r['version']}/SHA256SUMS")
        assert r["readme"].endswith(f"/downloads/{r['version']}/README.md")
        assert r["changelog"].endswith(f"/downloads/{r['version']}/CHANGELOG.md")
        assert r["released"] == RELEASED[r["version"]].isoformat().replace("+00:00", "Z")
        assert r["problems"] == []
        assert {f["name"] for f in r["files"]} == set(read_sums(folder / SUMS_FILE)) == set(MEDIA) - {SUMS_FILE}
        for f in r["files"]:
            assert f["size"] == (folder / f["name"]).stat().st_size
            assert f["sha256"] == sha(folder / f["name"])
            assert f["media_type"] == MEDIA[f["name"]]
            assert f["url"].endswith(f"/downloads/{r['version']}/{f['name']}")
        assert next(f for f in r["files"] if f["name"] == "facts.tsv")["description"]


def test_downloads_page_has_a_section_per_release(client, releases):
    r = client.get("/downloads")
    assert r.status_code == 200 and r.mimetype == "text/html"
    page = text(r)
    assert 'id="downloads"' in page and 'href="/downloads/clastordf.ttl"' in page  # the build's own files
    sections = dict(re.findall(r'<section class="release" id="release-([^"]+)">(.*?)</section>', page, re.S))
    assert list(sections) == ["0.10.0", "0.9.0"]
    assert 'class="tag latest"' in sections["0.10.0"] and "latest" not in sections["0.9.0"]
    for version, section in sections.items():
        for name in read_sums(releases / version / SUMS_FILE):
            assert f'href="/downloads/{version}/{name}"' in section
            assert sha(releases / version / name) in section
            size = (releases / version / name).stat().st_size
            assert f"{size:,} B" in section
        for name in ("README.md", "CHANGELOG.md", SUMS_FILE):
            assert f'href="/downloads/{version}/{name}"' in section
    assert "/downloads/latest/" in page and 'rel="canonical"' in page  # the page says how latest works
    assert ".0.11.0" not in page and "0.11.0" not in page and "0.12.0" not in page and ".stores" not in page
    assert 'type="application/json"' in r.headers["Link"]


def test_release_listing_page_and_json_twin(client, releases):
    r = client.get("/downloads/0.9.0/")
    assert r.status_code == 200 and r.mimetype == "text/html"
    page = text(r)
    assert "Release 0.9.0" in page and 'href="/downloads/0.9.0/README.md"' in page
    assert 'href="/downloads/0.9.0/stray.txt"' not in page
    assert sha(releases / "0.9.0" / "clastordf.ttl") in page
    twin = client.get("/downloads/0.9.0/?format=json")
    assert twin.mimetype == "application/json"
    body = twin.get_json()
    assert body["version"] == "0.9.0" and body["latest"] is False
    assert {f["name"]: f["sha256"] for f in body["files"]} == read_sums(releases / "0.9.0" / SUMS_FILE)
    assert "?format=json" in r.headers["Link"]
    r = client.get("/downloads/0.9.0")
    assert r.status_code == 308 and r.headers["Location"].endswith("/downloads/0.9.0/")


# -- files -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(MEDIA))
def test_release_file_bytes_and_media_type(client, releases, name):
    r = client.get(f"/downloads/0.10.0/{name}")
    assert r.status_code == 200, name
    assert r.mimetype == MEDIA[name]
    assert r.get_data() == (releases / "0.10.0" / name).read_bytes()
    assert "Content-Encoding" not in r.headers  # clients must not unpack the .gz they asked for
    disposition = r.headers["Content-Disposition"]
    assert disposition.startswith("attachment" if name.endswith(".gz") else "inline") and name in disposition


def test_gzipped_dump_is_the_file_itself(client):
    r = client.get("/downloads/0.10.0/clastordf.nt.gz")
    assert gzip.decompress(r.get_data()).decode().endswith('"0.10.0" .\n')


def test_etag_is_the_sha256_and_conditional_requests(client, releases):
    path = releases / "0.10.0" / "clastordf.ttl"
    r = client.get("/downloads/0.10.0/clastordf.ttl")
    assert r.headers["ETag"] == f'"{sha(path)}"' == f'"{read_sums(releases / "0.10.0" / SUMS_FILE)["clastordf.ttl"]}"'
    assert r.headers["Last-Modified"] == http_date(RELEASED["0.10.0"])
    assert "max-age" in r.headers["Cache-Control"] and r.headers["Accept-Ranges"] == "bytes"
    again = client.get("/downloads/0.10.0/clastordf.ttl", headers={"If-None-Match": r.headers["ETag"]})
    assert again.status_code == 304 and again.get_data() == b""
    assert (
        client.get("/downloads/0.10.0/clastordf.ttl", headers={"If-None-Match": '"' + "0" * 64 + '"'}).status_code
        == 200
    )
    assert (
        client.get(
            "/downloads/0.10.0/clastordf.ttl", headers={"If-Modified-Since": r.headers["Last-Modified"]}
        ).status_code
        == 304
    )
    earlier = http_date(datetime(2025, 1, 1, tzinfo=UTC))
    assert client.get("/downloads/0.10.0/clastordf.ttl", headers={"If-Modified-Since": earlier}).status_code == 200
    sums = client.get("/downloads/0.10.0/SHA256SUMS")
    assert sums.headers["ETag"] == f'"{sha(releases / "0.10.0" / SUMS_FILE)}"'


def test_range_requests(client, releases):
    data = (releases / "0.10.0" / "clastordf.ttl").read_bytes()
    r = client.get("/downloads/0.10.0/clastordf.ttl", headers={"Range": "bytes=100-199"})
    assert r.status_code == 206 and r.get_data() == data[100:200]
    assert r.headers["Content-Range"] == f"bytes 100-199/{len(data)}"
    r = client.get("/downloads/0.10.0/clastordf.ttl", headers={"Range": "bytes=-10"})
    assert r.status_code == 206 and r.get_data() == data[-10:]
    r = client.get("/downloads/0.10.0/clastordf.ttl", headers={"Range": f"bytes={len(data)}-"})
    assert r.status_code == 416 and r.headers["Content-Range"] == f"bytes */{len(data)}"
    # A resumed download whose validator no longer matches gets the whole (other) file.
    r = client.get("/downloads/0.10.0/clastordf.ttl", headers={"Range": "bytes=0-9", "If-Range": '"stale"'})
    assert r.status_code == 200 and r.get_data() == data


def test_head(client, releases):
    path = releases / "0.10.0" / "clastordf.owl"
    r = client.head("/downloads/0.10.0/clastordf.owl")
    assert r.status_code == 200 and r.get_data() == b""
    assert int(r.headers["Content-Length"]) == path.stat().st_size
    assert r.headers["ETag"] == f'"{sha(path)}"' and r.mimetype == "application/rdf+xml"
    assert client.head("/downloads/latest/clastordf.owl").headers["ETag"] == r.headers["ETag"]


@pytest.mark.parametrize(
    "path",
    [
        "/downloads/9.9.9/clastordf.ttl",  # no such release
        "/downloads/9.9.9/",
        "/downloads/0.10.0/nothing.ttl",  # no such file
        "/downloads/0.9.0/stray.txt",  # in the folder, not in SHA256SUMS
        "/downloads/.0.11.0/clastordf.ttl",  # a release being made
        "/downloads/.0.11.0/",
        "/downloads/0.12.0/README.md",  # no SHA256SUMS: not a release
        "/downloads/.stores/",
        "/downloads/0.10.0/..%2F0.9.0%2FREADME.md",  # encoded slashes
        "/downloads/0.10.0/%2E%2E%2F%2E%2E%2Fclastordf.ttl",
        "/downloads/..%2Frelease%2F0.10.0/README.md",
        "/downloads/0.10.0/../../clastordf.ttl",
        "/downloads/latest/..%2F..%2Fclastordf.ttl",
        "/releases/7.7.7/clastordf.owl",
    ],
)
def test_unknown_versions_names_and_escapes_are_404(client, path):
    r = client.get(path)
    assert r.status_code == 404, path
    assert r.mimetype in ("text/html", "text/plain") and len(r.get_data()) < 10_000  # a message, not a file


def test_symlink_out_of_a_release_is_not_served(tmp_path, real_build_dir, make_app):
    root = tmp_path / "release"
    folder = make_release(root, "1.0.0", {"README.md": b"# 1.0.0\n"})
    secret = tmp_path / "secret.txt"
    secret.write_text("not for download\n")
    (folder / "secret.txt").symlink_to(secret)
    (folder / SUMS_FILE).write_text(sums_text(folder), encoding="utf-8")  # even if the sums list it
    client = make_app(ServerConfig(real_build_dir, releases_dir=root)).test_client()
    assert client.get("/downloads/1.0.0/secret.txt").status_code == 404
    listing = client.get("/downloads/1.0.0/?format=json").get_json()
    assert [f["name"] for f in listing["files"]] == ["README.md"]
    assert listing["problems"] == ["secret.txt is listed in SHA256SUMS but missing"]


def test_release_with_a_malformed_sums_file_is_listed_as_damaged(tmp_path, real_build_dir, make_app):
    root = tmp_path / "release"
    folder = make_release(root, "1.0.0", {"README.md": b"# 1.0.0\n"})
    (folder / SUMS_FILE).write_text("not a checksum line\n")
    client = make_app(ServerConfig(real_build_dir, releases_dir=root)).test_client()
    body = client.get("/downloads.json").get_json()["releases"][0]
    assert body["files"] == [] and SUMS_FILE in body["problems"][0] and str(tmp_path) not in body["problems"][0]
    assert "damaged" in text(client.get("/downloads"))
    assert client.get("/downloads/1.0.0/README.md").status_code == 404


# -- latest ----------------------------------------------------------------------------------------


def test_latest_serves_the_newest_release_with_its_canonical_url(client, releases):
    r = client.get("/downloads/latest/README.md")
    assert r.status_code == 200 and r.get_data() == (releases / "0.10.0" / "README.md").read_bytes()
    assert r.headers["Content-Location"] == "/downloads/0.10.0/README.md"
    assert r.headers["Link"] == '<http://localhost/downloads/0.10.0/README.md>; rel="canonical"'
    assert r.headers["ETag"] == f'"{sha(releases / "0.10.0" / "README.md")}"'
    assert client.get("/downloads/latest/README.md", headers={"If-None-Match": r.headers["ETag"]}).status_code == 304
    ranged = client.get("/downloads/latest/README.md", headers={"Range": "bytes=0-1"})
    assert ranged.status_code == 206 and ranged.get_data() == b"# "
    listing = client.get("/downloads/latest/")
    assert listing.status_code == 200 and "Release 0.10.0" in text(listing)
    assert listing.headers["Content-Location"] == "/downloads/0.10.0/"
    assert '<http://localhost/downloads/0.10.0/>; rel="canonical"' in listing.headers["Link"]
    assert client.get("/downloads/latest/?format=json").get_json()["version"] == "0.10.0"
    r = client.get("/downloads/latest")
    assert r.status_code == 308 and r.headers["Location"].endswith("/downloads/latest/")


def test_a_release_published_while_serving_is_offered_at_once(tmp_path, real_build_dir, make_app):
    root = tmp_path / "release"
    make_release(root, "0.9.0", release_files(real_build_dir, "0.9.0"))
    client = make_app(ServerConfig(real_build_dir, releases_dir=root)).test_client()
    assert client.get("/downloads/latest/facts.tsv").get_data().endswith(b"(0.9.0)\n")
    assert [r["version"] for r in client.get("/downloads.json").get_json()["releases"]] == ["0.9.0"]
    client.get("/downloads")  # a page the server might have kept
    # The release command makes the release in a hidden folder, then renames it.
    hidden = make_release(root, ".0.10.0", release_files(real_build_dir, "0.10.0"))
    assert client.get("/downloads/latest/facts.tsv").get_data().endswith(b"(0.9.0)\n")
    hidden.rename(root / "0.10.0")
    assert client.get("/downloads/latest/facts.tsv").get_data().endswith(b"(0.10.0)\n")
    assert [r["version"] for r in client.get("/downloads.json").get_json()["releases"]] == ["0.10.0", "0.9.0"]
    assert 'id="release-0.10.0"' in text(client.get("/downloads"))


def test_without_releases_latest_says_how_to_make_one(tmp_path, real_build_dir, make_app):
    client = make_app(ServerConfig(real_build_dir, releases_dir=tmp_path / "none")).test_client()
    for path in ("/downloads/latest/clastordf.ttl", "/downloads/latest/", "/downloads/0.1.0/clastordf.ttl"):
        r = client.get(path)
        assert r.status_code == 404 and "clastordf release --version" in text(r), path
    page = text(client.get("/downloads"))
    assert 'id="no-releases"' in page and "clastordf release --version" in page
    body = client.get("/downloads.json").get_json()
    assert body["releases"] == [] and body["latest"] is None and body["files"]


# -- version IRIs ----------------------------------------------------------------------------------


def test_version_iris_resolve_to_the_release_files(client, releases, real_build_dir):
    r = client.get("/releases/0.10.0/clastordf.owl")
    assert r.status_code == 302 and r.headers["Location"].endswith("/downloads/0.10.0/clastordf.owl")
    r = client.get("/releases/0.10.0/clastordf.owl", follow_redirects=True)
    assert r.status_code == 200 and r.mimetype == "application/rdf+xml"
    assert r.get_data() == (releases / "0.10.0" / "clastordf.owl").read_bytes()
    # The build is 0.1.0, not released: its version IRI says so (404) and links the build's own file.
    r = client.get("/releases/0.1.0/clastordf.owl")
    assert r.status_code == 404 and "Version 0.1.0 has not been released" in r.get_data(as_text=True)
    own = client.get(r.headers["Link"].split(">")[0][1:])
    assert own.status_code == 200 and own.get_data() == (real_build_dir / "clastordf.owl").read_bytes()
    assert client.get("/releases/0.10.0/stray.txt").status_code == 404


def test_release_iris_redirect_to_the_listing_or_its_void(client):
    r = client.get("/releases/0.10.0")
    assert r.status_code == 303 and r.headers["Location"].endswith("/downloads/0.10.0/")
    r = client.get("/releases/0.10.0", headers={"Accept": "text/turtle"})
    assert r.status_code == 303 and r.headers["Location"].endswith("/downloads/0.10.0/void.ttl")
    assert "Accept" in r.headers["Vary"]
    assert client.get("/releases/7.7.7").status_code == 404


# -- serving one release ----------------------------------------------------------------------------


def snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    """Every path under ``folder`` with its size and mtime (what a write would change)."""
    return {str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns) for p in sorted(folder.rglob("*"))}


def make_released_build(build: Path, real_build_dir: Path) -> Path:
    """A build folder holding nothing but release 0.1.0: the real build's files, and one extra triple
    in its Turtle, so answers can only come from the release."""
    folder = build / "release" / "0.1.0"
    folder.mkdir(parents=True)
    for path in real_build_dir.iterdir():
        if path.is_file() and not path.name.startswith("."):
            shutil.copyfile(path, folder / path.name)
    with (folder / "clastordf.ttl").open("a", encoding="utf-8") as fh:
        fh.write(f'\n<https://w3id.org/clastordf/dataset> <{MARKER}> "release 0.1.0" .\n')
    (folder / "void.ttl").write_text("<https://w3id.org/clastordf/dataset> a <http://rdfs.org/ns/void#Dataset> .\n")
    (folder / SUMS_FILE).write_text(sums_text(folder), encoding="utf-8")
    stamp = datetime(2025, 2, 1, tzinfo=UTC).timestamp()
    for path in folder.iterdir():
        os.utime(path, (stamp, stamp))
    return build


@pytest.fixture
def released_build(tmp_path: Path, real_build_dir: Path) -> Path:
    return make_released_build(tmp_path / "build", real_build_dir)


def test_serving_a_release_answers_with_its_data_and_leaves_its_folder_alone(released_build, make_app):
    folder = released_build / "release" / "0.1.0"
    before = snapshot(folder)
    app = make_app(ServerConfig(released_build, release="latest", query_timeout=3.0))
    client = app.test_client()
    r = client.get(
        "/sparql",
        query_string={"query": f"SELECT ?v WHERE {{ ?d <{MARKER}> ?v }}"},
        headers={"Accept": "application/sparql-results+json"},
    )
    assert r.status_code == 200
    assert [b["v"]["value"] for b in r.get_json()["results"]["bindings"]] == ["release 0.1.0"]
    assert client.get("/health").get_json()["version"] == "0.1.0"
    assert client.get("/fact/CF0200").status_code == 200
    listing = client.get("/downloads.json").get_json()
    assert listing["release"] == "0.1.0" and listing["releases"][0]["version"] == "0.1.0"
    served = {f["name"]: f["sha256"] for f in listing["files"]}
    assert served == {**read_sums(folder / SUMS_FILE), SUMS_FILE: sha(folder / SUMS_FILE)}
    assert "Release 0.1.0, served here" in text(client.get("/downloads"))
    home = text(client.get("/"))
    assert "Release <strong>0.1.0</strong>" in home and "unreleased" not in home
    r = client.get("/downloads/clastordf.ttl")
    assert r.get_data() == (folder / "clastordf.ttl").read_bytes()
    assert r.headers["ETag"] == f'"{served["clastordf.ttl"]}"'
    r = client.get("/releases/0.1.0/clastordf.owl")
    assert r.status_code == 302 and r.headers["Location"].endswith("/downloads/0.1.0/clastordf.owl")
    void = rdflib.Graph().parse(data=client.get("/.well-known/void").get_data(), format="turtle")
    dumps = {str(o).rsplit("/", 1)[-1] for o in void.objects(None, rdflib.URIRef("http://rdfs.org/ns/void#dataDump"))}
    assert {"clastordf.ttl", "clastordf.owl"} <= dumps and not dumps & {SUMS_FILE, "void.ttl"}
    # Nothing was written into the release: its SHA256SUMS still lists exactly its files.
    assert snapshot(folder) == before
    assert set(read_sums(folder / SUMS_FILE)) == {p.name for p in folder.iterdir()} - {SUMS_FILE}
    assert (released_build / "release" / ".stores" / "0.1.0" / "db").is_dir()
    assert not (released_build / "oxigraph").exists() and not (released_build / "clastordf.ttl").exists()


def test_release_config_resolves_latest_by_version_order(releases, real_build_dir):
    config = ServerConfig(real_build_dir, releases_dir=releases, release="latest").resolve_release()
    assert config.release == "0.10.0" and config.data_dir == releases / "0.10.0"
    assert config.store_location == releases / ".stores" / "0.10.0"
    assert ServerConfig(real_build_dir, releases_dir=releases).resolve_release().data_dir == real_build_dir
    with pytest.raises(UnknownRelease, match=r"no release '9\.9\.9'.*0\.10\.0, 0\.9\.0"):
        ServerConfig(real_build_dir, releases_dir=releases, release="9.9.9").resolve_release()
    with pytest.raises(UnknownRelease, match="clastordf release --version"):
        ServerConfig(real_build_dir, releases_dir=releases / "none", release="latest").resolve_release()
    with pytest.raises(UnknownRelease):
        create_app(ServerConfig(real_build_dir, releases_dir=releases, release="../0.10.0"))


def test_store_is_remade_when_a_release_is_replaced_with_the_same_mtime_and_size(tmp_path):
    """A release replaced with --force keeps its pinned mtime and may keep its size: the store must
    still be reloaded, not served stale."""
    import os

    import pyoxigraph

    from clastordf.server.store import open_store, prepare_store

    data = tmp_path / "release"
    data.mkdir()
    old = '<https://w3id.org/clastordf/dataset> <http://purl.org/pav/version> "1" .\n<urn:a> <urn:p> "x" .\n'
    new = old.replace('"x"', '"y"')
    (data / "clastordf.ttl").write_text(old, encoding="utf-8")
    os.utime(data / "clastordf.ttl", (1767225600, 1767225600))
    store_dir = prepare_store(data, tmp_path / ".stores" / "1")
    replacement = tmp_path / "replacement.ttl"
    replacement.write_text(new, encoding="utf-8")
    os.utime(replacement, (1767225600, 1767225600))
    replacement.replace(data / "clastordf.ttl")
    prepare_store(data, store_dir)
    store = open_store(store_dir)
    values = {q.object.value for q in store.quads_for_pattern(pyoxigraph.NamedNode("urn:a"), None, None, None)}
    assert values == {"y"}
