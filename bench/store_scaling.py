"""Time loading the dataset into pyoxigraph and into Virtuoso, and the example-query mix on both,
at N times the real data.

Usage: python bench/store_scaling.py [--sizes 1 10 100 1000] [--out bench/out] [--repeat 5]

The data of size N is the real release's triples with every fact, claim and evidence line copied N
times under renumbered IRIs (the same renumbering as bench/build_scaling.py's synthetic curations;
entities, publications and the ontology are shared), so it is what a ×N build would publish,
without waiting for a ×N build. Stages per size:

* ``write`` — the gzipped N-Triples dump;
* ``oxigraph-load`` — bulk load into an on-disk pyoxigraph store (what ``clastordf serve`` does);
* ``virtuoso-load`` — ``clastordf.virtuoso.load_release`` into a throw-away Virtuoso (ld_dir,
  rdf_loader_run, checkpoint, count check);
* ``oxigraph-queries`` / ``virtuoso-queries`` — every example query in ``queries/`` run ``--repeat``
  times (pyoxigraph in process, Virtuoso over HTTP as clastordf's remote backend sends it); the
  figure is the sum over queries of each query's median time.

Needs Debian's virtuoso-opensource for the Virtuoso stages (skipped with a note without it).
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import re
import shutil
import statistics
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))
sys.path.insert(0, str(REPO / "tests"))

import pyoxigraph  # noqa: E402

from clastordf.release.layout import sums_text  # noqa: E402
from clastordf.vocab import dataset_graph  # noqa: E402

VERSION = "bench"
GRAPH = dataset_graph(VERSION)
COPIED = re.compile(r"/(fact|evidence)/(CF|E)(\d{4})")
STAGES = ("write", "oxigraph-load", "virtuoso-load", "oxigraph-queries", "virtuoso-queries")


def real_ntriples() -> list[str]:
    """The real dataset's triples as N-Triples lines (built into a temporary folder)."""
    from clastordf.build import build
    from clastordf.project import Project

    with tempfile.TemporaryDirectory() as tmp:
        build(Project(REPO), Path(tmp), lambda _: None)
        store = pyoxigraph.Store()
        store.bulk_load(path=str(Path(tmp) / "clastordf.ttl"), format=pyoxigraph.RdfFormat.TURTLE)
        return [f"{q.subject} {q.predicate} {q.object} .\n" for q in store]


def write_copies(lines: list[str], copies: int, target: Path) -> int:
    """Write ``copies`` renumbered copies of the fact/evidence triples plus the shared ones once."""
    shared = [line for line in lines if not COPIED.search(line)]
    copied = [line for line in lines if COPIED.search(line)]
    with gzip.open(target, "wt", encoding="utf-8", compresslevel=1) as out:
        out.writelines(shared)
        for k in range(copies):
            out.writelines(
                COPIED.sub(lambda m, k=k: f"/{m.group(1)}/{m.group(2)}{k:04d}{m.group(3)}", line) for line in copied
            )
    return len(shared) + copies * len(copied)


def queries() -> dict[str, str]:
    return {p.stem: p.read_text(encoding="utf-8") for p in sorted((REPO / "queries").glob("*.rq"))}


def oxigraph_mix(store: pyoxigraph.Store, repeat: int) -> float:
    total = 0.0
    for text in queries().values():
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            result = store.query(text, use_default_graph_as_union=True)
            if isinstance(result, pyoxigraph.QuerySolutions):
                list(result)
            times.append(time.perf_counter() - start)
        total += statistics.median(times)
    return total


def virtuoso_mix(url: str, repeat: int) -> float:
    total = 0.0
    for text in queries().values():
        body = urllib.parse.urlencode({"query": text, "default-graph-uri": GRAPH, "named-graph-uri": GRAPH}).encode()
        times = []
        for _ in range(repeat):
            request = urllib.request.Request(  # noqa: S310 (loopback http)
                url,
                data=body,
                headers={
                    "Accept": "application/sparql-results+json",
                    "Content-Type": "application/x-www-form-urlencoded",
                },
            )
            start = time.perf_counter()
            with urllib.request.urlopen(request, timeout=600) as response:  # noqa: S310
                response.read()
            times.append(time.perf_counter() - start)
        total += statistics.median(times)
    return total


def run_size(lines: list[str], copies: int, work: Path, repeat: int) -> dict:
    from clastordf.release.virtuoso import load_release

    folder = work / f"x{copies}" / VERSION
    folder.mkdir(parents=True)
    row: dict = {"size": copies}
    start = time.perf_counter()
    row["triples"] = write_copies(lines, copies, folder / "clastordf.nt.gz")
    (folder / "SHA256SUMS").write_text(sums_text(folder), encoding="utf-8")
    row["write"] = time.perf_counter() - start

    start = time.perf_counter()
    store = pyoxigraph.Store(str(work / f"x{copies}" / "oxigraph"))
    with gzip.open(folder / "clastordf.nt.gz", "rb") as dump:
        store.bulk_load(dump, format=pyoxigraph.RdfFormat.N_TRIPLES, to_graph=pyoxigraph.NamedNode(GRAPH))
    store.optimize()
    store.flush()
    row["oxigraph-load"] = time.perf_counter() - start
    row["oxigraph-queries"] = oxigraph_mix(store, repeat)
    del store

    if shutil.which("virtuoso-t"):
        from virtuoso_server import running_virtuoso

        # ~8 KB pages: give Virtuoso about 2 GB of page cache, as its docs advise per few million triples.
        with running_virtuoso([folder], parent=work, buffers=250_000) as server:
            start = time.perf_counter()
            load_release(folder, VERSION, server.connection(timeout=3600.0), progress=lambda _: None)
            row["virtuoso-load"] = time.perf_counter() - start
            row["virtuoso-queries"] = virtuoso_mix(server.sparql_url, repeat)
    shutil.rmtree(work / f"x{copies}", ignore_errors=True)
    return row


def exponent(rows: list[dict], key: str) -> float | None:
    """Growth exponent of ``key`` against triples between the smallest and largest size measured."""
    have = [r for r in rows if r.get(key)]
    if len(have) < 2:
        return None
    a, b = have[0], have[-1]
    return math.log(b[key] / a[key]) / math.log(b["triples"] / a["triples"])


def table(rows: list[dict]) -> str:
    head = "| size | triples | " + " | ".join(f"{s} (s)" for s in STAGES) + " |"
    lines = [head, "|" + "---|" * (len(STAGES) + 2)]
    for r in rows:
        cells = " | ".join(f"{r[s]:.2f}" if s in r else "–" for s in STAGES)
        lines.append(f"| ×{r['size']} | {r['triples']:,} | {cells} |")
    exps = " | ".join(f"{e:.2f}" if (e := exponent(rows, s)) is not None else "–" for s in STAGES)
    lines.append(f"| exponent | | {exps} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", type=int, default=[1, 10, 100])
    parser.add_argument("--out", default=str(REPO / "bench" / "out"))
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    print("building the real dataset …", file=sys.stderr)
    lines = real_ntriples()
    rows = []
    with tempfile.TemporaryDirectory(dir=out) as tmp:
        for copies in args.sizes:
            print(f"×{copies} …", file=sys.stderr, flush=True)
            rows.append(run_size(lines, copies, Path(tmp), args.repeat))
            print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    (out / "store_scaling.json").write_text(json.dumps(rows, indent=2), encoding="utf-8")
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
