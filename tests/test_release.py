"""``clastordf release``: complete, verified, reproducible, comparable releases (on the mini fixture,
plus one release of the real curation)."""

from __future__ import annotations

import gzip
import json
import os
import re
import subprocess
import sys

import pytest
from pyld import jsonld
from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import DCTERMS, XSD

from clastordf.build import build
from clastordf.cli import main
from clastordf.release.facts_table import COLUMNS
from clastordf.release.layout import SUMS_FILE, list_releases, read_sums, sha256_file
from clastordf.release.make import ReleaseError, make_release
from clastordf.release.verify import verify_release
from clastordf.vocab import DATASET_IRI

REQUIRED = (
    "clastordf.ttl",
    "clastordf.nt.gz",
    "clastordf.jsonld",
    "clastordf.context.jsonld",
    "clastordf.owl",
    "clastordf-vocab.ttl",
    "clastordf.shacl.ttl",
    "clastordf.gpml",
    "clastordf-wp.ttl",
    "clastordf.gmt",
    "facts.tsv",
    "void.ttl",
    "dataset.jsonld",
    "README.md",
    "CHANGELOG.md",
    SUMS_FILE,
)
VOID = "http://rdfs.org/ns/void#"


def quiet(_: str) -> None:
    pass


def set_version(project, version: str, issued: str) -> None:
    path = project.curation / "dataset.yaml"
    text = path.read_text(encoding="utf-8")
    text = re.sub(r"(?m)^version: .*$", f"version: {version}", text)
    text = re.sub(r"(?m)^issued: .*$", f"issued: {issued}", text)
    path.write_text(text, encoding="utf-8")


@pytest.fixture
def first(mini, tmp_path):
    """The mini fixture released as 0.0.1 into tmp_path/build."""
    result = make_release(mini, "0.0.1", tmp_path / "build", build=build, progress=quiet)
    return result.path


def test_release_has_every_file_listed_and_verified(first):
    names = {p.name for p in first.iterdir()}
    assert set(REQUIRED) <= names
    sums = read_sums(first / SUMS_FILE)
    assert set(sums) == names - {SUMS_FILE}
    for name, digest in sums.items():
        assert sha256_file(first / name) == digest, name
    report = verify_release(first)
    assert report.ok, report.problems
    # Nothing of the making is left beside the release, and the release is readable by others
    # (its temporary folder was made private).
    assert [p.name for p in first.parent.iterdir()] == ["0.0.1"]
    umask = os.umask(0)
    os.umask(umask)
    assert first.stat().st_mode & 0o777 == 0o777 & ~umask


def test_dumps_hold_the_same_triples(first):
    turtle = Graph().parse(first / "clastordf.ttl", format="turtle")
    with gzip.open(first / "clastordf.nt.gz", "rt", encoding="utf-8") as fh:
        ntriples = Graph().parse(data=fh.read(), format="nt")
    doc = json.loads((first / "clastordf.jsonld").read_text(encoding="utf-8"))
    nquads = jsonld.to_rdf(doc, {"format": "application/n-quads"})
    from_jsonld = Graph().parse(data=nquads, format="nt")
    assert len(turtle) == len(ntriples) == len(from_jsonld) > 500
    assert isomorphic(turtle, ntriples)
    assert isomorphic(turtle, from_jsonld)
    context = json.loads((first / "clastordf.context.jsonld").read_text(encoding="utf-8"))
    assert doc["@context"] == context["@context"]


def test_release_is_reproducible(mini, tmp_path):
    a = make_release(mini, "0.0.1", tmp_path / "a", build=build, progress=quiet).path
    b = make_release(mini, "0.0.1", tmp_path / "b", build=build, progress=quiet).path
    assert (a / SUMS_FILE).read_bytes() == (b / SUMS_FILE).read_bytes()
    for name in read_sums(a / SUMS_FILE):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
        # Modification times are the release date, not the clock (Last-Modified on the server).
        assert (a / name).stat().st_mtime == 1767225600, name  # 2026-01-01, the fixture's issued date


def test_source_date_epoch_overrides_the_release_date(mini, tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767312000")  # 2026-01-02
    folder = make_release(mini, "0.0.1", tmp_path / "build", build=build, progress=quiet).path
    graph = Graph().parse(folder / "void.ttl", format="turtle")
    assert graph.value(URIRef(DATASET_IRI), DCTERMS.issued) == Literal("2026-01-02", datatype=XSD.date)
    data = (folder / "clastordf.ttl").read_text(encoding="utf-8")
    assert 'dcterms:modified "2026-01-02"^^xsd:date' in data


def test_existing_release_needs_force(mini, first):
    before = (first / SUMS_FILE).read_bytes()
    with pytest.raises(ReleaseError, match="already exists.*--force"):
        make_release(mini, "0.0.1", first.parent.parent, build=build, progress=quiet)
    assert (first / SUMS_FILE).read_bytes() == before
    make_release(mini, "0.0.1", first.parent.parent, build=build, force=True, progress=quiet)
    assert (first / SUMS_FILE).read_bytes() == before
    assert [p.name for p in first.parent.iterdir()] == ["0.0.1"]


def test_version_must_match_the_curation(mini, tmp_path):
    with pytest.raises(ReleaseError, match=r"dataset\.yaml:4: version is '0\.0\.1' but the release is '0\.0\.2'"):
        make_release(mini, "0.0.2", tmp_path / "build", build=build, progress=quiet)
    with pytest.raises(ReleaseError, match="release version '../x'"):
        make_release(mini, "../x", tmp_path / "build", build=build, progress=quiet)
    assert not (tmp_path / "build" / "release" / "0.0.2").exists()


def test_failed_verification_leaves_nothing(mini, tmp_path, monkeypatch):
    from clastordf.release import make as release
    from clastordf.release.verify import VerifyReport

    def failing(folder, progress=None, strict_tools=False):
        return VerifyReport(problems=[f"{folder.name}: planted problem"], warnings=[], checked=[])

    monkeypatch.setattr(release, "verify_release", failing)
    with pytest.raises(ReleaseError, match="planted problem"):
        make_release(mini, "0.0.1", tmp_path / "build", build=build, progress=quiet)
    assert list((tmp_path / "build" / "release").iterdir()) == []


def test_second_release_says_what_changed(mini, first):
    facts = mini.curation / "facts" / "slit3.yaml"
    text = facts.read_text(encoding="utf-8")
    old = "LIF from osteoclasts acts on the LIFR–gp130 complex of osteoblasts to promote osteoblast differentiation"
    text = text.replace(old, "LIF from osteoclasts promotes osteoblast differentiation through LIFR–gp130")
    facts.write_text(text, encoding="utf-8")
    set_version(mini, "0.0.2", "2026-02-01")
    second = make_release(mini, "0.0.2", first.parent.parent, build=build, progress=quiet).path
    changelog = (second / "CHANGELOG.md").read_text(encoding="utf-8")
    assert changelog.startswith("# Changelog\n")
    assert "0.0.2" in changelog and "0.0.1" in changelog
    assert "CF0002" in changelog and "rdfs:label" in changelog
    assert "promotes osteoblast differentiation through LIFR–gp130" in changelog
    # The history of the first release is kept below.
    assert changelog.index("0.0.2") < changelog.rindex("First release")
    void = Graph().parse(second / "void.ttl", format="turtle")
    assert (
        URIRef(DATASET_IRI),
        URIRef("http://purl.org/pav/previousVersion"),
        URIRef("https://w3id.org/clastordf/releases/0.0.1"),
    ) in void
    assert [r.version for r in list_releases(first.parent)] == ["0.0.1", "0.0.2"]


def test_facts_table(first):
    lines = (first / "facts.tsv").read_text(encoding="utf-8").splitlines()
    assert lines[0].split("\t") == COLUMNS
    rows = [dict(zip(COLUMNS, line.split("\t"), strict=True)) for line in lines[1:]]
    assert [r["id"] for r in rows] == ["CF0001", "CF0002", "CF0003", "CF0004"]
    slit3 = rows[0]
    assert slit3["ligand_label"] == "SLIT3"
    # SLIT3's osteoclast source is disputed: a contested source, no settled producing cell
    assert slit3["producing_cell"] == "" and slit3["contested_source_cell"] == "CL:0000092"
    assert slit3["contested_source_cell_label"] == "osteoclast"
    assert slit3["review_category"] == "clasto:SecretedClastokines"
    assert slit3["review_category_label"] == "secreted (clastokines)"
    assert slit3["evidence_level"] == "clasto:InVitroOnly"
    assert slit3["contested"] == "yes"
    # References and evidence types come from supporting lines; disputing studies have their own column.
    assert slit3["pmid"] == "29504949" and slit3["disputing_pmid"] == "32133214"
    assert slit3["evidence_type"] == "ECO:0000314"
    assert "therapeutic_note" in slit3 and "ovariectomized" in slit3["therapeutic_note"]
    assert slit3["promotes"] == "GO:0016477" and slit3["promotes_label"] == "cell migration"
    lif, mir214 = rows[1], rows[2]
    assert lif["pmid"] == "23891907" and lif["doi"] == "10.1016/j.bone.2013.07.023; 10.7554/eLife.95083"
    assert mir214["doi"] == "10.1186/s12964-023-01226-w" and mir214["carrier"] == "GO:0070062"


def test_void_and_schema_org_descriptions(first):
    void = Graph().parse(first / "void.ttl", format="turtle")
    d = URIRef(DATASET_IRI)
    triples = len(Graph().parse(first / "clastordf.ttl", format="turtle"))
    assert void.value(d, URIRef(VOID + "triples")).toPython() == triples
    assert void.value(d, DCTERMS.license) == URIRef("http://creativecommons.org/publicdomain/zero/1.0/")
    assert str(void.value(d, URIRef("http://purl.org/pav/version"))) == "0.0.1"
    assert void.value(d, URIRef("http://www.w3.org/ns/prov#wasDerivedFrom")) == URIRef(
        "https://doi.org/10.7554/eLife.95083"
    )
    assert void.value(d, URIRef(VOID + "sparqlEndpoint")) == URIRef("https://w3id.org/clastordf/sparql")
    assert len(list(void.objects(d, URIRef(VOID + "exampleResource")))) == 3
    dumps = {str(o) for o in void.objects(d, URIRef(VOID + "dataDump"))}
    assert dumps == {
        f"https://w3id.org/clastordf/downloads/0.0.1/{n}"
        for n in ("clastordf.ttl", "clastordf.nt.gz", "clastordf.jsonld")
    }
    sums = read_sums(first / SUMS_FILE)
    checksums = {str(o) for o in void.objects(None, URIRef("http://spdx.org/rdf/terms#checksumValue"))}
    assert sums["clastordf.ttl"] in checksums and sums["clastordf.gpml"] in checksums
    doc = json.loads((first / "dataset.jsonld").read_text(encoding="utf-8"))
    assert doc["@type"] == "Dataset" and doc["version"] == "0.0.1" and doc["datePublished"] == "2026-01-01"
    downloads = {d["name"]: d for d in doc["distribution"]}
    assert downloads["clastordf.nt.gz"]["sha256"] == sums["clastordf.nt.gz"]
    assert downloads["clastordf.ttl"]["encodingFormat"] == "text/turtle"


def test_readme_examples_run(first):
    """The Python snippets of the release README load the release as written."""
    readme = (first / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", readme, re.S)
    assert len(blocks) == 2
    triples = len(Graph().parse(first / "clastordf.ttl", format="turtle"))
    for block in blocks:
        out = subprocess.run([sys.executable, "-c", block], cwd=first, capture_output=True, text=True, check=True)
        assert out.stdout.strip() == f"{triples} triples"
    assert "ld_dir(" in readme and "rdf_loader_run();" in readme and "Cite" in readme


def test_cli_virtuoso_load_names_bad_settings(first, monkeypatch, capsys):
    monkeypatch.setenv("CLASTORDF_VIRTUOSO_PORT", "eleven")
    code = main(["virtuoso", "load", "--release", "0.0.1", "--build-dir", str(first.parent.parent)])
    assert code == 1
    assert "CLASTORDF_VIRTUOSO_PORT" in capsys.readouterr().err
    assert main(["virtuoso", "load", "--release", "9.9.9", "--build-dir", str(first.parent.parent)]) == 2
    err = capsys.readouterr().err
    assert "no release '9.9.9'" in err and "the releases there are: 0.0.1" in err


def test_cli_release_diff_and_verify(mini, tmp_path, capsys):
    build_dir = tmp_path / "build"
    assert main(["--project", str(mini.root), "release", "--version", "0.0.1", "--build-dir", str(build_dir)]) == 0
    assert main(["--project", str(mini.root), "release", "--version", "0.0.1", "--build-dir", str(build_dir)]) == 1
    assert "--force" in capsys.readouterr().err
    folder = build_dir / "release" / "0.0.1"
    assert main(["verify", str(folder)]) == 0
    assert "verified" in capsys.readouterr().out
    assert main(["diff", str(folder), str(folder), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)
    (folder / "facts.tsv").write_text("tampered\n", encoding="utf-8")
    assert main(["verify", str(folder)]) == 1
    assert "facts.tsv" in capsys.readouterr().err


def test_real_release_verifies(real_release):
    report = verify_release(real_release, strict_tools=bool(__import__("os").environ.get("CI")))
    assert report.ok, report.problems
    rows = (real_release / "facts.tsv").read_text(encoding="utf-8").splitlines()[1:]
    assert len(rows) == 61
