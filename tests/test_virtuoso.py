"""``clastordf virtuoso load``: a release bulk-loaded into a real (throw-away) Virtuoso answers the
example queries exactly as the embedded store does, loads idempotently and fails with advice."""

from __future__ import annotations

import doctest
import gzip
import json
import os
import re
import shutil
import sys
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph
import pytest

from clastordf.release import virtuoso
from clastordf.release.layout import SUMS_FILE, sums_text
from clastordf.release.virtuoso import (
    DUMP_FILE,
    ConnectError,
    IsqlNotFound,
    IsqlSession,
    LoadResult,
    ReleaseFileError,
    VirtuosoConnection,
    VirtuosoError,
    graph_count,
    isql_arguments,
    load_release,
    ntriples_count,
)
from clastordf.vocab import dataset_graph

from . import sparql_answers
from .conftest import REPO
from .sparql_answers import group_concat_separators
from .virtuoso_server import VirtuosoServer, free_port, running_virtuoso, virtuoso_or_skip

QUERIES = sorted((REPO / "queries").glob("*.rq"))
VERSION = "0.0.0-virtuoso-test"
GRAPH = dataset_graph(VERSION)
#: Not Virtuoso's default, so every test logs in through isql's password prompt, as on a real server.
TEST_PASSWORD = "clastordf-test-pw"  # noqa: S105 - of a throw-away server
WRONG_PASSWORD = "not-the-password"  # noqa: S105
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
RDF_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"

Term = tuple | None
Rows = Counter[tuple[Term, ...]]


@pytest.fixture(scope="module")
def release_dir(real_release: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the real release (as `clastordf release` makes it) in a folder of its own."""
    dest = tmp_path_factory.mktemp("virtuoso-release") / VERSION
    shutil.copytree(real_release, dest)
    return dest


@pytest.fixture(scope="module")
def outside_dir(release_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A valid copy of the release in a folder the server's DirsAllowed does not include."""
    dest = tmp_path_factory.mktemp("not-allowed") / VERSION
    shutil.copytree(release_dir, dest)
    return dest


@pytest.fixture(scope="module")
def server(release_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[VirtuosoServer]:
    """One Virtuoso for the module; its teardown checks that nothing is left behind."""
    with running_virtuoso(
        [release_dir.parent], dba_password=TEST_PASSWORD, parent=tmp_path_factory.getbasetemp()
    ) as running:
        yield running
    assert running.process.poll() is not None, f"virtuoso-t (pid {running.process.pid}) still runs"
    assert not running.root.exists(), f"{running.root} was not removed"


@pytest.fixture(scope="module")
def loaded(server: VirtuosoServer, release_dir: Path) -> LoadResult:
    return load_release(release_dir, VERSION, server.connection(), progress=lambda _: None)


@pytest.fixture(scope="module")
def embedded(release_dir: Path) -> pyoxigraph.Store:
    """The embedded store as the server builds it: the release in its named graph."""
    store = pyoxigraph.Store()
    store.load(
        gzip.decompress((release_dir / DUMP_FILE).read_bytes()),
        format=pyoxigraph.RdfFormat.N_TRIPLES,
        to_graph=pyoxigraph.NamedNode(GRAPH),
    )
    return store


def virtuoso_count(server: VirtuosoServer) -> int:
    with IsqlSession(server.connection()) as session:
        return graph_count(session, GRAPH)


# --- comparing answers ------------------------------------------------------------------------------


def literal(value: str, datatype: str | None, language: str | None) -> tuple:
    """A literal as lexical form, datatype and language; a plain literal is an ``xsd:string`` and a
    language tag is case-insensitive (RDF 1.1), and nothing else is normalised."""
    if language:
        return ("literal", value, RDF_LANG_STRING, language.lower())
    return ("literal", value, datatype or XSD_STRING, None)


def oxigraph_term(term: object) -> Term:
    if term is None:
        return None
    if isinstance(term, pyoxigraph.NamedNode):
        return ("iri", term.value)
    if isinstance(term, pyoxigraph.BlankNode):
        return ("bnode",)  # labels are local to each store
    assert isinstance(term, pyoxigraph.Literal), term
    return literal(term.value, term.datatype.value, term.language)


def virtuoso_term(binding: dict | None) -> Term:
    """A SPARQL JSON results term; Virtuoso 7 still writes the SPARQL 1.0 ``typed-literal`` type."""
    if binding is None:
        return None
    kind = binding["type"]
    if kind == "uri":
        return ("iri", binding["value"])
    if kind == "bnode":
        return ("bnode",)
    assert kind in ("literal", "typed-literal"), binding
    return literal(binding["value"], binding.get("datatype"), binding.get("xml:lang"))


def unordered_concat(row: tuple[Term, ...], names: list[str], separators: dict[str, str]) -> tuple[Term, ...]:
    out = []
    for name, term in zip(names, row, strict=True):
        if name in separators and term is not None and term[0] == "literal":
            parts = tuple(sorted(term[1].split(separators[name])))
            term = ("group_concat", parts, *term[2:])
        out.append(term)
    return tuple(out)


def oxigraph_answer(store: pyoxigraph.Store, query: str) -> tuple[list[str], Rows]:
    solutions = store.query(query, use_default_graph_as_union=True)
    names = [v.value for v in solutions.variables]
    separators = group_concat_separators(query)
    rows = Counter(unordered_concat(tuple(oxigraph_term(s[n]) for n in names), names, separators) for s in solutions)
    return names, rows


def virtuoso_answer(server: VirtuosoServer, query: str) -> tuple[list[str], Rows]:
    """The answer of Virtuoso's SPARQL endpoint, with the release graph as default and only named
    graph: the embedded store holds that graph alone, Virtuoso also its own system graphs."""
    # Virtuoso 7.2 wants a form POST and an explicit Accept (else it answers HTML).
    body = urllib.parse.urlencode({"query": query, "default-graph-uri": GRAPH, "named-graph-uri": GRAPH}).encode()
    headers = {"Accept": "application/sparql-results+json", "Content-Type": "application/x-www-form-urlencoded"}
    request = urllib.request.Request(server.sparql_url, data=body, headers=headers)  # noqa: S310 - http://localhost
    with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
        results = json.load(response)
    names = results["head"]["vars"]
    separators = group_concat_separators(query)
    rows = Counter(
        unordered_concat(tuple(virtuoso_term(b.get(n)) for n in names), names, separators)
        for b in results["results"]["bindings"]
    )
    return names, rows


# --- tests ------------------------------------------------------------------------------------------


def test_load_puts_every_triple_of_the_release_in_its_graph(server, loaded, release_dir, embedded):
    expected = ntriples_count(release_dir / DUMP_FILE)
    assert expected == len(embedded) > 1000
    assert loaded.graph == GRAPH and loaded.version == VERSION and not loaded.skipped
    assert loaded.triples == expected == virtuoso_count(server)
    assert str(loaded).startswith(f"release {VERSION}: graph <{GRAPH}> loaded in ")


@pytest.mark.parametrize("query_file", QUERIES, ids=[p.name for p in QUERIES])
def test_example_query_answers_equal_the_embedded_store(server, loaded, embedded, query_file):
    query = query_file.read_text(encoding="utf-8")
    names, expected = oxigraph_answer(embedded, query)
    virtuoso_names, answer = virtuoso_answer(server, query)
    assert expected, f"{query_file.name} answers nothing on the embedded store: the comparison would prove nothing"
    assert virtuoso_names == names
    assert answer == expected, (
        f"{query_file.name}: only Virtuoso: {list((answer - expected).items())[:3]}; "
        f"only embedded: {list((expected - answer).items())[:3]}"
    )


def test_loading_again_leaves_the_same_triples(server, loaded, release_dir):
    lines: list[str] = []
    again = load_release(release_dir, VERSION, server.connection(), progress=lines.append)
    assert again.triples == loaded.triples == virtuoso_count(server)
    assert not again.skipped
    steps = "\n".join(lines)
    for step in ("SHA256SUMS", "ld_dir", "clearing", "rdf_loader_run", "checkpoint", f"{loaded.triples} triples"):
        assert step in steps
    with IsqlSession(server.connection()) as session:
        rows = session.execute(f"SELECT ll_state FROM DB.DBA.load_list WHERE ll_graph = '{GRAPH}'")  # noqa: S608
    assert rows == ["2"], "one load_list row per release file, finished"


def test_without_replace_a_loaded_release_is_left_alone(server, loaded, release_dir):
    lines: list[str] = []
    kept = load_release(release_dir, VERSION, server.connection(), progress=lines.append, replace=False)
    assert kept.skipped and kept.triples == loaded.triples == virtuoso_count(server)
    assert not any("rdf_loader_run" in line for line in lines)
    assert "already held" in str(kept)


def test_without_replace_another_graph_content_is_refused(server, loaded, release_dir):
    other = "0.0.0-other"
    # Its own folder (inside DirsAllowed): load_list has one row per file, so sharing the file would
    # take the row of the main graph.
    other_dir = release_dir.parent / other
    shutil.copytree(release_dir, other_dir)
    with IsqlSession(server.connection()) as session:
        session.execute(f"SPARQL INSERT DATA {{ GRAPH <{dataset_graph(other)}> {{ <urn:a> <urn:b> <urn:c> }} }}")
    with pytest.raises(VirtuosoError, match=r"already holds 1 triples .*load with replace"):
        load_release(other_dir, other, server.connection(), progress=lambda _: None, replace=False)
    assert load_release(other_dir, other, server.connection(), progress=lambda _: None).triples == loaded.triples
    assert virtuoso_count(server) == loaded.triples, "the other release's graph is separate"


def test_folder_outside_dirs_allowed_gets_advice_and_keeps_the_graph(server, loaded, outside_dir):
    with pytest.raises(VirtuosoError) as caught:
        load_release(outside_dir, VERSION, server.connection(), progress=lambda _: None)
    message = str(caught.value)
    assert f"Virtuoso may not read {outside_dir.resolve()}" in message
    assert "DirsAllowed" in message and "virtuoso.ini" in message
    assert "FA003" in message, "Virtuoso's own message is kept"
    assert virtuoso_count(server) == loaded.triples, "a refused folder must not empty the graph"


def test_nothing_listening_is_a_connection_error(server, release_dir):
    port = free_port()
    with pytest.raises(ConnectError, match=rf"cannot connect to Virtuoso at localhost:{port}: is Virtuoso running"):
        load_release(release_dir, VERSION, server.connection(port=port), progress=lambda _: None)


def test_a_wrong_password_is_refused_with_advice(server, release_dir):
    with pytest.raises(ConnectError, match=r"refused the login of user 'dba': set CLASTORDF_VIRTUOSO_PASSWORD"):
        load_release(release_dir, VERSION, server.connection(password=WRONG_PASSWORD), progress=lambda _: None)
    # A good login right after resets Virtuoso's count of failures (it locks an address out after 4).
    assert virtuoso.ping(server.connection()).startswith("07.")


def test_the_password_is_never_on_isql_command_line():
    conn = VirtuosoConnection(password=TEST_PASSWORD)
    assert TEST_PASSWORD not in " ".join(isql_arguments("isql-vt", conn))
    assert TEST_PASSWORD not in repr(conn)


def test_a_tampered_dump_fails_before_virtuoso_is_asked(release_dir, tmp_path):
    tampered = tmp_path / VERSION
    shutil.copytree(release_dir, tampered)
    data = gzip.decompress((tampered / DUMP_FILE).read_bytes())
    (tampered / DUMP_FILE).write_bytes(gzip.compress(data + b"<urn:x> <urn:y> <urn:z> .\n", mtime=0))
    # A missing isql and a dead port: any attempt to reach Virtuoso would fail differently.
    conn = VirtuosoConnection(port=free_port(), isql=str(tmp_path / "no-isql"))
    with pytest.raises(ReleaseFileError, match=rf"{DUMP_FILE} does not match .*SHA256SUMS"):
        load_release(tampered, VERSION, conn, progress=lambda _: None)
    (tampered / DUMP_FILE).unlink()
    with pytest.raises(ReleaseFileError, match=rf"{DUMP_FILE} is missing"):
        load_release(tampered, VERSION, conn, progress=lambda _: None)


def test_a_bad_version_is_refused(release_dir):
    with pytest.raises(VirtuosoError, match="release version"):
        load_release(release_dir, "../x", VirtuosoConnection(), progress=lambda _: None)


def test_missing_isql_says_how_to_install_it(release_dir, tmp_path, monkeypatch):
    # unixODBC's isql has the same name but is another program: it must not be taken for Virtuoso's.
    fake = tmp_path / "bin" / "isql"
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\necho '[ISQL]ERROR: Could not SQLConnect'\nexit 1\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(fake.parent))
    virtuoso.is_virtuoso_isql.cache_clear()
    with pytest.raises(IsqlNotFound, match=r"apt-get install virtuoso-opensource"):
        load_release(release_dir, VERSION, VirtuosoConnection(port=free_port()), progress=lambda _: None)
    with pytest.raises(IsqlNotFound, match=r"is not Virtuoso's isql"):
        load_release(release_dir, VERSION, VirtuosoConnection(isql=str(fake)), progress=lambda _: None)


def test_connection_from_environment(monkeypatch):
    monkeypatch.setenv("CLASTORDF_VIRTUOSO_HOST", "db.example")
    monkeypatch.setenv("CLASTORDF_VIRTUOSO_PORT", "1112")
    monkeypatch.setenv("CLASTORDF_VIRTUOSO_PASSWORD", "from-env")
    conn = VirtuosoConnection.from_env(user="loader")
    assert (conn.host, conn.port, conn.user, conn.password, conn.address) == (
        "db.example",
        1112,
        "loader",
        "from-env",
        "db.example:1112",
    )
    assert VirtuosoConnection.from_env(port=1, host="h").address == "h:1"
    monkeypatch.setenv("CLASTORDF_VIRTUOSO_PORT", "eleven")
    with pytest.raises(VirtuosoError, match="CLASTORDF_VIRTUOSO_PORT='eleven' is not a port number"):
        VirtuosoConnection.from_env()


def test_virtuoso_is_installed_where_ci_runs():
    """Under CI the Virtuoso tests must run, never skip; elsewhere this reports what is missing."""
    assert virtuoso_or_skip()


def test_doctests():
    assert doctest.testmod(virtuoso).failed == 0
    assert doctest.testmod(sys.modules[__name__]).failed == 0
    assert doctest.testmod(sparql_answers).failed == 0


def test_isql_detection_finds_virtuosos_isql():
    if os.environ.get("CI") != "1" and shutil.which("isql-vt") is None:
        pytest.skip("isql-vt is not installed")
    found = virtuoso.find_isql()
    assert Path(found).name in ("isql-vt", "isql") and virtuoso.is_virtuoso_isql(found)


def release_with_dump(folder: Path, ntriples: bytes) -> Path:
    """A release folder (inside the server's DirsAllowed) whose dump is ``ntriples``, with true sums."""
    folder.mkdir()
    (folder / DUMP_FILE).write_bytes(gzip.compress(ntriples, mtime=0))
    (folder / SUMS_FILE).write_text(sums_text(folder), encoding="utf-8")
    return folder


def test_a_file_virtuoso_cannot_parse_reports_its_load_list_error(server, release_dir):
    broken = release_with_dump(
        release_dir.parent / "0.0.0-broken", b"<urn:a> <urn:b> <urn:c> .\n<urn:a> <urn:b> this is not N-Triples .\n"
    )
    with pytest.raises(VirtuosoError) as caught:
        load_release(broken, "0.0.0-broken", server.connection(), progress=lambda _: None)
    message = str(caught.value)
    assert re.search(r"Virtuoso could not load \S+/clastordf\.nt\.gz \(DB\.DBA\.load_list\.ll_error\): \S", message)


def test_a_count_that_differs_from_the_dump_is_an_error(server, release_dir):
    # Virtuoso keeps one copy of a repeated triple: the graph ends up one short of the file's lines.
    repeated = release_with_dump(
        release_dir.parent / "0.0.0-repeated",
        b'<urn:a> <urn:b> <urn:c> .\n<urn:a> <urn:b> <urn:c> .\n<urn:a> <urn:b> "d" .\n',
    )
    with pytest.raises(VirtuosoError, match=r"holds 2 triples after the load, but .* has 3"):
        load_release(repeated, "0.0.0-repeated", server.connection(), progress=lambda _: None)
