"""SHACL validation of the dataset graph with pyshacl, reported in terms a curator can act on.

Two things keep validation fast without touching what is checked (issue 8):

* pyshacl runs every SPARQL-based constraint once per focus node, with the same query text and
  ``$this`` bound through initial bindings; rdflib parses such a text with pyparsing on every call
  (about 10 ms), which was three quarters of the time. :class:`_PreparedQueryGraph` parses each
  distinct text once and hands rdflib the parsed query, which rdflib evaluates exactly as it
  would have evaluated the text. pyshacl is told to work in place so that it does not copy the
  data graph into a plain Graph first; nothing is written to the data graph, because validation
  runs without inference and with no SHACL rules (when the shapes have rules it gets a copy).
* Large graphs are cut into chunks that worker processes validate in parallel
  (:mod:`clastordf.validate.chunks` explains why each focus node gets the same results in its
  chunk as in the whole graph); the results are merged. ``chunked=False`` validates the whole
  graph in this process, which is what small graphs use and what the tests compare against.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import sys
import warnings
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from pyshacl import validate as pyshacl_validate
from rdflib import ConjunctiveGraph, Graph, URIRef
from rdflib.namespace import RDF
from rdflib.plugins.sparql.algebra import translateQuery
from rdflib.plugins.sparql.parser import parseQuery
from rdflib.plugins.sparql.sparql import Query
from rdflib.plugins.stores.memory import Memory, SimpleMemory
from rdflib.term import Node

from ..curation.model import Loc
from ..vocab import SH, compact
from .chunks import NotChunkable, PackedChunk, Reach, analyse_shapes, chunks, focus_nodes, pack, unpack

# Below this size one process validates the whole graph: starting workers (about 0.6 s each) and
# cutting and copying chunks cost what two workers save up to ~50k triples of clastordf data
# (2.6 s either way at ×10 on 2 cores; 27 s whole against 17–23 s chunked at ×100).
CHUNKED_MIN_TRIPLES = 100_000
# Focus nodes per chunk: big enough that the triples copied into several chunks stay few, small
# enough that the workers finish together (see _chunk_size).
CHUNK_SIZE = 2_000
# Environment variable that sets the number of worker processes (0 or 1: validate in this process).
WORKERS_ENV = "CLASTORDF_SHACL_WORKERS"


@dataclass(frozen=True, order=True)
class Violation:
    focus: str
    path: str
    message: str
    value: str
    origin: str  # "file:line record" of the curation record the focus node came from, if known

    def __str__(self) -> str:
        where = f" [from {self.origin}]" if self.origin else ""
        value = f" (value: {self.value})" if self.value else ""
        return f"{self.focus} {self.path}: {self.message}{value}{where}"


@dataclass(frozen=True)
class RunStats:
    """How the last :func:`validate_graph` call ran (for benchmarks and logs)."""

    mode: str  # "whole" or "chunked"
    triples: int
    focus_nodes: int = 0
    chunks: int = 0
    workers: int = 0
    worker_peak_rss_mb: float = 0.0
    reason: str = ""  # why the whole graph was validated at once


last_run: RunStats | None = None


def _short(node) -> str:
    if node is None:
        return ""
    if isinstance(node, URIRef):
        return compact(str(node), lambda local: "/" not in local) or f"<{node}>"
    return str(node)


def _path_text(report: Graph, path) -> str:
    if path is None:
        return "(node)"
    if isinstance(path, URIRef):
        return _short(path)
    alternatives = report.value(path, SH.alternativePath)
    if alternatives is not None:
        items = list(report.items(alternatives))
        return " | ".join(_short(i) for i in items)
    return "(complex path)"


def load_shapes(path: Path) -> Graph:
    shapes = Graph()
    shapes.parse(path, format="turtle")
    return shapes


# ---------------------------------------------------------------------------------------------- engine


@lru_cache(maxsize=256)
def _prepared_query(text: str, base: str | None, namespaces: tuple[tuple[str, str], ...]) -> Query:
    # The same two calls rdflib's SPARQLProcessor makes for a query given as text.
    return translateQuery(parseQuery(text), base, dict(namespaces))


class _PreparedQueryGraph(Graph):
    """A Graph that parses each distinct SPARQL query text once (see the module docstring).

    rdflib evaluates a parsed query it is handed exactly like the text it would have parsed
    (``SPARQLProcessor.query`` only parses a str, then calls ``evalQuery``); prefixes are resolved
    with the same namespaces rdflib would use, which are part of the cache key.
    """

    def query(
        self,
        query_object,
        processor="sparql",
        result="sparql",
        initNs=None,  # noqa: N803
        initBindings=None,
        use_store_provided=True,
        **kwargs,
    ):  # noqa: N803
        # Only rdflib's in-memory stores: a store with its own SPARQL engine gets the text, as rdflib gives it.
        if isinstance(query_object, str) and processor == "sparql" and isinstance(self.store, Memory | SimpleMemory):
            initNs = initNs or dict(self.namespaces())  # noqa: N806 (rdflib's own default)
            key = tuple(sorted((str(k), str(v)) for k, v in initNs.items()))
            query_object = _prepared_query(query_object, kwargs.get("base"), key)
        return super().query(query_object, processor, result, initNs, initBindings, use_store_provided, **kwargs)


def _results(data: Graph, shapes: Graph, inplace: bool = True) -> list[tuple[Node, Violation]]:
    """Run pyshacl on ``data`` (in place unless told otherwise) and turn its report into violations
    without origins, each with its focus node."""
    conforms, report, _ = pyshacl_validate(
        data, shacl_graph=shapes, inference="none", advanced=True, allow_warnings=False, inplace=inplace
    )
    if conforms:
        return []
    out = []
    for result in report.subjects(RDF.type, SH.ValidationResult):
        focus = report.value(result, SH.focusNode)
        message = report.value(result, SH.resultMessage)
        out.append(
            (
                focus,
                Violation(
                    focus=_short(focus),
                    path=_path_text(report, report.value(result, SH.resultPath)),
                    message=str(message) if message else "constraint violated",
                    value=_short(report.value(result, SH.value)),
                    origin="",
                ),
            )
        )
    return out


def _whole_graph(data: Graph, shapes: Graph) -> list[tuple[Node, Violation]]:
    if isinstance(data, ConjunctiveGraph):
        # Datasets keep pyshacl's own handling of named graphs (and its copy).
        return _results(data, shapes, inplace=False)
    if (None, SH.rule, None) in shapes:
        # Rules add triples to the graph pyshacl validates: give it a copy, never the caller's graph.
        target = _PreparedQueryGraph(namespace_manager=data.namespace_manager)
        target += data
    else:
        # The same store seen through a Graph that prepares its queries: no copy.
        target = _PreparedQueryGraph(
            store=data.store, identifier=data.identifier, namespace_manager=data.namespace_manager
        )
    return _results(target, shapes)


# ---------------------------------------------------------------------------------------------- chunks

_worker_shapes: Graph | None = None  # the shapes, parsed once per worker process


def _init_worker(shapes_text: str) -> None:
    global _worker_shapes
    _worker_shapes = Graph().parse(data=shapes_text, format="nt")


def _peak_rss_mb() -> float:
    """This process's peak resident memory. On Linux VmHWM, because ru_maxrss survives exec and so
    reports the parent's size for a spawned worker (spawn forks, then execs a fresh interpreter)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    try:
        import resource
    except ImportError:  # Windows
        return 0.0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10  # bytes on macOS, KiB elsewhere


def _validate_packed(packed: PackedChunk, shapes: Graph | None = None) -> tuple[list[tuple[str, Violation]], float]:
    """Validate one chunk; keep the results about the focus nodes it owns, keyed by their IRI."""
    graph = _PreparedQueryGraph(bind_namespaces="none")
    owned = unpack(packed, graph)
    shapes = shapes if shapes is not None else _worker_shapes
    assert shapes is not None  # a worker process has them from the pool's initializer
    results = _results(graph, shapes)
    return [(str(focus), v) for focus, v in results if focus in owned], _peak_rss_mb()


def _chunk_size(focus: int, workers: int) -> int:
    # At least four chunks per worker, so that one slow chunk does not leave a core idle at the end.
    return max(1, min(CHUNK_SIZE, math.ceil(focus / (4 * max(workers, 1)))))


def _chunked(
    data: Graph, shapes: Graph, reach: Reach, workers: int, chunk_size: int | None
) -> tuple[list[tuple[str, Violation]], RunStats]:
    focus = focus_nodes(data, reach)
    size = chunk_size or _chunk_size(len(focus), workers)
    namespaces = list(data.namespaces())
    parts = chunks(data, reach, size, focus)
    out: list[tuple[str, Violation]] = []
    count = 0
    peak = 0.0
    if workers <= 1:
        # Same packing as for workers, so that this path checks the transfer too.
        for chunk in parts:
            found, _ = _validate_packed(pack(chunk, namespaces), shapes)
            out.extend(found)
            count += 1
        return out, RunStats("chunked", len(data), len(focus), count, 1, _peak_rss_mb())
    # spawn: workers start clean (no copy of this process's memory, no forked threads), on every OS.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(
        max_workers=workers, mp_context=context, initializer=_init_worker, initargs=(shapes.serialize(format="nt"),)
    ) as pool:
        pending: set[Future[Any]] = set()

        def collect(done: set[Future[Any]]) -> None:
            nonlocal peak
            for future in done:
                found, rss = future.result()
                out.extend(found)
                peak = max(peak, rss)

        for chunk in parts:
            pending.add(pool.submit(_validate_packed, pack(chunk, namespaces)))
            count += 1
            if len(pending) >= 2 * workers:  # bound the packed chunks waiting in memory
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                collect(done)
        collect(wait(pending).done)
    return out, RunStats("chunked", len(data), len(focus), count, workers, peak)


def _default_workers() -> int:
    if multiprocessing.current_process().daemon:  # a daemonic process may not start processes
        return 1
    configured = os.environ.get(WORKERS_ENV, "").strip()
    if configured:
        return max(0, int(configured))
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def validate_graph(
    data: Graph,
    shapes: Graph,
    origins: dict[str, Loc] | None = None,
    *,
    chunked: bool | None = None,
    workers: int | None = None,
    chunk_size: int | None = None,
) -> list[Violation]:
    """Validate ``data`` against ``shapes``; return every violation (empty list = conforms).

    ``chunked`` chooses between validating the whole graph in this process (False) and in chunks
    (True); the default chunks graphs of ``CHUNKED_MIN_TRIPLES`` triples or more when there are
    two or more workers. Both give the same violations; shapes whose reach cannot be bounded
    (:func:`clastordf.validate.chunks.analyse_shapes`) are always validated whole. ``workers``
    is the number of worker processes (default: the ``CLASTORDF_SHACL_WORKERS`` environment
    variable, else the usable CPUs; 0 or 1 validates the chunks in this process) and
    ``chunk_size`` the number of focus nodes per chunk (default: see ``_chunk_size``).

    Workers are started with multiprocessing's "spawn" method, which imports the main module
    again: as with any multiprocessing code, a script that validates at import time needs an
    ``if __name__ == "__main__":`` guard (or ``workers=1``).
    """
    global last_run
    workers = _default_workers() if workers is None else workers
    if chunked is None:
        chunked = workers >= 2 and len(data) >= CHUNKED_MIN_TRIPLES
    reason = "" if chunked else "small graph or one worker"
    found: list[tuple[str, Violation]] | None = None
    if chunked:
        try:
            reach = analyse_shapes(shapes)
        except NotChunkable as err:
            reason = str(err)
        else:
            if isinstance(data, ConjunctiveGraph):
                reason = "a dataset with named graphs"
            else:
                try:
                    found, last_run = _chunked(data, shapes, reach, workers, chunk_size)
                except BrokenProcessPool as err:
                    # A worker died (killed for memory, or the main module cannot be imported
                    # again): the answer must not depend on that, so validate here instead.
                    reason = f"worker processes failed ({err})"
                    warnings.warn(
                        f"SHACL validation in worker processes failed ({err}); "
                        "validating the whole graph in this process",
                        RuntimeWarning,
                        stacklevel=2,
                    )
    if found is None:
        found = [(str(focus), v) for focus, v in _whole_graph(data, shapes)]
        last_run = RunStats("whole", len(data), reason=reason)
    origins = origins or {}
    out = set()
    for key, violation in found:
        loc = origins.get(key)
        out.add(replace(violation, origin=f"{loc.file}:{loc.line} {loc.record}") if loc else violation)
    return sorted(out)
