"""The landing page (``/``; as RDF, the VoID description) and ``/health``."""

from __future__ import annotations

import time
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

from flask import Response, current_app, jsonify, redirect, render_template, url_for

from ...vocab import CLASTO
from ..context import state
from ..downloads import find_release
from ..linkeddata import RDF_FORMATS, Site
from ..sparql import EXECUTOR_KEY, result_cache
from ..sparql_client import BackendError
from ..store import files_changed
from . import data, void
from .common import counts, finish, page_blueprint, page_cache, served_files, site, wanted_format

bp = page_blueprint("home", __name__)

COUNT_TRIPLES = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
#: The lines of ``/proc/self/status`` that give a process's resident memory now and at its peak.
VM_FIELDS = ("VmRSS", "VmHWM")


@bp.get("/")
def index():
    """The dataset's title, description, counts, downloads and where to go next."""
    fmt = wanted_format()
    alternates = [(url_for("void.index", format=f.ext), f.media_type) for f in RDF_FORMATS]
    if fmt is not None:
        return void.index()  # the site's root, asked for as RDF, is its VoID description
    s = site()
    dataset = data.dataset_node(s)
    info: dict[str, str | bool | None] = {
        "title": s.literal(dataset, "http://purl.org/dc/terms/title") if dataset else None,
        "description": s.literal(dataset, "http://purl.org/dc/terms/description") if dataset else None,
        "version": s.literal(dataset, "http://purl.org/pav/version") if dataset else None,
        "issued": s.literal(dataset, "http://purl.org/dc/terms/issued") if dataset else None,
        "license": next(iter(s.iris(dataset, "http://purl.org/dc/terms/license")), None) if dataset else None,
        "iri": dataset,
    }
    # "Release" only for what was released: a build of the same version may have changed since.
    config = state().config
    info["released"] = bool(config.release)
    info["published"] = bool(info["version"]) and find_release(config.releases_root, str(info["version"])) is not None
    html = render_template(
        "home.html",
        info=info,
        counts=counts(),
        downloads=served_files(),
        review=data.REVIEW,
        alternates=alternates,
        clastokine_class=str(CLASTO) + "Clastokine",
    )
    return finish(Response(html, mimetype="text/html"), alternates)


@bp.get("/favicon.ico")
def favicon():
    """Where browsers look for the site's icon without asking the page: the SVG icon the pages name."""
    return redirect(url_for("static", filename="favicon.svg"), code=301)


@bp.get("/health")
def health():
    """Whether this worker can answer, as JSON: 200 when it can, 503 when it cannot.

    Embedded store: the check it passed when this worker opened it (files as made, quads counted),
    that its files have not changed since (a cheap ``stat``), and a real query, cheap by construction
    (the facts, by type, and the dataset's version: index lookups, not a scan of the store). With a
    remote backend, ``backend`` says which endpoint and graph, and whether it answered (503 also when
    its graph is empty). ``memory`` is this worker's resident memory and its caches' sizes."""
    st = state()
    backend = st.remote.describe() if st.remote is not None else None
    body: dict = {"status": "ok"}
    try:
        s = Site(st.store, st.config.base)
        started = time.perf_counter()
        facts = s.count(
            f"SELECT (COUNT(DISTINCT ?f) AS ?n) WHERE {{ VALUES ?t {{ <{CLASTO}ClastokineFact> "
            f"<{CLASTO}RegulationFact> }} ?f a ?t }}"
        )
        version = data.version(s)
        query_ms = round((time.perf_counter() - started) * 1000, 1)
        check = st.store_check if st.remote is None else None
        # The embedded store's size was counted when it was checked; a remote graph's is asked for.
        triples = check.quads if check is not None and check.quads is not None else s.count(COUNT_TRIPLES)
    except Exception as exc:  # noqa: BLE001 - any store failure means "not healthy"
        body.update(status="error", error=str(exc))
        if backend is not None:
            body["backend"] = {**backend, "status": exc.kind if isinstance(exc, BackendError) else "error"}
        else:
            body["store"] = store_report(query="failed")
        body["memory"] = memory_report()
        return jsonify(body), 503
    body.update(triples=triples, facts=facts, version=version)
    if backend is not None:
        # An empty graph is a backend that answers but was not loaded (or a wrong --backend-graph).
        body["backend"] = {**backend, "status": "ok" if triples else "empty"}
        if not triples:
            body.update(status="error", error=f"the backend's graph ({backend['graph']}) holds no triples")
    else:
        body["store"] = report = store_report(query="ok", query_ms=query_ms)
        if report.get("files") != "unchanged":
            body.update(status="error", error=f"the store's files changed since it was checked: {report['files']}")
    body["memory"] = memory_report()
    return jsonify(body), 200 if body["status"] == "ok" else 503


def store_report(**query: object) -> dict:
    """The embedded store as ``/health`` shows it: the check it passed when this worker
    opened it (``checked``: when, ``quads``: how many it counted), whether its files are unchanged
    since (else the names of those that changed), and ``query``, how the health query went."""
    check = state().store_check
    if check is None:  # an app given a store that was not checked (not made by create_app)
        return {"check": "none", **query}
    changed = files_changed(check)
    return {
        "check": "ok" if check.ok else check.problem,
        "checked": datetime.fromtimestamp(check.checked, UTC).isoformat(timespec="seconds"),
        "quads": check.quads,
        "files": "unchanged" if not changed else ", ".join(changed),
        **query,
    }


def memory_report() -> dict:
    """This worker's resident memory now and at its peak (bytes, from ``/proc/self/status``; ``None``
    where there is none), what its caches hold: entries, bytes (keys included) and their budgets
    (:meth:`.cache.ResponseCache.usage`), and its query executors' resident memory and cap
    (:meth:`.executor.ExecutorPool.memory`; ``None`` before the first query starts them)."""
    rss, peak = process_memory()
    report: dict = {
        "worker_rss_bytes": rss,
        "worker_peak_rss_bytes": peak,
        "caches": {"pages": asdict(page_cache().usage()), "answers": asdict(result_cache().usage())},
    }
    # Read the pool without creating it: /health must not start executors that no query asked for.
    pool = current_app.extensions.get(EXECUTOR_KEY)
    report["executors"] = asdict(pool.memory()) if pool is not None else None
    return report


def process_memory(status: Path = Path("/proc/self/status")) -> tuple[int | None, int | None]:
    """(resident, peak resident) bytes of this process, read from Linux's ``/proc/self/status``
    (``VmRSS``, ``VmHWM``); ``(None, None)`` where it cannot be read."""
    try:
        lines = status.read_text().splitlines()
    except OSError:
        return None, None
    found = {k: int(v.split()[0]) * 1024 for k, _, v in (line.partition(":") for line in lines) if k in VM_FIELDS}
    return found.get("VmRSS"), found.get("VmHWM")
