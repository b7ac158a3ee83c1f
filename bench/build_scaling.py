"""Time every build stage on synthetic curations N times the size of the real one.

Usage: python bench/build_scaling.py [--sizes 1 10 100] [--out bench/out] [--shacl-workers N]
                                    [--reasoning auto|rules|abox] [--dump-graph DIR]

A synthetic curation of size N holds N copies of every fact file, with fact and evidence ids
renumbered per copy (entities, the term index and the bibliography are shared), so it has N times
the facts, claims and evidence lines of the real curation and passes the same checks. Each size
runs in its own process so peak memory is measured per size; the SHACL columns say how
validation ran (whole graph, or chunks in worker processes) and the peak memory of one worker.
``--shacl-workers`` sets CLASTORDF_SHACL_WORKERS for the builds (1: whole graph in the build
process); ``--reasoning abox`` has HermiT realise every fact instead of the rule pass
(CLASTORDF_REASONING); ``--dump-graph`` writes the graph SHACL validates to DIR/x<N>.nt, for profiling.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
STAGES = ("parse", "check", "graph", "reason", "shacl", "serialize", "exports", "write")


def make_synthetic(dest: Path, copies: int) -> None:
    """Write a project with ``copies`` renumbered copies of every fact file."""
    (dest / "ontology" / "imports").mkdir(parents=True)
    shutil.copytree(REPO / "shapes", dest / "shapes")
    shutil.copyfile(REPO / "ontology" / "clastordf-edit.ttl", dest / "ontology" / "clastordf-edit.ttl")
    for name in ("term-index.tsv", "external_import.owl"):
        shutil.copyfile(REPO / "ontology" / "imports" / name, dest / "ontology" / "imports" / name)
    cur = dest / "curation"
    (cur / "facts").mkdir(parents=True)
    for name in ("dataset.yaml", "bibliography.tsv"):
        shutil.copyfile(REPO / "curation" / name, cur / name)
    shutil.copytree(REPO / "curation" / "entities", cur / "entities")
    for path in sorted((REPO / "curation" / "facts").glob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        for k in range(copies):
            renumbered = re.sub(r"\b(CF|E)(\d{4})\b", lambda m, k=k: f"{m.group(1)}{k:04d}{m.group(2)}", text)
            (cur / "facts" / f"{path.stem}-{k:04d}.yaml").write_text(renumbered, encoding="utf-8")


def run_one(copies: int, dump_dir: Path | None = None) -> dict:
    """Build a synthetic project of one size in this process and return its timings."""
    sys.path.insert(0, str(REPO / "src"))
    from clastordf import build as pipeline
    from clastordf.project import Project
    from clastordf.validate import shacl as validation

    if dump_dir is not None:
        validate = pipeline.validate_graph

        def dump_then_validate(graph, shapes, origins=None):
            dump_dir.mkdir(parents=True, exist_ok=True)
            graph.serialize(dump_dir / f"x{copies}.nt", format="nt", encoding="utf-8")
            return validate(graph, shapes, origins)

        pipeline.validate_graph = dump_then_validate  # the SHACL stage then includes the dump
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "project"
        make_synthetic(root, copies)
        start = time.perf_counter()
        result = pipeline.build(Project(root), root / "build", lambda _: None)
        total = time.perf_counter() - start
        size = (root / "build" / "clastordf.ttl").stat().st_size
    run = validation.last_run
    return {
        "copies": copies,
        "facts": len(result.curation.facts),
        "triples": len(result.graph),
        "turtle_bytes": size,
        "stages": result.timings.stages,
        "total": total,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "shacl": {
            "mode": run.mode,
            "chunks": run.chunks,
            "workers": run.workers,
            "worker_peak_rss_mb": run.worker_peak_rss_mb,
        }
        if run
        else {},
    }


def exponent(rows: list[dict], key) -> float | None:
    """Least-squares slope of log(time) over log(size): 1.0 is linear."""
    pts = [(math.log(r["facts"]), math.log(key(r))) for r in rows if key(r) > 0]
    if len(pts) < 2:
        return None
    mx = sum(x for x, _ in pts) / len(pts)
    my = sum(y for _, y in pts) / len(pts)
    den = sum((x - mx) ** 2 for x, _ in pts)
    return sum((x - mx) * (y - my) for x, y in pts) / den if den else None


def shacl_run(row: dict) -> tuple[str, str]:
    """How SHACL ran ("whole" or "N chunks / W workers") and one worker's peak RSS."""
    run = row.get("shacl") or {}
    if run.get("mode") != "chunked":
        return run.get("mode", "–"), "–"
    return f"{run['chunks']} chunks / {run['workers']} workers", f"{run['worker_peak_rss_mb']:.0f}"


def table(rows: list[dict]) -> str:
    head = (
        "| size | facts | triples | "
        + " | ".join(STAGES)
        + " | total s | peak RSS MB | SHACL ran as | worker peak RSS MB |"
    )
    lines = [head, "|" + "---|" * (len(STAGES) + 7)]
    for r in rows:
        stages = " | ".join(f"{r['stages'].get(s, 0):.2f}" for s in STAGES)
        mode, worker_rss = shacl_run(r)
        lines.append(
            f"| ×{r['copies']} | {r['facts']} | {r['triples']} | {stages} | {r['total']:.2f} | "
            f"{r['peak_rss_mb']:.0f} | {mode} | {worker_rss} |"
        )
    exps = [exponent(rows, lambda r, s=s: r["stages"].get(s, 0)) for s in STAGES]
    total_exp = exponent(rows, lambda r: r["total"])
    fmt = lambda e: "–" if e is None else f"{e:.2f}"  # noqa: E731
    lines.append("| growth exponent | | | " + " | ".join(fmt(e) for e in exps) + f" | {fmt(total_exp)} | | | |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", type=int, default=[1, 10, 100])
    parser.add_argument("--out", default=str(REPO / "bench" / "out"))
    parser.add_argument(
        "--shacl-workers",
        type=int,
        help="SHACL worker processes for the builds (1: validate the whole graph in one process)",
    )
    parser.add_argument(
        "--reasoning",
        choices=("auto", "rules", "abox"),
        help="how the builds type the facts (CLASTORDF_REASONING; abox: HermiT realises every fact)",
    )
    parser.add_argument("--dump-graph", type=Path, help="write the graph SHACL validates to DIR/x<N>.nt")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # internal: run one size, print JSON
    args = parser.parse_args()
    if args.one is not None:
        print(json.dumps(run_one(args.one, args.dump_graph)))
        return 0
    env = dict(os.environ)
    if args.shacl_workers is not None:
        env["CLASTORDF_SHACL_WORKERS"] = str(args.shacl_workers)
    if args.reasoning is not None:
        env["CLASTORDF_REASONING"] = args.reasoning
    extra = ["--dump-graph", str(args.dump_graph.resolve())] if args.dump_graph else []
    rows = []
    for size in args.sizes:
        print(f"building ×{size} …", file=sys.stderr, flush=True)
        proc = subprocess.run(
            [sys.executable, __file__, "--one", str(size), *extra], capture_output=True, text=True, check=True, env=env
        )
        row = json.loads(proc.stdout)
        print(f"  ×{size}: {row['facts']} facts, {row['total']:.1f}s", file=sys.stderr, flush=True)
        rows.append(row)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "build_scaling.json").write_text(json.dumps(rows, indent=2))
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
