"""Curation reports on the real dataset and on a fixture with a Table 1 gap."""

from __future__ import annotations

import json

from clastordf.cli import main


def test_coverage_report_shows_every_table1_row(repo, capsys):
    assert main(["--project", str(repo.root), "report", "coverage"]) == 0
    out = capsys.readouterr().out
    assert "Table 1: 25 of 25 rows covered." in out
    assert "| Secreted |" in out and "## Terms used per ontology" in out


def test_coverage_report_json_lists_gaps_and_fails(mini, capsys):
    assert main(["--project", str(mini.root), "report", "coverage", "--format", "json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["table1"]["14"] == ["CF0001"]
    assert 1 in data["table1_gaps"] and 14 not in data["table1_gaps"]
    assert data["terms_per_ontology"]["CL"] == 2  # osteoclast, osteoblast
    assert "bib78" in data["references_used"]
    assert "CF0003-c2" in data["claims_without_in_vivo"]
