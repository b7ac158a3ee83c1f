"""Curation reports on the real dataset and on the mini fixture: coverage (Table 1 rows, text mechanisms,
review categories, evidence levels, contest) and the PFOCR Figure 2 reconciliation."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from clastordf.build import Timings, checked_curation
from clastordf.cli import main
from clastordf.curation.model import Curation
from clastordf.curation.reader import read_curation
from clastordf.project import Project
from clastordf.reports import pfocr
from clastordf.reports.coverage import TEXT_MECHANISMS, coverage, parse_fate, read_text_mechanisms

#: Table 1's Category column -> the curated review category.
TABLE1_CATEGORY = {
    "Membrane bound": "MembraneBoundFactors",
    "Matrix derived": "MatrixDerivedFactors",
    "Secreted (clastokines)": "SecretedClastokines",
    "Putative clastokines (limited data)": "PutativeClastokines",
    "EV-contained": "EVContainedFactors",
}


def _tsv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE))


def table1_categories(shared: Path) -> dict[int, str]:
    """Row number (1–25, file order) -> review category, from the review's Table 1."""
    rows = _tsv(shared / "sources" / "elife-95083-table1.tsv")
    return {i: TABLE1_CATEGORY[row["Category"]] for i, row in enumerate(rows, start=1)}


def table1_category_mismatches(curation: Curation, categories: dict[int, str]) -> list[str]:
    """Facts whose first source location is a Table 1 row of another category than the fact's."""
    out = []
    for fact in curation.facts:
        first = fact.source_locations[0] if fact.source_locations else ""
        if first.startswith("table1-row"):
            row = int(first.removeprefix("table1-row"))
            if fact.review_category != categories[row]:
                out.append(f"{fact.id}: {first} is {categories[row]}, the fact says {fact.review_category}")
    return out


def _write_tsv(path: Path, rows: list[tuple[str, ...]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join("\t".join(r) + "\n" for r in rows), encoding="utf-8")


MECHANISM_HEADER = ("mechanism", "source", "fate", "note")


@pytest.fixture(scope="module")
def real(repo: Project):
    """The real curation, checked: (curation, term index, derived layer)."""
    return checked_curation(repo, Timings(), lambda _: None)


# --- Table 1 and review categories ---------------------------------------------------------------


def test_table1_categories_match_the_review(real, shared):
    categories = table1_categories(shared)
    assert len(categories) == 25
    assert table1_category_mismatches(real[0], categories) == []


def test_table1_category_mismatch_is_reported(mini, shared):
    curation = read_curation(mini.curation)
    categories = table1_categories(shared)
    assert table1_category_mismatches(curation, categories) == []  # CF0001 cites table1-row14 first
    fact = next(f for f in curation.facts if f.id == "CF0001")
    fact.review_category = "PutativeClastokines"
    assert table1_category_mismatches(curation, categories) == [
        "CF0001: table1-row14 is SecretedClastokines, the fact says PutativeClastokines"
    ]


def test_facts_citing_a_row_first_must_agree_on_its_category(mini):
    curation = read_curation(mini.curation)
    assert coverage(curation).problems == []
    lif = next(f for f in curation.facts if f.id == "CF0002")
    lif.source_locations = ["table1-row14"]
    lif.review_category = "PutativeClastokines"
    problems = coverage(curation).problems
    assert {p.record for p in problems} == {"CF0001", "CF0002"}
    assert all("the facts citing table1-row14 first disagree" in p.message for p in problems)


# --- the coverage report ---------------------------------------------------------------------------


def test_coverage_report_shows_every_table1_row_and_text_mechanism(repo, capsys):
    assert main(["--project", str(repo.root), "report", "coverage"]) == 0
    out = capsys.readouterr().out
    assert "Table 1: 25 of 25 rows covered." in out
    assert "| 2 | MatrixDerivedFactors | CF0100" in out
    assert "| Secreted | " in out and "## Terms used per ontology" in out
    assert "## Evidence levels" in out and "## Contested facts" in out
    assert "## Problems (0)" in out
    rows = _tsv(repo.curation / TEXT_MECHANISMS)
    assert len(rows) > 40
    for row in rows:
        fate = row["fate"].partition(":")
        ids_or_reason = fate[2].strip()
        assert f"| {row['mechanism']} | {row['source']} | {fate[0]} | {ids_or_reason}" in out, row["mechanism"]


def test_coverage_report_json_on_the_real_curation(repo, capsys):
    assert main(["--project", str(repo.root), "report", "coverage", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["problems"] == [] and data["table1_gaps"] == []
    assert data["table1_categories"]["20"] == ["PutativeClastokines"]
    assert sum(data["facts_by_evidence_level"].values()) == sum(
        sum(counts.values()) for counts in data["by_mechanism_category"].values()
    )
    slit3 = next(c for c in data["contested"] if c["fact"] == "CF0320")
    assert "32133214" in slit3["disputing_pmids"]  # Li et al. 2020: osteoclasts are not a source of SLIT3
    fates = {m["mechanism"]: m for m in data["text_mechanisms"]}
    assert fates["ADAM10 sheds transmembrane CXCL16 into its soluble form"]["facts"] == ["CF0403"]


def test_coverage_report_json_lists_gaps_and_fails(mini, capsys):
    assert main(["--project", str(mini.root), "report", "coverage", "--format", "json"]) == 1
    captured = capsys.readouterr()
    data = json.loads(captured.out)
    assert data["table1"]["14"] == ["CF0001"]
    assert data["table1_categories"]["14"] == ["SecretedClastokines"]
    assert 1 in data["table1_gaps"] and 14 not in data["table1_gaps"]
    assert data["terms_per_ontology"]["CL"] == 2  # osteoclast, osteoblast
    assert "bib78" in data["references_used"]
    assert "CF0003-c2" in data["claims_without_in_vivo"]
    assert data["by_mechanism_category"] == {
        "Regulation": {"SecretedClastokines": 1},
        "Secreted": {"SecretedClastokines": 2},
        "VesicleMediated": {"EVContainedFactors": 1},
    }
    assert data["facts_by_evidence_level"] == {"InVivoSupport": 0, "InVitroOnly": 4, "AuthorStatementOnly": 0}
    # CF0002-c2 (LIF is agonist of LIFR–gp130) rests on the review's statement alone
    assert data["claims_by_evidence_level"] == {"InVivoSupport": 0, "InVitroOnly": 8, "AuthorStatementOnly": 1}
    assert data["contested_facts_by_evidence_level"]["InVitroOnly"] == 1
    assert data["contested"] == [
        {"fact": "CF0001", "claims": ["c1"], "disputing_pmids": ["32133214"], "disputing_dois": []}
    ]
    # the fixture has no text-mechanism list: that is a problem too
    assert data["problems"] == [
        "curation/coverage/text-mechanisms.tsv: missing: list every mechanism of the review's text with its fate"
    ]
    assert "problem: curation/coverage/text-mechanisms.tsv: missing" in captured.err


def test_text_mechanisms_are_listed_with_their_fates(mini):
    path = mini.curation / TEXT_MECHANISMS
    _write_tsv(
        path,
        [
            MECHANISM_HEADER,
            ("SLIT3 source controversy", "s15", "curated: CF0001", "Li et al. 2020"),
            ("LIF autocrine", "s13", "comment only: CF0002", ""),
            ("Osteomorphs", "s24", "out of scope: an open question", ""),
            ("Spatial organisation", "s24 fig4", "missing: not yet curated", "Borggaard 2022"),
        ],
    )
    curation = read_curation(mini.curation)
    report = coverage(curation, text_mechanisms=path)
    assert report.problems == []
    assert [(m.mechanism, m.fate, m.facts, m.reason) for m in report.text_mechanisms] == [
        ("SLIT3 source controversy", "curated", ["CF0001"], ""),
        ("LIF autocrine", "comment only", ["CF0002"], ""),
        ("Osteomorphs", "out of scope", [], "an open question"),
        ("Spatial organisation", "missing", [], "not yet curated"),
    ]
    assert report.text_mechanism_gaps == ["Spatial organisation"]
    assert report.ok is False  # Table 1 gaps of the fixture, not the mechanisms


def test_text_mechanism_fate_naming_an_unknown_fact_fails(mini, capsys):
    _write_tsv(
        mini.curation / TEXT_MECHANISMS,
        [MECHANISM_HEADER, ("SLIT3 source controversy", "s15", "curated: CF0001 CF0999", "")],
    )
    assert main(["--project", str(mini.root), "report", "coverage"]) == 1
    captured = capsys.readouterr()
    message = "curation/coverage/text-mechanisms.tsv:2: fate: names a fact that is not in the curation: CF0999"
    assert f"- {message}" in captured.out
    assert f"problem: {message}" in captured.err
    assert "| SLIT3 source controversy | s15 | invalid | curated: CF0001 CF0999 |" in captured.out  # still listed


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (("A", "s2", "curated:", ""), "`curated:` names no fact"),
        (("A", "s2", "curated: CF1", ""), "not a fact id: CF1"),
        (("A", "s2", "comment only: CF0404", ""), "names a fact that is not in the curation: CF0404"),
        (("A", "s2", "out of scope:", ""), "`out of scope:` gives no reason"),
        (("A", "s2", "covered: CF0001", ""), "a fate is `curated: CF…`"),
        (("A", "s99", "curated: CF0001", ""), "not a section or figure of the review: s99"),
        (("A", "", "curated: CF0001", ""), "empty: give the review's section ids"),
        (("A", "s2", "curated: CF0001"), "3 columns, expected 4"),
    ],
)
def test_bad_text_mechanism_rows_are_problems(mini, row, message):
    path = mini.curation / TEXT_MECHANISMS
    _write_tsv(path, [MECHANISM_HEADER, row])
    _, problems = read_text_mechanisms(path, read_curation(mini.curation))
    assert len(problems) == 1 and message in problems[0].message, problems


def test_text_mechanism_listed_twice_and_bad_header(mini):
    path = mini.curation / TEXT_MECHANISMS
    curation = read_curation(mini.curation)
    _write_tsv(path, [MECHANISM_HEADER, ("A", "s2", "curated: CF0001", ""), ("A", "s3", "curated: CF0002", "")])
    _, problems = read_text_mechanisms(path, curation)
    assert [str(p) for p in problems] == [f"{path}:3: mechanism: listed twice (first at line 2)"]
    _write_tsv(path, [("mechanism", "source", "fate"), ("A", "s2", "curated: CF0001")])
    _, problems = read_text_mechanisms(path, curation)
    assert [p.field for p in problems] == ["header"]


def test_parse_fate():
    assert parse_fate("curated: CF0100  CF0105", {"CF0100", "CF0105"}) == ("curated", ["CF0100", "CF0105"], "")
    assert parse_fate("missing: not yet", set()) == ("missing", [], "not yet")


def test_real_text_mechanisms_name_existing_facts(repo, real):
    rows, problems = read_text_mechanisms(repo.curation / TEXT_MECHANISMS, real[0])
    assert problems == []
    assert len({m.mechanism for m in rows}) == len(rows)
    assert {m.fate for m in rows} <= {"curated", "comment only", "out of scope", "missing"}
    facts = {f.id: f for f in real[0].facts}
    for m in rows:
        # a fate's facts exist, and the curated ones cite the mechanism's section or carry its evidence
        assert all(i in facts for i in m.facts), m.mechanism
        assert set(m.elsewhere) <= set(m.facts)


# --- PFOCR Figure 2 ----------------------------------------------------------------------------------


def test_pfocr_report_lists_every_ocr_row_with_its_fate(repo, capsys):
    assert main(["--project", str(repo.root), "report", "pfocr"]) == 0
    out = capsys.readouterr().out
    assert "| S1P | gene | MBTPS1 | 8720 | noise | S1P | alias collision" in out  # S1P misread as a gene symbol
    assert "| gp130 | gene | IL6ST | 3572 | curated | IL6ST | IL6ST: gp130" in out
    assert "| SLIT3 | gene | SLIT1 | 6585 | noise | SLIT3 | alias collision" in out
    assert "| PLC | gene | PLCB1 | 23236 | family |" in out
    assert "| S1P | chemical | S1P | CHEBI:37550 | curated | S1P |" in out
    assert "Curated ligands and receptors the OCR missed" in out and "## Problems (0)" in out
    assert "**no fate**" not in out
    genes = _tsv(repo.curation / "pfocr" / "fig2-genes.tsv")
    chemicals = _tsv(repo.curation / "pfocr" / "fig2-chemicals.tsv")
    assert f"{len(genes) + len(chemicals)} OCR rows:" in out
    for r in genes:
        assert f"| {r['word']} | gene | {r['ncbigene_symbol']} | {r['ncbigene_id']} |" in out


def test_real_reconciliation_has_a_row_per_ocr_row(repo, real):
    curation, index, derived = real
    folder = repo.curation / "pfocr"
    hits, _ = pfocr.compare(curation, derived, index, folder)
    fates, problems = pfocr.reconcile(hits, curation, index, folder)
    assert problems == []
    assert set(fates) == {(h.word, h.symbol) for h in hits}
    rows = _tsv(folder / pfocr.RECONCILIATION)
    assert len(rows) == len(hits) == 96
    assert {r["fate"] for r in rows} <= set(pfocr.FATES)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda rows: [r for r in rows if r[:2] != ("ERK", "MAPK3")], "`ERK` → MAPK3 has no fate"),
        (lambda rows: [*rows, ("ERK", "MAPK7", "noise", "x")], "no such OCR row"),
        (lambda rows: [*rows, rows[1]], "listed twice"),
        (
            lambda rows: [r if r[:2] != ("S1PR", "S1PR4") else (*r[:2], "curated", "S1PR1: wrong") for r in rows],
            "S1PR1 is the gene S1PR1, not S1PR4",
        ),
        (
            lambda rows: [r if r[:2] != ("S1PR", "S1PR4") else (*r[:2], "curated", "S1PR4: not curated") for r in rows],
            "`S1PR4` is not one",
        ),
        (
            lambda rows: [r if r[:2] != ("LIF", "LIF") else (*r[:2], "noise", "stale") for r in rows],
            "make it `curated` (LIF)",
        ),
        (
            lambda rows: [r if r[:2] != ("LIF", "LIF") else (*r[:2], "covered", "LIF") for r in rows],
            "`covered` is not one of curated, family, noise, missing",
        ),
        (lambda rows: [r if r[:2] != ("PLC", "PLCB1") else (*r[:2], "family", "") for r in rows], "reason: empty"),
    ],
)
def test_reconciliation_problems(repo, real, tmp_path, edit, message):
    curation, index, derived = real
    for name in ("fig2-genes.tsv", "fig2-chemicals.tsv"):
        (tmp_path / name).write_bytes((repo.curation / "pfocr" / name).read_bytes())
    with (repo.curation / "pfocr" / pfocr.RECONCILIATION).open(encoding="utf-8", newline="") as fh:
        rows = [tuple(r) for r in csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)]
    _write_tsv(tmp_path / pfocr.RECONCILIATION, edit(rows))
    hits, _ = pfocr.compare(curation, derived, index, tmp_path)
    _, problems = pfocr.reconcile(hits, curation, index, tmp_path)
    assert any(message in str(p) for p in problems), [str(p) for p in problems]


def _mini_pfocr(project: Project, reconciliation: list[tuple[str, ...]]) -> None:
    """A small Figure 2 record in the mini project, with the given reconciliation rows."""
    folder = project.curation / "pfocr"
    head = ("organism_id", "word", "match", "ncbigene_symbol", "ncbigene_id")
    _write_tsv(
        folder / "fig2-genes.tsv",
        [
            head,
            ("9606", "SLIT3", "SLIT3", "SLIT3", "6586"),
            ("9606", "SLIT3", "SLIT3", "SLIT1", "6585"),
            ("9606", "gp130", "GP130", "IL6ST", "3572"),
        ],
    )
    _write_tsv(
        folder / "fig2-chemicals.tsv",
        [("word", "mesh", "match", "name", "chebi"), ("S1P", "NA", "S1P", "sphingosine 1-phosphate", "chebi:37550")],
    )
    _write_tsv(folder / pfocr.RECONCILIATION, [pfocr.RECONCILIATION_COLUMNS, *reconciliation])


MINI_RECONCILIATION = [
    ("SLIT3", "SLIT3", "curated", "SLIT3"),
    ("SLIT3", "SLIT1", "noise", "alias collision"),
    ("gp130", "IL6ST", "curated", "IL6ST: gp130"),
    ("S1P", "CHEBI:37550", "curated", "S1P"),
]


def test_pfocr_report_on_a_small_figure(mini, capsys):
    _mini_pfocr(mini, MINI_RECONCILIATION)
    assert main(["--project", str(mini.root), "report", "pfocr"]) == 0
    out = capsys.readouterr().out
    assert "| SLIT3 | gene | SLIT1 | 6585 | noise | SLIT3 | alias collision |" in out
    assert "| S1P | chemical | S1P | CHEBI:37550 | curated | S1P | S1P |" in out
    assert "4 OCR rows: 3 curated, 0 family, 1 noise, 0 missing." in out


def test_pfocr_report_fails_on_a_missing_reconciliation_row(mini, capsys):
    _mini_pfocr(mini, MINI_RECONCILIATION[:-1])
    assert main(["--project", str(mini.root), "report", "pfocr"]) == 1
    captured = capsys.readouterr()
    assert "| S1P | chemical | S1P | CHEBI:37550 | **no fate** |" in captured.out
    assert (
        "problem: curation/pfocr/fig2-reconciliation.tsv: S1P CHEBI:37550: the OCR chemical row `S1P` → "
        "CHEBI:37550 has no fate"
    ) in captured.err


def test_pfocr_report_fails_on_a_curated_row_naming_no_entity(mini, capsys):
    _mini_pfocr(mini, [*MINI_RECONCILIATION[:2], ("gp130", "IL6ST", "curated", "GP130"), MINI_RECONCILIATION[3]])
    assert main(["--project", str(mini.root), "report", "pfocr"]) == 1
    assert "`GP130` is not one" in capsys.readouterr().err


def test_pfocr_report_without_reconciliation_fails(mini, capsys):
    _mini_pfocr(mini, [])
    (mini.curation / "pfocr" / pfocr.RECONCILIATION).unlink()
    assert main(["--project", str(mini.root), "report", "pfocr"]) == 1
    assert "fig2-reconciliation.tsv: missing" in capsys.readouterr().err


def test_pfocr_report_as_rdf_links_the_figure(repo, capsys):
    from rdflib import Graph, URIRef
    from rdflib.namespace import FOAF

    assert main(["--project", str(repo.root), "report", "pfocr", "--format", "turtle"]) == 0
    g = Graph().parse(data=capsys.readouterr().out, format="turtle")
    figure = URIRef("https://pfocr.wikipathways.org/figures/PMC11003748__elife-95083-fig2.html")
    depicted = {str(o) for o in g.objects(figure, FOAF.depicts)}
    assert "https://identifiers.org/uniprot/O75094" in depicted  # SLIT3
    assert "http://purl.obolibrary.org/obo/CHEBI_37550" in depicted  # S1P


def test_pfocr_snapshot_matches_shared(repo, shared):
    for name in ("genes", "chemicals"):
        ours = (repo.curation / "pfocr" / f"fig2-{name}.tsv").read_bytes()
        assert ours == (shared / "pfocr" / f"PMC11003748__elife-95083-fig2-{name}.tsv").read_bytes()


def test_terms_refresh_snapshots_the_sources(mini, shared, reference, capsys):
    (mini.curation / "bibliography.tsv").write_text("stale")
    code = main(
        ["--project", str(mini.root), "terms", "refresh", "--reference", str(reference.root), "--sources", str(shared)]
    )
    assert code == 0
    assert (mini.curation / "bibliography.tsv").read_bytes() == (
        shared / "sources" / "elife-95083-references.tsv"
    ).read_bytes()
    assert (mini.curation / "pfocr" / "fig2-genes.tsv").exists()
