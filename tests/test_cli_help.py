"""Every command's ``--help`` says what it does and what it writes, naming the files a real build
and a real release hold."""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

import pytest

from clastordf.cli import parser


def commands(p: argparse.ArgumentParser, path: tuple[str, ...] = ()) -> dict[tuple[str, ...], argparse.ArgumentParser]:
    found = {}
    for action in p._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                if not any(isinstance(a, argparse._SubParsersAction) for a in sub._actions):
                    found[path + (name,)] = sub
                found.update(commands(sub, path + (name,)))
    return found


COMMANDS = commands(parser())


def test_the_walk_finds_every_command():
    assert {("build",), ("serve",), ("release",), ("report", "coverage"), ("terms", "refresh")} <= set(COMMANDS)


@pytest.mark.parametrize("path", sorted(COMMANDS), ids=" ".join)
def test_every_command_describes_itself_and_what_it_writes(path):
    text = COMMANDS[path].format_help()
    assert COMMANDS[path].description, f"clastordf {' '.join(path)} --help has no description"
    assert "writes" in (COMMANDS[path].epilog or ""), f"clastordf {' '.join(path)} --help does not say what it writes"
    assert COMMANDS[path].epilog.splitlines()[0] in text


def listed_files(help_text: str) -> set[str]:
    return set(re.findall(r"^  (?:BUILD/)?(\S+)\s", help_text, flags=re.M))


def test_build_help_lists_every_file_a_build_writes(real_build_dir: Path):
    listed = listed_files(COMMANDS[("build",)].epilog or "")
    written = {p.name for p in real_build_dir.glob("clastordf*")}
    mechanism = {n for n in written if n.startswith("clastordf-") and n.endswith(".gpml")}
    assert mechanism and "clastordf-MECHANISM.gpml" in listed
    assert written - mechanism <= listed, written - mechanism - listed
    assert listed - {"clastordf-MECHANISM.gpml"} <= written  # nothing listed that a build does not write


def test_release_help_lists_every_file_a_release_holds(real_release: Path):
    listed = listed_files(COMMANDS[("release",)].epilog or "")
    held = {p.name for p in real_release.iterdir()}
    mechanism = {n for n in held if n.startswith("clastordf-") and n.endswith(".gpml")}
    assert held - mechanism <= listed, held - mechanism - listed
    assert listed - {"clastordf-MECHANISM.gpml"} <= held


def test_help_runs_as_a_program():
    out = subprocess.run(
        [sys.executable, "-m", "clastordf", "build", "--help"], capture_output=True, text=True, check=True
    ).stdout
    assert "writes (published together" in out and "clastordf-wp.ttl" in out
