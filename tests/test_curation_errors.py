"""Broken curation fails with one clear message per problem, naming file, line, record and field."""

from __future__ import annotations

import csv
import gzip
import time

import pytest

from clastordf.build import Timings, checked_curation
from clastordf.cli import main
from clastordf.problems import ProblemsFound

from .conftest import refresh


def quiet(_: str) -> None:
    pass


def problems_of(project) -> list[str]:
    with pytest.raises(ProblemsFound) as info:
        checked_curation(project, Timings(), quiet)
    return [str(p) for p in info.value.problems]


def edit(project, relative: str, old: str, new: str) -> None:
    path = project.curation / relative
    text = path.read_text()
    assert old in text, f"fixture text {old!r} not found in {relative}"
    path.write_text(text.replace(old, new, 1))


def test_the_fixture_is_clean(mini):
    curation, _, _ = checked_curation(mini, Timings(), quiet)
    assert len(curation.facts) == 4


def test_invalid_yaml_names_the_line(mini):
    edit(mini, "facts/slit3.yaml", "    mechanism: Secreted\n", "    mechanism: [Secreted\n")
    (problem,) = problems_of(mini)
    assert problem.startswith("curation/facts/slit3.yaml:")
    assert "invalid YAML" in problem


def test_all_problems_are_reported_at_once(mini):
    edit(mini, "facts/slit3.yaml", "    mechanism: Secreted\n", "    mechanism: Spread\n")
    edit(mini, "facts/slit3.yaml", "    review_category: EVContainedFactors\n", "    review_category: Vesicles\n")
    edit(mini, "facts/slit3.yaml", "supported_by: [E0004]", "supported_by: [E9999]")
    problems = problems_of(mini)
    assert any("CF0001 mechanism: 'Spread' is not one of" in p for p in problems)
    assert any("CF0003 review_category: 'Vesicles' is not one of" in p for p in problems)
    assert any("claims[c2].supported_by: no evidence line 'E9999'" in p for p in problems)
    assert len(problems) >= 3


def test_missing_field_is_named(mini):
    edit(mini, "facts/slit3.yaml", "    label: Osteoclast exosomal miR-214-3p inhibits osteoblast activity\n", "")
    (problem,) = problems_of(mini)
    assert "CF0003 label: missing required field" in problem
    assert problem.startswith("curation/facts/slit3.yaml:")


def test_duplicate_ids(mini):
    edit(mini, "facts/slit3.yaml", "  - id: CF0002\n", "  - id: CF0001\n")
    edit(mini, "facts/slit3.yaml", "  - id: E0002\n", "  - id: E0001\n")
    problems = problems_of(mini)
    assert any("CF0001 id: duplicate fact id (first at curation/facts/slit3.yaml:2)" in p for p in problems)
    assert any("E0001 id: duplicate evidence id" in p for p in problems)


def test_unknown_entity_key(mini):
    edit(mini, "facts/slit3.yaml", "object: ROBO1\n", "object: ROBO9\n")
    (problem,) = problems_of(mini)
    assert "CF0001 claims[c2].object: unknown entity key 'ROBO9'" in problem


def test_pmid_outside_bibliography_needs_an_override(mini):
    edit(mini, "facts/slit3.yaml", "pmid: 32133214", "pmid: 12345")
    (problem,) = problems_of(mini)
    assert "E0002 pmid: PMID 12345 is not in the review's bibliography" in problem
    edit(mini, "facts/slit3.yaml", "pmid: 12345", "pmid: 12345\n    outside_bibliography: cited for a detail")
    checked_curation(mini, Timings(), quiet)


def test_doi_of_a_reference_with_a_pmid_is_refused(mini):
    edit(mini, "facts/slit3.yaml", "pmid: 32133214", "doi: 10.1038/s41413-020-0086-3")
    (problem,) = problems_of(mini)
    assert "E0002 doi: Li et al., 2020 has PMID 32133214: cite it as `pmid: 32133214`" in problem


def test_wrong_label_is_caught(mini):
    edit(mini, "facts/slit3.yaml", "CL:0000092 ! osteoclast", "CL:0000092 ! osteoblast")
    (problem,) = problems_of(mini)
    assert "CF0001 claims[c1].object: CL:0000092 is labelled 'osteoclast', not 'osteoblast'" in problem


def test_wrong_go_namespace_is_caught(mini, reference):
    edit(
        mini,
        "facts/slit3.yaml",
        "pathways: [GO:0035385 ! Roundabout signaling pathway]",
        "pathways: [GO:0005886 ! plasma membrane]",
    )
    refresh(mini, reference)
    (problem,) = problems_of(mini)
    assert "GO:0005886 (plasma membrane) is a GO cellular_component term" in problem


def test_term_missing_from_index_says_how_to_refresh(mini):
    edit(mini, "facts/slit3.yaml", "GO:0016477 ! cell migration", "GO:0030335")
    (problem,) = problems_of(mini)
    assert "GO:0030335 is not in the term index" in problem
    assert "clastordf terms refresh" in problem


def _merged_go_term(reference) -> tuple[str, str]:
    path = reference.root / "go" / "go_terms.tsv.gz"
    with gzip.open(path, "rt", encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE):
            if row["status"] == "merged" and row["namespace"] == "biological_process" and row["replaced_by"]:
                return row["id"], row["replaced_by"]
    raise AssertionError("no merged GO term in the reference")


def test_obsolete_term_names_its_replacement(mini, reference):
    old, new = _merged_go_term(reference)
    edit(mini, "facts/slit3.yaml", "GO:0016477 ! cell migration", old)
    refresh(mini, reference)
    problems = problems_of(mini)
    assert any(f"{old}" in p and "is obsolete; use " + new in p and "claims[c3].object" in p for p in problems)


def test_unknown_id_is_reported_by_refresh(mini, reference, capsys):
    edit(mini, "facts/slit3.yaml", "GO:0016477 ! cell migration", "GO:9999999")
    code = main(["--project", str(mini.root), "terms", "refresh", "--reference", str(reference.root)])
    assert code == 1
    assert "GO:9999999" in capsys.readouterr().err


def test_gene_symbol_and_accession_are_checked(mini, reference):
    edit(
        mini,
        "entities/genes.yaml",
        "  - key: ROBO1\n    hgnc: HGNC:10249\n    uniprot: Q9Y6N7",
        "  - key: ROBO1\n    hgnc: HGNC:10249\n    uniprot: O75094",
    )
    edit(mini, "entities/genes.yaml", "mouse_uniprot: Q9WVB4", "mouse_uniprot: Q9Y6N7")
    refresh(mini, reference)
    problems = problems_of(mini)
    assert any(
        "ROBO1 uniprot: O75094 is not the UniProt accession HGNC gives for ROBO1 (Q9Y6N7)" in p for p in problems
    )
    assert any("SLIT3 mouse_uniprot: Q9Y6N7" in p and "is not a mouse entry" in p for p in problems)


def test_a_claim_with_only_disputing_evidence_is_refused(mini):
    edit(
        mini,
        "facts/slit3.yaml",
        "        supported_by: [E0001]\n        disputed_by: [E0002]\n",
        "        disputed_by: [E0002]\n",
    )
    problems = problems_of(mini)
    assert any(
        "CF0001 claims[c1].supported_by: a claim needs at least one supporting evidence line" in p for p in problems
    )


def test_one_line_cannot_support_and_dispute_a_claim(mini):
    edit(mini, "facts/slit3.yaml", "        disputed_by: [E0002]\n", "        disputed_by: [E0002, E0001]\n")
    problems = problems_of(mini)
    assert any("CF0001 claims[c1]: E0001 both supports and disputes the claim" in p for p in problems)


def test_cli_prints_every_problem_and_exits_nonzero(mini, capsys):
    edit(mini, "facts/slit3.yaml", "object: ROBO1\n", "object: ROBO9\n")
    edit(mini, "facts/slit3.yaml", "    mechanism: Secreted\n", "    mechanism: Spread\n")
    code = main(["--project", str(mini.root), "build", "--out", str(mini.root / "build")])
    err = capsys.readouterr().err
    assert code == 1
    assert "ROBO9" in err and "Spread" in err
    assert not (mini.root / "build").exists()


@pytest.mark.parametrize(
    "text",
    [b"", b"# every fact of this file was removed\n", b"facts: []\nevidence: []\n"],
    ids=["empty", "comments-only", "empty-lists"],
)
def test_an_emptied_file_of_records_is_an_error(mini, capsys, text):
    (mini.curation / "facts" / "slit3.yaml").write_bytes(text)
    problems = problems_of(mini)
    assert "curation/facts/slit3.yaml: holds no records: put its records back, or delete the file" in problems[0]
    (mini.curation / "entities" / "genes.yaml").write_bytes(text)
    assert any(p.startswith("curation/entities/genes.yaml: holds no records") for p in problems_of(mini))
    assert main(["--project", str(mini.root), "build", "--out", str(mini.root / "build")]) == 1
    assert "holds no records" in capsys.readouterr().err
    assert not (mini.root / "build").exists()


@pytest.mark.parametrize(
    ("relative", "data", "where"),
    [
        (
            "facts/slit3.yaml",
            "facts:\n  - id: CF0001\n    label: café\n".encode("latin-1"),
            ":3: not UTF-8 text (byte 0xe9 at offset 36)",
        ),
        ("entities/genes.yaml", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", ":1: not UTF-8 text (byte 0x89 at offset 0)"),
        ("dataset.yaml", b"title: R\xe9sum\xe9\n", ":1: not UTF-8 text (byte 0xe9 at offset 8)"),
        (
            "bibliography.tsv",
            b"ref_id\tcitation_label\ttitle\tyear\tsource\tdoi\tpmid\nbib1\tM\xfcller\n",
            ":2: not UTF-8 text (byte 0xfc at offset 55)",
        ),
    ],
    ids=["latin-1", "binary", "dataset", "bibliography"],
)
def test_a_file_that_is_not_utf8_names_the_file_and_the_byte(mini, capsys, relative, data, where):
    (mini.curation / relative).write_bytes(data)
    assert main(["--project", str(mini.root), "build", "--out", str(mini.root / "build")]) == 1
    err = capsys.readouterr().err
    assert f"curation/{relative}{where}" in err and "Traceback" not in err
    assert not (mini.root / "build").exists()


def test_a_bibliography_without_its_columns_or_rows_is_an_error(mini):
    bibliography = mini.curation / "bibliography.tsv"
    header = bibliography.read_text(encoding="utf-8").splitlines()[0]
    bibliography.write_text(header.replace("pmid", "pubmed") + "\n", encoding="utf-8")
    assert problems_of(mini) == ["curation/bibliography.tsv:1: the header lacks the column(s) pmid"]
    bibliography.write_text(header + "\n", encoding="utf-8")
    assert problems_of(mini) == [
        "curation/bibliography.tsv: holds no records: put its records back, or delete the file if they are meant to go"
    ]


def test_an_alias_bomb_is_refused_at_once_in_a_few_lines(mini, capsys):
    """A "billion laughs": each level lists the one above nine times. Six levels (half a million
    strings) keep a reader without the refusal finite: it printed megabytes of problems."""
    levels = "abcdef"
    bomb = [f'{levels[0]}: &{levels[0]} ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    bomb += [
        f"{name}: &{name} [{', '.join([f'*{below}'] * 9)}]" for below, name in zip(levels, levels[1:], strict=False)
    ]
    genes = mini.curation / "entities" / "genes.yaml"
    text = genes.read_text(encoding="utf-8").replace("aliases: [gp130]", f"aliases: *{levels[-1]}")
    genes.write_text("\n".join(bomb) + "\n" + text, encoding="utf-8")
    start = time.perf_counter()
    assert main(["--project", str(mini.root), "build", "--out", str(mini.root / "build")]) == 1
    assert time.perf_counter() - start < 10
    err = capsys.readouterr().err
    assert len(err) < 2_000, err[:2_000]
    assert "curation/entities/genes.yaml:1: invalid YAML: the value anchored here (&name) is used again" in err
    assert not (mini.root / "build").exists()


def test_the_curation_uses_no_anchors_or_aliases(repo):
    """What the bomb's refusal rests on: no curation file needs an anchor or an alias."""
    import yaml

    for path in sorted(repo.curation.rglob("*.yaml")):
        events = yaml.parse(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
        assert not [e for e in events if isinstance(e, yaml.AliasEvent) or getattr(e, "anchor", None)], path
