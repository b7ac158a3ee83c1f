"""``clastordf verify``: a release folder built from the real curation verifies, and each kind of
defect (checksums, syntax, counts, shapes, tables, missing files or tools) is reported by file."""

from __future__ import annotations

import gzip
import json
import shutil
import socket
from collections.abc import Callable
from pathlib import Path

import pyoxigraph as ox
import pytest

from clastordf.release import verify as release_verify
from clastordf.release.layout import SUMS_FILE, sha256_file, sums_text
from clastordf.release.verify import VerifyReport, verify_release
from clastordf.vocab import DATASET_IRI, PREFIXES

REPO = Path(__file__).resolve().parents[1]
VERSION = "0.1.0"
DOWNLOADS = f"https://w3id.org/clastordf/downloads/{VERSION}/"
CLASTO = "https://w3id.org/clastordf/vocab#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
FACT_CLASSES = (CLASTO + "ClastokineFact", CLASTO + "RegulationFact")


# ------------------------------------------------------------------ building a release folder


def _term_json(term: ox.NamedNode | ox.BlankNode | ox.Literal) -> dict:
    """A JSON-LD value object with full IRIs (no compaction, so no prefix subtleties)."""
    if isinstance(term, ox.NamedNode):
        return {"@id": term.value}
    if isinstance(term, ox.BlankNode):
        return {"@id": f"_:{term.value}"}
    if term.language:
        return {"@value": term.value, "@language": term.language}
    if term.datatype.value == XSD_STRING:
        return {"@value": term.value}
    return {"@value": term.value, "@type": term.datatype.value}


def jsonld_dump(triples: list[ox.Triple], context: dict) -> dict:
    """A flat JSON-LD document of ``triples`` with ``context`` inline."""
    nodes: dict[str, dict[str, list]] = {}
    for t in triples:
        subject = _term_json(t.subject)["@id"]
        nodes.setdefault(subject, {}).setdefault(t.predicate.value, []).append(_term_json(t.object))
    return {"@context": context, "@graph": [{"@id": s, **props} for s, props in nodes.items()]}


def void_turtle(triples: int) -> str:
    return (
        f"@prefix void: <http://rdfs.org/ns/void#> .\n"
        f"@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n\n"
        f"<{DATASET_IRI}> a void:Dataset ;\n"
        f"    void:dataDump <{DOWNLOADS}clastordf.ttl> , <{DOWNLOADS}clastordf.nt.gz> ;\n"
        f'    void:triples "{triples}"^^xsd:integer .\n'
    )


def dataset_jsonld() -> dict:
    return {
        "@context": "https://schema.org/",
        "@type": "Dataset",
        "@id": DATASET_IRI,
        "name": "clastordf",
        "description": "Osteoclast-osteoblast coupling factors.",
        "license": "https://creativecommons.org/publicdomain/zero/1.0/",
        "version": VERSION,
        "distribution": [
            {"@type": "DataDownload", "contentUrl": DOWNLOADS + "clastordf.ttl", "encodingFormat": "text/turtle"}
        ],
    }


def facts_tsv(triples: list[ox.Triple]) -> str:
    """``fact``, ``kind`` and ``label`` of every fact, sorted by IRI."""
    kinds: dict[str, str] = {}
    labels: dict[str, str] = {}
    for t in triples:
        if t.predicate.value == RDF_TYPE and t.object.value in FACT_CLASSES:
            kinds[t.subject.value] = t.object.value.rsplit("#", 1)[-1]
        elif t.predicate.value == RDFS_LABEL and isinstance(t.subject, ox.NamedNode):
            labels[t.subject.value] = t.object.value.replace("\t", " ").replace("\n", " ")
    rows = [f"{fact}\t{kinds[fact]}\t{labels.get(fact, '')}" for fact in sorted(kinds)]
    return "\n".join(["fact\tkind\tlabel", *rows]) + "\n"


def reseal(folder: Path) -> None:
    """Rewrite SHA256SUMS after a deliberate defect, so only that defect is reported."""
    (folder / SUMS_FILE).write_text(sums_text(folder), encoding="utf-8")


def build_release(build_dir: Path, folder: Path) -> Path:
    """A complete release folder from a build's outputs, made the way the release command lays it out."""
    folder.mkdir(parents=True)
    for path in sorted(build_dir.iterdir()):
        if path.is_file() and path.name.startswith("clastordf"):
            shutil.copyfile(path, folder / path.name)
    shutil.copyfile(REPO / "shapes" / "clastordf.shacl.ttl", folder / "clastordf.shacl.ttl")
    triples = [q.triple for q in ox.parse(path=str(folder / "clastordf.ttl"), format=ox.RdfFormat.TURTLE)]
    with gzip.open(folder / "clastordf.nt.gz", "wb") as fh:
        fh.write(ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES))
    context = dict(sorted(PREFIXES.items()))
    (folder / "clastordf.jsonld").write_text(
        json.dumps(jsonld_dump(triples, context), ensure_ascii=False, indent=1), encoding="utf-8"
    )
    (folder / "clastordf.context.jsonld").write_text(json.dumps({"@context": context}, indent=1), encoding="utf-8")
    (folder / "void.ttl").write_text(void_turtle(len(set(triples))), encoding="utf-8")
    (folder / "dataset.jsonld").write_text(json.dumps(dataset_jsonld(), indent=2), encoding="utf-8")
    (folder / "facts.tsv").write_text(facts_tsv(triples), encoding="utf-8")
    (folder / "README.md").write_text(f"# clastordf {VERSION}\n\nThe dataset and its descriptions.\n", encoding="utf-8")
    (folder / "CHANGELOG.md").write_text(f"# Changes in {VERSION}\n\nFirst release.\n", encoding="utf-8")
    reseal(folder)
    return folder


@pytest.fixture(scope="module", autouse=True)
def shacl_once_per_content():
    """SHACL on the real data takes seconds and most tests damage some other file: run the real
    validation once per distinct pair of (data, shapes) file contents and reuse its answer."""
    real = release_verify.shacl_violations
    answers: dict[tuple[str, str], list[str]] = {}

    def once(data_path: Path, shapes_path: Path) -> list[str]:
        key = (sha256_file(data_path), sha256_file(shapes_path))
        if key not in answers:
            answers[key] = real(data_path, shapes_path)
        return list(answers[key])

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(release_verify, "shacl_violations", once)
        yield


@pytest.fixture(scope="module")
def good_release(real_build_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_release(real_build_dir, tmp_path_factory.mktemp("release") / VERSION)


@pytest.fixture(scope="module")
def good_report(good_release: Path) -> tuple[VerifyReport, list[str]]:
    seen: list[str] = []
    return verify_release(good_release, seen.append), seen


@pytest.fixture
def release(good_release: Path, tmp_path: Path) -> Path:
    """A writable copy of the good release, to damage."""
    return Path(shutil.copytree(good_release, tmp_path / VERSION))


def edit(path: Path, change: Callable[[str], str]) -> None:
    text = path.read_text(encoding="utf-8")
    changed = change(text)
    assert changed != text, f"the edit did not change {path.name}"
    path.write_text(changed, encoding="utf-8")


def turtle_count(folder: Path) -> int:
    return len(set(ox.parse(path=str(folder / "clastordf.ttl"), format=ox.RdfFormat.TURTLE)))


def tools_path(tmp_path: Path, tools: tuple[str, ...]) -> str:
    """A PATH holding only ``tools`` (those installed), to simulate a machine without the others."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in tools:
        if found := shutil.which(tool):
            (bin_dir / tool).symlink_to(found)
    return str(bin_dir)


# ------------------------------------------------------------------ the good release


def test_good_release_verifies_with_the_independent_tools(good_report):
    report, seen = good_report
    assert report.ok, report.problems
    if shutil.which("rapper") and shutil.which("xmllint"):
        assert report.warnings == []
    checked = "\n".join(report.checked)
    rdf_tool = "rapper" if shutil.which("rapper") else "serdi" if shutil.which("serdi") else "pyoxigraph"
    for name in ("clastordf.ttl", "clastordf.nt.gz", "clastordf-vocab.ttl", "clastordf-wp.ttl", "void.ttl"):
        assert any(line.startswith(f"{name}: ") and f"({rdf_tool}" in line for line in report.checked), name
    if shutil.which("rapper"):
        assert any(line.startswith("clastordf.owl: ") and "(rapper)" in line for line in report.checked)
    if shutil.which("xmllint"):
        for name in ("clastordf.gpml", "clastordf-secreted.gpml", "clastordf.svg"):
            assert any(line.startswith(f"{name}: ") and "xmllint" in line for line in report.checked), name
    assert "clastordf.jsonld: " in checked and "(PyLD, offline)" in checked
    assert "clastordf.nt.gz, clastordf.ttl, clastordf.jsonld: the same" in checked
    assert "conforms to clastordf.shacl.ttl" in checked
    assert "void.ttl: void:triples" in checked
    assert "facts.tsv: " in checked and "dataset.jsonld: a schema.org Dataset" in checked
    assert f"{SUMS_FILE}: " in checked
    # A long verify says what it is doing.
    assert len(seen) >= 15 and any("clastordf.ttl" in line for line in seen)


def test_good_release_counts_the_turtle_triples(good_release, good_report):
    report, _ = good_report
    count = turtle_count(good_release)
    assert count > 5000
    assert f"clastordf.ttl: {count:,} triples (" in "\n".join(report.checked)


# ------------------------------------------------------------------ checksums and folder


def test_a_changed_byte_fails_the_checksum(release):
    path = release / "clastordf.svg"
    data = bytearray(path.read_bytes())
    data[100] = ord("X") if data[100] != ord("X") else ord("Y")
    path.write_bytes(bytes(data))
    report = verify_release(release)
    assert not report.ok
    assert any(p.startswith("clastordf.svg: SHA-256") and "does not match SHA256SUMS" in p for p in report.problems)


def test_an_unlisted_file_is_a_problem(release):
    (release / "notes.txt").write_text("not part of the release\n", encoding="utf-8")
    report = verify_release(release)
    assert any(p.startswith("notes.txt: not listed in SHA256SUMS") for p in report.problems), report.problems


def test_a_listed_file_that_is_gone_is_a_problem(release):
    (release / "clastordf-inferred.ttl").unlink()
    report = verify_release(release)
    assert "SHA256SUMS lists clastordf-inferred.ttl, which is not in the release" in report.problems


def test_a_malformed_sums_line_is_named(release):
    with (release / SUMS_FILE).open("a", encoding="utf-8") as fh:
        fh.write("not-a-digest  README.md\n")
    report = verify_release(release)
    lines = len((release / SUMS_FILE).read_text(encoding="utf-8").splitlines())
    assert any(f"{SUMS_FILE}:{lines}: not '<sha256 hex>  <file name>'" in p for p in report.problems), report.problems


def test_a_sub_folder_and_a_link_are_problems(release):
    (release / "extra").mkdir()
    (release / "link.ttl").symlink_to(release / "void.ttl")
    report = verify_release(release)
    assert "extra/: a sub-folder; a release holds plain files only" in report.problems
    assert "link.ttl: a symbolic link; a release holds plain files only" in report.problems


def test_missing_required_files_are_named(release):
    (release / "README.md").unlink()
    (release / "facts.tsv").unlink()
    reseal(release)
    report = verify_release(release)
    assert "README.md: missing (every release has it)" in report.problems
    assert "facts.tsv: missing (every release has it)" in report.problems
    assert len(report.problems) == 2, report.problems


# ------------------------------------------------------------------ independent parsers


@pytest.mark.parametrize("name", ["clastordf-vocab.ttl", "clastordf.ttl"])
def test_broken_turtle_is_reported_by_the_parser(release, name):
    with (release / name).open("a", encoding="utf-8") as fh:
        fh.write('\n<https://example.org/a> <https://example.org/b> "no closing quote .\n')
    reseal(release)
    report = verify_release(release)
    tool = "rapper" if shutil.which("rapper") else "serdi" if shutil.which("serdi") else "pyoxigraph"
    broken = [p for p in report.problems if p.startswith(f"{name}: not valid Turtle ({tool})")]
    assert broken, report.problems
    if tool == "rapper":
        assert "syntax error" in broken[0] or "Error" in broken[0]
    if tool != "pyoxigraph":
        # The tool's own message, which names the file and the line.
        lines = len((release / name).read_text(encoding="utf-8").splitlines())
        assert f"{name}:{lines}" in broken[0] or f"{name}:{lines - 1}" in broken[0]
    if name == "clastordf.ttl":
        # What depends on reading the dump is skipped, and says so.
        assert any("SHACL shapes not run" in w for w in report.warnings)


@pytest.mark.parametrize("tools", ["installed", "none"])
def test_a_truncated_gzip_dump_is_a_problem(release, tools, monkeypatch):
    if tools == "none":  # a machine without rapper/serdi: the in-process parser says the same
        monkeypatch.setattr(release_verify, "_tool", lambda name: None)
    path = release / "clastordf.nt.gz"
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    reseal(release)
    report = verify_release(release)
    assert any(p.startswith("clastordf.nt.gz: not a complete gzip file") for p in report.problems), report.problems


def test_a_gpml_schema_violation_is_reported_by_xmllint(release):
    edit(release / "clastordf-secreted.gpml", lambda t: t.replace("<DataNode ", '<DataNode Bogus="x" ', 1))
    reseal(release)
    report = verify_release(release)
    found = [p for p in report.problems if p.startswith("clastordf-secreted.gpml: not valid GPML 2013a")]
    assert found and "Bogus" in found[0], report.problems
    if shutil.which("xmllint"):
        assert "(xmllint --schema GPML2013a.xsd)" in found[0] and "clastordf-secreted.gpml:" in found[0]


def test_broken_svg_is_not_well_formed(release):
    edit(release / "clastordf.svg", lambda t: t.replace("</svg>", "</svgx>"))
    reseal(release)
    report = verify_release(release)
    assert any(p.startswith("clastordf.svg: not well-formed XML") for p in report.problems), report.problems


def test_a_truncated_html_page_is_a_problem(release):
    edit(release / "clastordf-ontology.html", lambda t: t[: len(t) // 2])
    reseal(release)
    report = verify_release(release)
    assert any(p.startswith("clastordf-ontology.html:") and "</html>" in p for p in report.problems)


# ------------------------------------------------------------------ JSON-LD


def test_a_remote_context_is_refused_without_network(release, monkeypatch):
    attempts: list[object] = []

    def no_network(*args, **kwargs):
        attempts.append(args)
        raise OSError("the network is off in this test")

    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    monkeypatch.setattr(socket.socket, "connect", no_network)
    path = release / "clastordf.jsonld"
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc["@context"] = "https://example.org/clastordf.context.jsonld"
    path.write_text(json.dumps(doc), encoding="utf-8")
    reseal(release)
    report = verify_release(release)
    assert attempts == []
    found = [p for p in report.problems if p.startswith("clastordf.jsonld: not convertible to RDF (PyLD)")]
    assert found and "https://example.org/clastordf.context.jsonld" in found[0], report.problems
    assert "clastordf.jsonld: its @context is not the one in clastordf.context.jsonld" in report.problems


def test_a_dropped_jsonld_triple_is_counted(release):
    path = release / "clastordf.jsonld"
    doc = json.loads(path.read_text(encoding="utf-8"))
    fact = next(
        n
        for n in doc["@graph"]
        if n["@id"].startswith("https://w3id.org/clastordf/fact/") and len(n.get(RDFS_LABEL, [])) == 1
    )
    del fact[RDFS_LABEL]
    path.write_text(json.dumps(doc), encoding="utf-8")
    reseal(release)
    report = verify_release(release)
    count = turtle_count(release)
    assert f"clastordf.jsonld: {count - 1:,} triples, but clastordf.nt.gz has {count:,}" in report.problems
    assert any(
        p.startswith("clastordf.jsonld: lacks 1 triple of clastordf.nt.gz: <" + fact["@id"] + ">")
        for p in report.problems
    ), report.problems


def test_a_changed_context_file_is_a_problem(release):
    path = release / "clastordf.context.jsonld"
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc["@context"]["extra"] = "https://example.org/extra#"
    path.write_text(json.dumps(doc), encoding="utf-8")
    reseal(release)
    report = verify_release(release)
    assert report.problems == ["clastordf.jsonld: its @context is not the one in clastordf.context.jsonld"]


def test_dataset_jsonld_needs_its_keys_and_no_foreign_context(release):
    path = release / "dataset.jsonld"
    doc = json.loads(path.read_text(encoding="utf-8"))
    del doc["license"]
    doc["@context"] = "https://example.org/context.jsonld"
    path.write_text(json.dumps(doc), encoding="utf-8")
    reseal(release)
    report = verify_release(release)
    assert any(p.startswith('dataset.jsonld: no "license"') for p in report.problems), report.problems
    assert any(
        p.startswith("dataset.jsonld: remote @context https://example.org/context.jsonld") for p in report.problems
    )


def test_dataset_jsonld_must_be_json(release):
    (release / "dataset.jsonld").write_text('{"@type": "Dataset",\n "name": }\n', encoding="utf-8")
    reseal(release)
    report = verify_release(release)
    assert any(p.startswith("dataset.jsonld:2:") and "not JSON" in p for p in report.problems), report.problems


# ------------------------------------------------------------------ counts, shapes, tables


def test_a_wrong_void_triples_count_is_a_problem(release):
    count = turtle_count(release)
    edit(release / "void.ttl", lambda t: t.replace(f'"{count}"', f'"{count + 1}"'))
    reseal(release)
    report = verify_release(release)
    assert report.problems == [
        f"void.ttl: void:triples of <{DATASET_IRI}> is {count + 1}, but clastordf.ttl has {count:,} triples"
    ]


def test_a_shacl_violation_in_the_dump_is_a_problem(release):
    edit(
        release / "clastordf.ttl",
        lambda t: t.replace("    clasto:reviewCategory clasto:SecretedClastokines ;\n", "", 1),
    )
    reseal(release)
    report = verify_release(release)
    shacl = [p for p in report.problems if p.startswith("clastordf.ttl: SHACL (clastordf.shacl.ttl): ")]
    assert len(shacl) == 1 and "clasto:reviewCategory" in shacl[0], report.problems


def test_a_facts_row_without_a_column_is_named_by_line(release):
    def drop_column(text: str) -> str:
        lines = text.splitlines()
        lines[2] = lines[2].rsplit("\t", 1)[0]
        return "\n".join(lines) + "\n"

    edit(release / "facts.tsv", drop_column)
    reseal(release)
    report = verify_release(release)
    assert report.problems == ["facts.tsv:3: 2 columns, the header has 3"]


def test_facts_rows_must_match_the_facts(release):
    def swap_row(text: str) -> str:
        lines = text.splitlines()
        del lines[1]
        lines.append("https://w3id.org/clastordf/fact/CF9999\tClastokineFact\tnot curated")
        return "\n".join(lines) + "\n"

    edit(release / "facts.tsv", swap_row)
    reseal(release)
    report = verify_release(release)
    lines = len((release / "facts.tsv").read_text(encoding="utf-8").splitlines())
    assert (
        f"facts.tsv:{lines}: https://w3id.org/clastordf/fact/CF9999 is not a clasto:ClastokineFact or "
        "clasto:RegulationFact in clastordf.ttl"
    ) in report.problems
    assert any(
        p.startswith("facts.tsv: no row for 1 fact of clastordf.ttl: https://w3id.org/clastordf/fact/")
        for p in report.problems
    ), report.problems


def test_gmt_gene_ids_are_numbers(release):
    edit(release / "clastordf.gmt", lambda t: t.replace("\n", "\tTNFSF11\n", 1))
    with (release / "clastordf.gmt").open("a", encoding="utf-8") as fh:
        fh.write("a set without genes\tdescription\n")
    reseal(release)
    report = verify_release(release)
    lines = len((release / "clastordf.gmt").read_text(encoding="utf-8").splitlines())
    assert report.problems == [
        "clastordf.gmt:1: gene ids must be NCBI Gene numbers, not 'TNFSF11'",
        f"clastordf.gmt:{lines}: 2 tab-separated columns; a gene set needs a name, a description and at least "
        "one gene id",
    ]


# ------------------------------------------------------------------ missing tools, time limits


def test_missing_tools_fall_back_with_a_warning(release, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", tools_path(tmp_path, ()))
    report = verify_release(release)
    assert report.ok, report.problems
    warnings = "\n".join(report.warnings)
    assert "neither rapper (raptor2-utils) nor serdi (serd) is on PATH" in warnings
    assert "xmllint (libxml2-utils) is not on PATH" in warnings
    assert any(line.startswith("clastordf.ttl: ") and "(pyoxigraph, in-process)" in line for line in report.checked)
    assert any(line.startswith("clastordf.gpml: valid GPML 2013a (lxml, in-process)") for line in report.checked)


def test_missing_tools_are_problems_when_strict(release, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", tools_path(tmp_path, ()))
    report = verify_release(release, strict_tools=True)
    assert not report.ok
    assert any(p.startswith("neither rapper") and "--strict-tools" in p for p in report.problems)
    assert any(p.startswith("xmllint (libxml2-utils) is not on PATH") for p in report.problems)
    assert report.warnings == []


def test_the_fallback_still_finds_defects(release, tmp_path, monkeypatch):
    edit(release / "clastordf-secreted.gpml", lambda t: t.replace("<DataNode ", '<DataNode Bogus="x" ', 1))
    path = release / "clastordf.nt.gz"
    path.write_bytes(path.read_bytes()[:-40])
    reseal(release)
    monkeypatch.setenv("PATH", tools_path(tmp_path, ()))
    report = verify_release(release)
    assert any(
        p.startswith("clastordf-secreted.gpml: not valid GPML 2013a (lxml, in-process)") and "Bogus" in p
        for p in report.problems
    ), report.problems
    assert any(p.startswith("clastordf.nt.gz: not a complete gzip file") for p in report.problems), report.problems


@pytest.mark.skipif(shutil.which("serdi") is None, reason="serdi (serd) is not installed")
def test_serdi_reads_turtle_and_ntriples_when_rapper_is_missing(release, good_release, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", tools_path(tmp_path, ("serdi", "xmllint")))
    report = verify_release(release)
    assert report.ok, report.problems
    count = turtle_count(good_release)
    assert f"clastordf.ttl: {count:,} triples (serdi)" in report.checked
    assert f"clastordf.nt.gz: {count:,} triples (serdi)" in report.checked
    # serdi has no RDF/XML reader: the ontology falls back, and the warning says why.
    assert any("serdi cannot read RDF/XML" in w for w in report.warnings)


@pytest.mark.skipif(shutil.which("xmllint") is None, reason="xmllint is not installed")
def test_a_tool_that_hangs_is_stopped(release, tmp_path, monkeypatch):
    bin_path = tools_path(tmp_path, ("xmllint",))
    hanging = Path(bin_path) / "rapper"
    # A child process that outlives its shell: the whole process group must be stopped.
    hanging.write_text(f"#!/bin/sh\n{shutil.which('sleep')} 60\n", encoding="utf-8")
    hanging.chmod(0o755)
    monkeypatch.setenv("PATH", bin_path)
    report = verify_release(release, timeout=0.3)
    stopped = [p for p in report.problems if "rapper did not finish within 0.3 s" in p]
    assert any(p.startswith("clastordf.ttl: ") for p in stopped)
    assert any(p.startswith("clastordf.nt.gz: ") for p in stopped)


def test_the_cli_prints_the_checks_and_fails_on_a_problem(release, capsys):
    from clastordf.cli import main

    assert main(["verify", str(release)]) == 0
    out = capsys.readouterr().out
    assert "ok: clastordf.ttl: " in out and f"{release}: verified" in out
    (release / "stray.txt").write_text("x\n", encoding="utf-8")
    assert main(["verify", str(release)]) == 1
    err = capsys.readouterr().err
    assert "problem: stray.txt: not listed in SHA256SUMS" in err


def test_a_release_given_by_a_relative_path_is_verified(good_release, monkeypatch):
    """The README's `clastordf verify build/release/V`, from the folder above: a relative path."""
    monkeypatch.chdir(good_release.parent)
    report = verify_release(Path(good_release.name))
    assert report.ok, report.problems
