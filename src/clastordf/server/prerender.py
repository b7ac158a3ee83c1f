"""Render every resource page of a build once, into its page pack (:mod:`.pagepack`), so that serving
a dereference reads bytes instead of querying the store and rendering templates.

What is rendered: every IRI the store describes (each subject IRI), in HTML and in every RDF format
(:data:`~.linkeddata.RDF_FORMATS`): an IRI under the base at its own path (facts, claims, evidence
lines, the dataset …), any other at ``/entity?iri=…`` (genes, ontology terms, publications: the pages
the site links to). IRIs only ever seen as objects, and paths that another page family answers, are
left to the live view.

There is one renderer: each page is the live view's answer to a request made under
:meth:`flask.Flask.test_request_context`, stored under the (route, IRI, format) the view itself
settled on (:func:`.pages.common.answer`). A page whose bytes name the host it was asked of (the
server's own absolute URLs) cannot be shared between hosts: it is rendered under a host no client
uses, and left out when that host shows up in it. Pages are rendered for the mount point ``""``; a
server mounted elsewhere renders live.

The pack is made when a server starts (:func:`prepare_pages`, from ``clastordf serve``), once per
build: the build pipeline does not know the server (its layer is below), and the pack belongs to the
store, which the server makes the same way. Rendering runs in worker processes, each with its own app
over the read-only store, started by one child process (:func:`child_main`) so the server's main
process is left with none of theirs.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import pickle
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from flask import Flask, g, request

from ..files import locked
from ..progress import Progress
from .app import create_app
from .cache import freeze
from .config import ServerConfig
from .linkeddata import RDF_FORMATS
from .pagepack import PACK_EXTENSION, PACK_FILE, PackEntry, PackKey, check_pack, pack_key, read_meta, write_pack
from .pages.common import RENDERED, site
from .store import ReadOnlyStore, open_store

log = logging.getLogger(__name__)

#: The host pages are rendered for: no client asks for it, so a page that names it names its host.
RENDER_HOST = "prerender.invalid"
#: The mount point pages are rendered for.
SCRIPT_ROOT = ""
#: Resources one task renders (each task memoises labels across its resources).
CHUNK = 200
#: The endpoint that answers each route.
ENDPOINTS = {"path": "resources.resource", "entity": "resources.entity"}
#: (format name, ``Accept``) of every page of a resource.
FORMATS: tuple[tuple[str, str], ...] = (("html", "text/html"),) + tuple((f.ext, f.media_type) for f in RDF_FORMATS)


@dataclass(frozen=True)
class PagesReport:
    """What :func:`prepare_pages` did."""

    path: Path
    #: Pages in the pack.
    pages: int
    #: Whether the pack was rendered now (``False``: the one there was served as it is).
    rendered: bool
    #: Why the pack there could not be served (``None``: it could, or there was none).
    problem: str | None = None
    #: Resources whose pages were not all rendered (they are rendered live).
    skipped: int = 0
    seconds: float = 0.0


def resources(store: ReadOnlyStore, base: str) -> list[tuple[str, str]]:
    """(route, IRI) of every resource to render: each subject IRI of the store, at its own path
    (``path``) when under ``base``, else at ``/entity`` (``entity``); sorted."""
    solutions = store.query("SELECT DISTINCT ?s WHERE { ?s ?p ?o FILTER(isIRI(?s)) }", use_default_graph_as_union=True)
    iris = sorted(row[0].value for row in solutions)  # type: ignore[union-attr]  # a SELECT: rows
    return [("path" if iri.startswith(base) else "entity", iri) for iri in iris]


def render(app: Flask, targets: Sequence[tuple[str, str]]) -> tuple[list[PackEntry], int]:
    """The pages of ``targets`` as the live views give them, and how many targets were left out in
    part or whole (not answered by the resource views, not 200, or naming the host). ``app`` has no
    pack: each page is rendered."""
    if app.extensions.get(PACK_EXTENSION) is not None:
        raise ValueError("pages are rendered by an app without a page pack")
    entries: list[PackEntry] = []
    skipped = 0
    base_url = f"http://{RENDER_HOST}{SCRIPT_ROOT}"
    # One app context for the chunk: each request context below shares its ``g``, so the Site (its
    # labels and known IRIs, a pure function of the read-only store) is memoised across pages.
    with app.app_context():
        for route, iri in targets:
            with app.test_request_context("/", base_url=base_url):
                path = site().local_path(iri) if route == "path" else "/entity"
            if path is None or "#" in path or "?" in path:  # no path of its own: never asked for by path
                skipped += 1
                continue
            query = {"iri": iri} if route == "entity" else None
            pages = [_render_one(app, route, iri, path, query, fmt, accept) for fmt, accept in FORMATS]
            kept = [p for p in pages if p is not None]
            skipped += len(kept) < len(pages)
            entries += kept
    return entries, skipped


def _render_one(
    app: Flask, route: str, iri: str, path: str, query: dict[str, str] | None, fmt: str, accept: str
) -> PackEntry | None:
    base_url = f"http://{RENDER_HOST}{SCRIPT_ROOT}"
    with app.test_request_context(path, base_url=base_url, query_string=query, headers={"Accept": accept}):
        rule = request.url_rule
        if request.routing_exception is not None or rule is None or rule.endpoint != ENDPOINTS[route]:
            return None
        g.pop(RENDERED, None)
        try:
            response = app.make_response(app.dispatch_request())
        except Exception:  # noqa: BLE001 - a page that fails here fails live too, and says so there
            log.warning("cannot pre-render the %s page of %s", fmt, iri, exc_info=True)
            return None
        if g.pop(RENDERED, None) != (route, iri, fmt):  # the view answered for another page
            return None
        if response.status_code != 200 or response.direct_passthrough or response.is_streamed:
            return None
        body = response.get_data()
        headers = list(response.headers.items())
        host = RENDER_HOST.encode()
        if host in body or any(RENDER_HOST in value for _, value in headers):
            return None
        page = freeze(body, response.content_type or "application/octet-stream", headers)
        return PackEntry(route, iri, fmt, page)


# -- in worker processes ---------------------------------------------------------------------------

_worker_app: Flask | None = None


def _start_worker(config: ServerConfig) -> None:
    global _worker_app
    _worker_app = _render_app(config)


def _render_chunk(targets: list[tuple[str, str]]) -> tuple[list[PackEntry], int]:
    assert _worker_app is not None
    return render(_worker_app, targets)


def _render_app(config: ServerConfig) -> Flask:
    return create_app(config, page_pack=False)


def render_all(
    config: ServerConfig, targets: list[tuple[str, str]], processes: int, progress: Progress
) -> Iterator[tuple[list[PackEntry], int]]:
    """The pages of ``targets`` chunk by chunk, rendered in ``processes`` worker processes (``1``: in
    this one), in order; progress told every ten percent."""
    chunks = [targets[i : i + CHUNK] for i in range(0, len(targets), CHUNK)]
    start, done, told = time.perf_counter(), 0, 0

    def tell(n: int) -> None:
        nonlocal done, told
        done += n
        if done * 10 // max(1, len(targets)) > told:
            told = done * 10 // max(1, len(targets))
            progress(f"[pages] {done}/{len(targets)} resources ({time.perf_counter() - start:.0f} s)")

    if processes <= 1:
        app = _render_app(config)
        for chunk in chunks:
            yield render(app, chunk)
            tell(len(chunk))
        return
    # spawn: a fresh interpreter, nothing of this process's state (open files, threads) inherited
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(processes, mp_context=context, initializer=_start_worker, initargs=(config,)) as pool:
        for chunk, result in zip(chunks, pool.map(_render_chunk, chunks), strict=True):
            yield result
            tell(len(chunk))


def write_pages(config: ServerConfig, key: PackKey, processes: int, progress: Progress) -> tuple[int, int]:
    """Render every resource of the store ``config`` serves and write the pack (keyed ``key``);
    returns the pages written and the resources left to the live view."""
    store = open_store(config.store_location)
    targets = resources(store, config.base)
    del store
    progress(f"[pages] rendering {len(targets)} resources in {len(FORMATS)} formats ({processes} processes) …")
    skipped = 0

    def entries() -> Iterator[PackEntry]:
        nonlocal skipped
        for chunk, left_out in render_all(config, targets, processes, progress):
            skipped += left_out
            yield from chunk

    pages = write_pack(config.store_location / PACK_FILE, key, entries())
    return pages, skipped


def _write_in_child(config: ServerConfig, key: PackKey, processes: int, progress: Progress) -> tuple[int, int]:
    """:func:`write_pages` in a child process, which starts the rendering processes: the server's main
    process is left with no process of theirs (a process pool leaves a resource tracker behind)."""
    code = "from clastordf.server.prerender import child_main; child_main()"
    child = subprocess.Popen(  # noqa: S603 - this interpreter, our module
        [sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert child.stdin is not None and child.stdout is not None and child.stderr is not None
    child.stdin.write(pickle.dumps((config, key, processes)))
    child.stdin.close()
    errors = []
    for line in child.stderr:  # its progress, then (if it fails) why
        text = line.decode(errors="replace").rstrip()
        if text.startswith("[pages]"):
            progress(text)
        else:
            errors.append(text)
    result = child.stdout.read()
    if child.wait() != 0 or not result:
        raise RuntimeError(f"the rendering process exited with status {child.returncode}: {' '.join(errors[-3:])}")
    pages, skipped = pickle.loads(result)  # noqa: S301 - from the child we started
    return pages, skipped


def child_main() -> None:
    """The child of :func:`_write_in_child`: (config, key, processes) pickled on stdin, progress on
    stderr, (pages, left to the live view) pickled on stdout."""
    config, key, processes = pickle.loads(sys.stdin.buffer.read())  # noqa: S301 - from our parent
    parent = os.getppid()

    def watch() -> None:  # a server killed while it prepares: stop (the rendering processes follow)
        while os.getppid() == parent:
            time.sleep(1)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()
    progress = partial(print, file=sys.stderr, flush=True)
    sys.stdout.buffer.write(pickle.dumps(write_pages(config, key, processes, progress)))


def default_processes() -> int:
    """Worker processes that render: one per core, at most 4."""
    return max(1, min(4, len(os.sched_getaffinity(0))))


def prepare_pages(
    config: ServerConfig, progress: Progress = lambda _: None, processes: int | None = None
) -> PagesReport | None:
    """The page pack of the store ``config`` serves (made by :func:`~.store.prepare_store`), checked
    (:func:`~.pagepack.check_pack`), and rendered again when it is missing, stale (other data, base or
    code) or damaged (then deleted first: no app opens it meanwhile); ``None`` with a remote backend (no
    store), or when rendering failed (a warning says why): then pages are rendered live. Servers
    starting together wait for each other (a lock on the store's folder), so one renders."""
    if config.backend:
        return None
    config = config.resolve_release()
    store_dir = config.store_location  # prepared (prepare_store) before, and checked by each app made here
    path = store_dir / PACK_FILE
    key = pack_key(store_dir, config.base, SCRIPT_ROOT)
    if key is None:
        log.warning("the store at %s has no stamp to key its pages on: pages are rendered live", store_dir)
        return None
    with locked(store_dir):
        problem = check_pack(path, key)
        if problem is None:
            return PagesReport(path, int(read_meta(path)["pages"]), rendered=False)
        if path.exists():
            log.warning("the page pack %s cannot be served (%s): rendering it again", path, problem)
            path.unlink()
        for left in store_dir.glob(f".{path.stem}-new-*"):  # by a run that was killed: we hold the lock
            left.unlink()
        start = time.perf_counter()
        processes = processes or default_processes()
        try:
            if processes > 1:
                pages, skipped = _write_in_child(config, key, processes, progress)
            else:
                pages, skipped = write_pages(config, key, processes, progress)
        except Exception as exc:  # noqa: BLE001 - the server still serves, every page live
            log.warning("the pages could not be rendered (%s: %s): pages are rendered live", type(exc).__name__, exc)
            return None
        seconds = time.perf_counter() - start
        size = path.stat().st_size / 1e6
        progress(f"[pages] {pages} pages ({size:.1f} MB) in {seconds:.1f} s; {skipped} resources left to the live view")
    return PagesReport(path, pages, True, problem if problem != "it is missing" else None, skipped, seconds)
