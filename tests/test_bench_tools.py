"""The pure parts of the abuse and fault benches (``bench/abuse.py``, ``bench/faults.py``): the attack
generators make what they claim, the process-tree memory sum sees a child process, the raw HTTP
helpers round-trip. No server, no timing."""

from __future__ import annotations

import doctest
import hashlib
import random
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"
sys.path.insert(0, str(BENCH))

import abuse  # noqa: E402 -- a script folder, not a package
import faults  # noqa: E402


def depth(text: str, opening: str, closing: str) -> int:
    """The deepest nesting of ``opening``/``closing`` in ``text`` (and that they balance)."""
    level = deepest = 0
    for char in text:
        if char == opening:
            level += 1
            deepest = max(deepest, level)
        elif char == closing:
            level -= 1
            assert level >= 0
    assert level == 0
    return deepest


def test_nested_queries_have_the_depth_asked():
    assert depth(abuse.nested_braces(2500), "{", "}") == 2500
    path = abuse.nested_path(200)
    assert depth(path, "(", ")") == 200
    assert path.count(")*") == 200
    assert len(path.encode()) == 621  # the size the review reported


def test_padded_queries_are_unique_and_of_the_size_asked():
    a, b = abuse.padded_query(90_000, "a"), abuse.padded_query(90_000, "b")
    assert a != b and len(a) == len(b) == 90_000 and a.startswith("ASK {}\n#")


def test_process_tree_memory_includes_a_child():
    child = subprocess.Popen(
        [sys.executable, "-c", "import time; print('ready', flush=True); time.sleep(60)"], stdout=subprocess.PIPE
    )
    try:
        assert child.stdout is not None and child.stdout.readline() == b"ready\n"
        me = abuse.os.getpid()
        tree = abuse.process_tree(me)
        assert tree[0] == me and child.pid in tree
        rss, pss, count = abuse.tree_memory_kb(me)
        assert count >= 2
        # Each part alone, not their exact sum: the two processes' memory moves between the readings.
        assert rss > abuse.rss_kb(me) > 0 and rss > abuse.rss_kb(child.pid) > 0
        assert 0 < pss <= rss
    finally:
        child.kill()
        child.wait()
    assert abuse.process_tree(child.pid) == []


def test_fuzz_cases_are_reproducible_and_complete():
    rng_a, rng_b = random.Random(7), random.Random(7)  # noqa: S311
    cases = [abuse.fuzz_case(rng_a, "127.0.0.1:1") for _ in range(300)]
    assert cases == [abuse.fuzz_case(rng_b, "127.0.0.1:1") for _ in range(300)]
    for raw, _summary in cases:
        head, sep, body = raw.partition(b"\r\n\r\n")
        if not sep or b"Content-Length:" not in head:
            continue
        lengths = [line.split(b":")[1].strip() for line in head.split(b"\r\n") if line.startswith(b"Content-Length:")]
        if len(lengths) == 1 and lengths[0].isdigit() and b"Transfer-Encoding" not in head:
            assert int(lengths[0]) == len(body)  # never a body shorter than announced: no request hangs


def test_raw_responses_parse():
    raw = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n"
    assert abuse.parse_response(raw) == (200, [("transfer-encoding", "chunked")], b"hi")
    assert abuse.parse_response(b"garbage")[0] is None


def test_release_sums_and_build_mixes(tmp_path: Path):
    (tmp_path / "a.ttl").write_text("a")
    digest = hashlib.sha256(b"a").hexdigest()
    (tmp_path / "SHA256SUMS").write_text(f"{digest}  a.ttl\n")
    assert faults.check_sums(tmp_path) == []
    (tmp_path / "b.ttl").write_text("b")
    (tmp_path / "a.ttl").write_text("changed")
    assert sorted(faults.check_sums(tmp_path)) == ["a.ttl differs from SHA256SUMS", "b.ttl not listed"]
    old, new = {"x": "1", "y": "2"}, {"x": "1", "y": "3"}
    assert faults.classify({"x": "1", "y": "2"}, old, new) == {"either": 1, "old": 1}
    assert faults.classify({"x": "1", "y": "3"}, old, new) == {"either": 1, "new": 1}
    assert faults.classify({"x": "9"}, old, new) == {"neither": 1, "old missing": 1}


@pytest.mark.parametrize("module", [abuse, faults])
def test_doctests(module):
    assert doctest.testmod(module).failed == 0
