"""Builds and releases killed (SIGKILL) on the way: ``build/`` keeps one whole build, the previous or
the new, never a mix; the server never loads half of one; the next run cleans up; HermiT's JVM dies
with the build."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from clastordf.build import build
from clastordf.outputs import CURRENT, SETS, current_set
from clastordf.release.layout import SUMS_FILE
from clastordf.release.make import STAGING, ReleaseError, make_release
from clastordf.release.verify import verify_release
from clastordf.server.store import prepare_store


def quiet(_: str) -> None:
    pass


#: ``python -m clastordf ARGS`` that stops (writes PAUSED, then sleeps) at the moment PAUSE_AT names,
#: for the test to look at build/ and kill it there.
PAUSED_CLI = """
import os, runpy, sys, time
from pathlib import Path

import clastordf.outputs as outputs

def pause():
    Path(os.environ["PAUSED"]).write_text("paused")
    time.sleep(600)

moment = os.environ["PAUSE_AT"]
write, replace, written = outputs.write_durable, outputs.replace_symlink, []

def write_durable(path, text):
    write(path, text)
    written.append(path)
    if moment == "writing" and len(written) == 2:
        pause()

def replace_symlink(link, target):
    if link.name == outputs.CURRENT and moment == "before-switch":
        pause()
    replace(link, target)
    if link.name == outputs.CURRENT and moment == "after-switch":
        pause()

outputs.write_durable, outputs.replace_symlink = write_durable, replace_symlink
sys.argv = ["clastordf", *sys.argv[1:]]
runpy.run_module("clastordf", run_name="__main__")
"""


def published(out: Path) -> dict[str, bytes]:
    """What a reader of ``out`` finds: every file at its name (the hidden names hold the output sets)."""
    return {p.name: p.read_bytes() for p in sorted(out.iterdir()) if not p.name.startswith(".") and p.is_file()}


def wait_for(path: Path, proc: subprocess.Popen, what: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not (path.exists() and path.stat().st_size):
        if proc.poll() is not None:
            pytest.fail(f"{what} ended (exit {proc.returncode}) before the moment to kill it")
        if time.monotonic() > deadline:
            pytest.fail(f"{what} did not reach the moment to kill it in {timeout:.0f}s")
        time.sleep(0.05)


def kill(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL


@pytest.mark.parametrize("moment", ["writing", "before-switch", "after-switch"])
def test_a_killed_build_leaves_one_whole_build(mini, tmp_path, moment):
    out = mini.root / "build"
    build(mini, out, quiet)
    old, old_set = published(out), current_set(out).name
    assert "clastordf-inferred.ttl" in old  # the killed build (--no-reason) does not make it
    store = prepare_store(out, out / "oxigraph")
    loaded = (store / "loaded-from").read_text()
    (out / "release").mkdir()
    (out / "release" / "kept.txt").write_text("not the build's\n")

    paused = tmp_path / "paused"
    env = {**os.environ, "PAUSE_AT": moment, "PAUSED": str(paused)}
    args = ["--project", str(mini.root), "build", "--no-reason"]
    with (tmp_path / "build.log").open("wb") as log:
        proc = subprocess.Popen([sys.executable, "-c", PAUSED_CLI, *args], env=env, stdout=log, stderr=log)
        try:
            wait_for(paused, proc, "the build")
            during = published(out)  # what a reader (the server) finds while the build writes
            (killed_set,) = {p.name for p in (out / SETS).iterdir()} - {old_set}
            kill(proc)
        finally:
            proc.kill()
            proc.wait()
    after_kill = published(out)
    store = prepare_store(out, out / "oxigraph")
    reloaded = (store / "loaded-from").read_text() != loaded

    build(mini, out, quiet, reason=False)  # the next build
    new = published(out)
    assert "clastordf-inferred.ttl" not in new and new != old
    if moment == "after-switch":  # the killed build had published: the new build, whole
        assert during == after_kill == new
        assert reloaded
    else:  # it had not: the previous build, byte for byte, and the server keeps its store
        assert during == after_kill == old
        assert not reloaded
    # the next build cleaned up: the current set and the one before it, no half-written one, no
    # temporary link, no dangling link; what is not the build's is left alone
    sets = {p.name for p in (out / SETS).iterdir()}
    previous = killed_set if moment == "after-switch" else old_set
    assert sets == {current_set(out).name, previous}
    assert {p.name for p in out.iterdir() if p.name.startswith(".")} == {SETS, CURRENT}
    assert all(p.exists() for p in out.iterdir())
    assert (out / "release" / "kept.txt").read_text() == "not the build's\n"
    assert (out / "oxigraph" / "loaded-from").exists()


def test_a_build_over_plain_files_takes_them_in(mini, tmp_path):
    """A build/ written file by file (before output sets, or by hand) is taken into the sets: its
    clastordf* files are replaced by the new build's, the user's own files stay."""
    out = mini.root / "build"
    out.mkdir()
    (out / "clastordf.ttl").write_text("an old build\n")
    (out / "clastordf-gone-mechanism.gpml").write_text("old\n")
    (out / "notes.txt").write_text("the user's own file\n")
    build(mini, out, quiet)
    assert (out / "clastordf.ttl").is_symlink() and "an old build" not in (out / "clastordf.ttl").read_text()
    assert not (out / "clastordf-gone-mechanism.gpml").exists()
    assert (out / "notes.txt").read_text() == "the user's own file\n"
    assert not (out / "notes.txt").is_symlink()


def alive(pid: int) -> bool:
    """Whether process ``pid`` runs (a zombie waiting to be reaped has stopped running)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the JVM's death signal is Linux's prctl")
def test_a_killed_build_takes_its_reasoner_with_it(mini, tmp_path):
    """A stand-in JVM that would run for minutes: killed with the build, not left to run on."""
    java_home = tmp_path / "jre"
    (java_home / "bin").mkdir(parents=True)
    pid_file = tmp_path / "java.pid"
    java = java_home / "bin" / "java"
    java.write_text(f'#!/bin/sh\necho $$ > "{pid_file}"\nexec sleep 300\n')
    java.chmod(0o755)
    env = {**os.environ, "JAVA_HOME": str(java_home)}
    args = [sys.executable, "-m", "clastordf", "--project", str(mini.root), "build"]
    with (tmp_path / "build.log").open("wb") as log:
        proc = subprocess.Popen(args, env=env, stdout=log, stderr=log)
        java_pid = 0
        try:
            wait_for(pid_file, proc, "the build")
            java_pid = int(pid_file.read_text())
            assert Path(f"/proc/{java_pid}/stat").read_text().rsplit(")", 1)[1].split()[1] == str(proc.pid)
            kill(proc)
            deadline = time.monotonic() + 10
            while alive(java_pid) and time.monotonic() < deadline:
                time.sleep(0.05)
            assert not alive(java_pid), "the reasoner outlived the build"
        finally:
            proc.kill()
            proc.wait()
            if java_pid and alive(java_pid):
                os.kill(java_pid, signal.SIGKILL)
    assert not (mini.root / "build").exists()


def release_files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_a_killed_release_leaves_the_release_whole_and_the_next_cleans_up(mini, tmp_path):
    build_dir = tmp_path / "build"
    first = make_release(mini, "0.0.1", build_dir, progress=quiet, build=build).path
    before = release_files(first)
    root = first.parent
    args = [sys.executable, "-m", "clastordf", "--project", str(mini.root), "release", "--version", "0.0.1"]
    with (tmp_path / "release.log").open("wb") as log:
        proc = subprocess.Popen([*args, "--build-dir", str(build_dir), "--force"], stdout=log, stderr=log)
        try:
            deadline = time.monotonic() + 120
            # killed once the build is in its hidden folder, while the dumps are made or verified
            while not any((p / "clastordf.ttl").exists() for p in root.glob(f"{STAGING}*")):
                assert proc.poll() is None, "the release ended before it could be killed"
                assert time.monotonic() < deadline, "the release did not start"
                time.sleep(0.05)
            kill(proc)
        finally:
            proc.kill()
            proc.wait()
    assert [p.name for p in root.glob(f"{STAGING}*")]  # what the killed release left
    assert release_files(first) == before  # the release it was replacing, whole

    make_release(mini, "0.0.1", build_dir, force=True, progress=quiet, build=build)
    assert [p.name for p in root.iterdir()] == ["0.0.1"]  # no hidden folder left
    assert release_files(first) == before  # reproducible: the same release again
    assert verify_release(first).ok


def test_a_release_moved_aside_by_a_killed_replacement_comes_back(mini, tmp_path):
    """``--force`` renames the old release aside, then the new one into place: killed in between, the
    next release puts the old one back rather than lose it."""
    first = make_release(mini, "0.0.1", tmp_path / "build", progress=quiet, build=build).path
    before = release_files(first)
    root = first.parent
    first.rename(root / f"{STAGING}0.0.1-old")
    (root / f"{STAGING}0.0.1-new-x1y2z3").mkdir()
    (root / f"{STAGING}0.0.1-new-x1y2z3" / "clastordf.ttl").write_text("half a release\n")
    with pytest.raises(ReleaseError, match="already exists"):
        make_release(mini, "0.0.1", tmp_path / "build", progress=quiet, build=build)
    assert [p.name for p in root.iterdir()] == ["0.0.1"]
    assert release_files(first) == before and SUMS_FILE in before
