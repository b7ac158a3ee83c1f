"""Time the page pack (issue 17): render every resource page of a build, in every format, into its pack.

Usage: python bench/page_pack.py BUILD_DIR [BUILD_DIR …] [--processes N] [--json OUT]
       python bench/page_pack.py --replicate SRC_BUILD DEST COPIES

For each build folder (a ``clastordf build`` output, e.g. the synthetic ×N builds of
``bench/build_scaling.py`` / ``bench/serve_load.py``): prepares its store, deletes its pack, then times
:func:`clastordf.server.prepare_pages` and reports the resources, pages, pack size, seconds, and time
and bytes per page (constant per page: the cost is linear), then the time to check the pack again at
the next start (a full read). Each build folder runs in a fresh process, so peak memory is its own.

``--replicate`` writes a larger build without the pipeline (a ×300 pipeline build takes too long on 2
cores): ``COPIES`` copies of ``SRC_BUILD/clastordf.ttl`` with the fact, claim and evidence ids
renumbered per copy, as ``bench/build_scaling.py``'s ``make_synthetic`` renumbers the curation
(entities, terms and publications shared).
"""

from __future__ import annotations

import argparse
import json
import re
import resource
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def replicate(src: Path, dest: Path, copies: int) -> None:
    """Write ``dest/clastordf.ttl``: ``copies`` renumbered copies of ``src/clastordf.ttl``.

    >>> re.sub(ID, lambda m: renumbered(m, 7), "cf:CF0200 ce:E0100 cf:CF0200-c1 <x/CFX>")
    'cf:CF00070200 ce:E00070100 cf:CF00070200-c1 <x/CFX>'
    """
    text = (src / "clastordf.ttl").read_text(encoding="utf-8")
    dest.mkdir(parents=True, exist_ok=True)
    with (dest / "clastordf.ttl").open("w", encoding="utf-8") as out:
        for k in range(copies):
            out.write(re.sub(ID, lambda m, k=k: renumbered(m, k), text) + "\n")


#: A fact (and so claim) or evidence id in the data.
ID = re.compile(r"\b(CF|E)(\d+)\b")


def renumbered(match: re.Match[str], copy: int) -> str:
    return f"{match.group(1)}{copy:04d}{match.group(2)}"


def cpu_seconds() -> float:
    """CPU time of this process and of its finished children (the rendering processes)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def run_one(build_dir: Path, processes: int) -> dict:
    """Prepare the store and the pack of one build folder, in this process."""
    sys.path.insert(0, str(REPO / "src"))
    from clastordf.server import ServerConfig, prepare_pages, prepare_store
    from clastordf.server.pagepack import PACK_FILE

    config = ServerConfig(build_dir)
    start = time.perf_counter()
    prepare_store(config.data_dir, config.store_location)
    store_s = time.perf_counter() - start
    (config.store_location / PACK_FILE).unlink(missing_ok=True)
    cpu_before = cpu_seconds()
    report = prepare_pages(config, lambda m: print(m, file=sys.stderr, flush=True), processes)
    assert report is not None and report.rendered
    cpu = cpu_seconds() - cpu_before
    start = time.perf_counter()
    again = prepare_pages(config, processes=processes)
    check_s = time.perf_counter() - start
    assert again is not None and not again.rendered
    size = report.path.stat().st_size
    return {
        "build": str(build_dir),
        "triples_mb": round((build_dir / "clastordf.ttl").stat().st_size / 1e6, 1),
        "store_s": round(store_s, 1),
        "pages": report.pages,
        "resources_left_live": report.skipped,
        "render_s": round(report.seconds, 1),
        "ms_per_page": round(report.seconds / report.pages * 1000, 3),
        "cpu_ms_per_page": round(cpu / report.pages * 1000, 3),
        "pack_mb": round(size / 1e6, 1),
        "bytes_per_page": round(size / report.pages),
        "check_s": round(check_s, 2),
        "processes": processes,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "worker_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024),
    }


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("builds", nargs="+", type=Path)
    p.add_argument("--replicate", action="store_true", help="write DEST from SRC_BUILD copied COPIES times")
    p.add_argument("--processes", type=int, default=2)
    p.add_argument("--json", type=Path)
    p.add_argument("--one", action="store_true", help=argparse.SUPPRESS)  # run one build in this process
    args = p.parse_args()
    if args.replicate:
        src, dest, copies = args.builds
        replicate(src, dest, int(str(copies)))
        return 0
    if args.one:
        print(json.dumps(run_one(args.builds[0], args.processes)))
        return 0
    rows = []
    for build_dir in args.builds:
        cmd = [sys.executable, __file__, "--one", "--processes", str(args.processes), str(build_dir)]
        out = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True).stdout
        rows.append(json.loads(out.strip().splitlines()[-1]))
        print(json.dumps(rows[-1]), flush=True)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))
    keys = ["build", "pages", "render_s", "ms_per_page", "cpu_ms_per_page", "pack_mb", "bytes_per_page", "check_s"]
    print("| " + " | ".join(keys) + " |\n|" + "---|" * len(keys))
    for row in rows:
        print("| " + " | ".join(str(row[k]) for k in keys) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
