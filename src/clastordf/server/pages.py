"""HTML pages and linked-data dereferencing.

Every IRI under ``config.base`` dereferences at the path after the base (``/fact/CF0200``): HTML for
browsers, RDF by ``Accept`` (q-values honoured) or by extension (``.ttl .jsonld .nt .rdf``), with
``Link: rel="alternate"`` headers and ``Vary: Accept``. IRIs outside the base that the store describes
(genes, ontology terms, publications) have pages at ``/entity?iri=…`` (``/term`` is an alias), so
every link on the site stays on this server. Each page has a machine-readable twin, Datasette-style.
``/downloads`` offers the served files and every release (see the downloads section for the URLs);
release and version IRIs (``BASE/releases/VERSION[/NAME]``) redirect there. With a remote backend that
does not answer, a page is a 503 saying the data service is unavailable (downloads need no backend).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from importlib import resources
from urllib.parse import urlencode

import pyoxigraph as ox
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)

from ..release.layout import LATEST, SUMS_FILE, list_releases
from ..vocab import CLASTO
from . import pages_data as data
from .cache import ResponseCache, freeze
from .context import state
from .downloads import Download, ReleaseListing, find_release, list_downloads, list_release_listings
from .linkeddata import (
    BY_EXT,
    HTML,
    RDF_FORMATS,
    RDF_TYPE,
    RdfFormat,
    Site,
    negotiate,
    serialize,
    split_extension,
    valid_iri,
)
from .pages_vocab import vocab_page, vocab_triples
from .pages_void import graph_triples, named_graphs, void_triples
from .sparql_client import BackendError

bp = Blueprint("pages", __name__)
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"

#: Rows the server-side query fallback renders at most.
FALLBACK_ROWS = 200


# -- helpers ---------------------------------------------------------------------------------------


def site() -> Site:
    """This request's view of the store (labels and paths memoised per request)."""
    if "site" not in g:
        base = state().config.base
        g.site = Site(state().store, base if base.endswith(("/", "#")) else base + "/", request.script_root)
    return g.site


def absolute(path: str) -> str:
    """An absolute URL on this server for a local path (or an absolute IRI unchanged)."""
    return path if "://" in path else request.host_url.rstrip("/") + path


def wanted_format(ext: RdfFormat | str | None = None) -> RdfFormat | None:
    """The RDF format asked for by extension, ``?format=``, or ``Accept``; ``None`` means HTML."""
    if isinstance(ext, RdfFormat):
        return ext
    if ext == "html":
        return None
    fmt = request.args.get("format", "").lower()
    if fmt in BY_EXT:
        return BY_EXT[fmt]
    if fmt == "html":
        return None
    return negotiate(request.accept_mimetypes)


def link_header(alternates: list[tuple[str, str]]) -> str:
    """``Link`` header value for (url, media type) alternates."""
    return ", ".join(f'<{url}>; rel="alternate"; type="{media}"' for url, media in alternates)


def rdf_alternates(make_url: Callable[[str | None], str]) -> list[tuple[str, str]]:
    """HTML plus every RDF format, each URL made by ``make_url(ext or None)``."""
    return [(make_url(None), HTML)] + [(make_url(f.ext), f.media_type) for f in RDF_FORMATS]


def finish(response: Response, alternates: list[tuple[str, str]], vary: bool = True) -> Response:
    """Add the Link and Vary headers every negotiated response carries."""
    if alternates:
        response.headers["Link"] = link_header(alternates)
    if vary:
        response.vary.add("Accept")
    return response


def rdf_response(triples: list[ox.Triple], fmt: RdfFormat, alternates: list[tuple[str, str]]) -> Response:
    # werkzeug adds "; charset=utf-8" to text/* types itself
    response = Response(serialize(triples, fmt), mimetype=fmt.media_type)
    return finish(response, alternates)


def not_found(fmt: RdfFormat | None, what: str) -> Response:
    """404: a page for browsers, plain text for RDF clients."""
    if fmt is not None:
        response = Response(f"Not found: {what}\n", status=404, mimetype="text/plain")
    else:
        response = Response(
            render_template("error.html", title="Not found", message=f"Nothing is known about {what}."),
            status=404,
            mimetype="text/html",
        )
    response.vary.add("Accept")
    return response


def download_urls() -> dict[str, str]:
    return {d.name: url_for("pages.download", name=d.name) for d in served_files()}


@bp.app_template_global()
def href(iri: str) -> str:
    return site().href(iri)


@bp.app_template_global()
def label(iri: str) -> str:
    return site().label(iri)


@bp.app_template_global()
def curie(iri: str) -> str:
    return site().curie(iri)


@bp.app_template_global()
def twin(path: str, **params: str) -> str:
    """``path`` with the current query string's filters and ``params`` (for machine-readable twins)."""
    args = {k: v for k, v in request.args.items() if k != "format"}
    args.update(params)
    return path + ("?" + urlencode(args) if args else "")


bp.add_app_template_global(data.resolver_url, "resolver_url")
bp.add_app_template_global(data.local_id, "local_id")


# -- landing, health, VoID -----------------------------------------------------------------------


def _counts() -> dict[str, int]:
    """The headline numbers, computed once per app (the store is read-only)."""
    cache = current_app.extensions.setdefault("clastordf.pages.counts", {})
    if not cache:
        cache.update(data.counts(site()))
    return cache


@bp.get("/")
def home():
    fmt = wanted_format()
    alternates = [(url_for("pages.void", format=f.ext), f.media_type) for f in RDF_FORMATS]
    if fmt is not None:
        return void()  # the site's root, asked for as RDF, is its VoID description
    s = site()
    dataset = data.dataset_node(s)
    info = {
        "title": s.literal(dataset, "http://purl.org/dc/terms/title") if dataset else None,
        "description": s.literal(dataset, "http://purl.org/dc/terms/description") if dataset else None,
        "version": s.literal(dataset, "http://purl.org/pav/version") if dataset else None,
        "issued": s.literal(dataset, "http://purl.org/dc/terms/issued") if dataset else None,
        "license": next(iter(s.iris(dataset, "http://purl.org/dc/terms/license")), None) if dataset else None,
        "iri": dataset,
    }
    html = render_template(
        "home.html", info=info, counts=_counts(), downloads=served_files(), review=data.REVIEW, alternates=alternates
    )
    return finish(Response(html, mimetype="text/html"), alternates)


@bp.get("/health")
def health():
    """Liveness that proves the store answers: 200 with its size, 503 when it cannot be queried.
    With a remote backend, ``backend`` says which endpoint and graph, and whether it answered (503 also
    when its graph is empty)."""
    st = state()
    backend = st.remote.describe() if st.remote is not None else None
    try:
        s = Site(st.store, st.config.base)
        triples = s.count("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
        facts = s.count(
            f"SELECT (COUNT(DISTINCT ?f) AS ?n) WHERE {{ VALUES ?t {{ <{CLASTO}ClastokineFact> "
            f"<{CLASTO}RegulationFact> }} ?f a ?t }}"
        )
        version = data.version(s)
    except Exception as exc:  # noqa: BLE001 - any store failure means "not healthy"
        body: dict = {"status": "error", "error": str(exc)}
        if backend is not None:
            body["backend"] = {**backend, "status": exc.kind if isinstance(exc, BackendError) else "error"}
        return jsonify(body), 503
    body = {"status": "ok", "triples": triples, "facts": facts, "version": version}
    if backend is not None:
        # An empty graph is a backend that answers but was not loaded (or a wrong --backend-graph).
        body["backend"] = {**backend, "status": "ok" if triples else "empty"}
        if not triples:
            body.update(status="error", error=f"the backend's graph ({backend['graph']}) holds no triples")
            return jsonify(body), 503
    return jsonify(body)


@bp.errorhandler(BackendError)
def backend_failed(e: BackendError):
    """The remote backend did not answer while a page was being made: 503 (502 for an answer that is
    an error or cannot be read), as a page for browsers and one line of text for RDF clients."""
    current_app.logger.warning("SPARQL backend: %s", e.message)
    status = 502 if e.kind in ("failed", "bad-answer", "refused") else 503
    if negotiate(request.accept_mimetypes) is not None:
        response = Response(f"The data service is unavailable: {e.message}\n", status=status, mimetype="text/plain")
    else:
        message = (
            f"This site reads its data from a SPARQL service that is not answering as it should right "
            f"now ({e.message}). Please try again in a minute; the downloads still work."
        )
        response = Response(
            render_template("error.html", title="Data service unavailable", message=message),
            status=status,
            mimetype="text/html",
        )
    response.headers["Retry-After"] = "10"
    response.vary.add("Accept")
    return response


@bp.get("/.well-known/void")
def void():
    """The VoID description (Turtle unless another RDF format is asked for)."""
    s = site()
    fmt = BY_EXT.get(request.args.get("format", "").lower()) or negotiate(request.accept_mimetypes, offer_html=False)
    dataset = data.dataset_node(s) or state().config.base + "dataset"
    downloads = [d for d in served_files() if d.is_rdf]
    examples = [
        r["x"]
        for r in s.query(
            f"SELECT (MIN(?f) AS ?x) WHERE {{ VALUES ?t {{ <{CLASTO}ClastokineFact> <{CLASTO}EvidenceLine> "
            f"<{data.COMPLEX}> }} ?f a ?t }} GROUP BY ?t"
        )
        if "x" in r
    ]
    triples = void_triples(
        s,
        dataset,
        triples=_counts()["triples"],
        endpoint=absolute(s.script_root + "/sparql"),
        dumps=[absolute(url_for("pages.download", name=d.name)) for d in downloads],
        homepage=absolute(url_for("pages.home")),
        examples=sorted(examples),
    )
    alternates = [(url_for("pages.void", format=f.ext), f.media_type) for f in RDF_FORMATS]
    return rdf_response(triples, fmt or RDF_FORMATS[0], alternates)


# -- facts list ------------------------------------------------------------------------------------


def _matches(value: str, candidates: list[str], s: Site) -> bool:
    """A filter value matches an IRI given as the IRI, its CURIE or its local name."""
    return any(value in (c, s.curie(c), data.local_id(c)) for c in candidates)


def _options(rows: list[data.FactRow], attr: str, s: Site, order=None) -> list[tuple[str, str]]:
    """(value, label) of a filter: the values present, keyed by local name or CURIE, sorted by label
    (or by ``order``, a key on the IRI)."""
    found = sorted({iri for r in rows for iri in getattr(r, attr)}, key=order or s.label)
    return [(data.local_id(i) if i.startswith(str(CLASTO)) else s.curie(i), s.label(i)) for i in found]


def _level_order(iri: str) -> tuple[int, str]:
    """Evidence levels strongest first."""
    levels = data.EVIDENCE_LEVELS
    return (levels.index(iri) if iri in levels else len(levels), iri)


#: The values the ``contested`` filter understands.
CONTESTED_VALUES = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}


def _row_json(row: data.FactRow, s: Site) -> dict:
    def refs(iris: list[str]) -> list[dict[str, str]]:
        return [{"iri": i, "label": s.label(i)} for i in iris]

    def one(iris: list[str]) -> dict[str, str] | None:
        return refs(iris[:1])[0] if iris else None

    return {
        "id": row.id,
        "iri": row.iri,
        "url": absolute(s.href(row.iri)),
        "kind": row.kind,
        "label": row.label,
        "ligand": refs(row.agent),
        "mechanism": refs(row.mechanism),
        "review_category": one(row.review_category),
        "evidence_level": one(row.evidence_level),
        "contested": row.contested,
        "source_cell_types": refs(row.sources),
        "contested_source_cell_types": refs(row.contested_sources),
        "producing_cell_types": refs(row.producing),
        "releasing_cell_types": refs(row.releasing),
        "target_cell_types": refs(row.targets),
        "inferred_types": refs(row.inferred),
    }


#: The CSV twin's columns (multi-valued cells joined with `` | ``).
CSV_COLUMNS = [
    "id",
    "iri",
    "kind",
    "label",
    "ligand",
    "ligand_label",
    "mechanism",
    "review_category",
    "evidence_level",
    "contested",
    "source_cell_types",
    "contested_source_cell_types",
    "producing_cell_types",
    "releasing_cell_types",
    "target_cell_types",
    "inferred_types",
]


def _row_csv(r: data.FactRow, s: Site) -> list[str]:
    def labels(iris: list[str]) -> str:
        return " | ".join(s.label(i) for i in iris)

    return [
        r.id,
        r.iri,
        r.kind,
        r.label,
        " | ".join(r.agent),
        labels(r.agent),
        labels(r.mechanism),
        labels(r.review_category),
        labels(r.evidence_level),
        "true" if r.contested else "false",
        labels(r.sources),
        labels(r.contested_sources),
        labels(r.producing),
        labels(r.releasing),
        labels(r.targets),
        labels(r.inferred),
    ]


@bp.get("/facts")
@bp.get("/facts.<ext>")
def facts(ext: str | None = None):
    """All facts with filters (``mechanism``, ``category``, ``level``, ``contested``, ``cell``, ``kind``);
    JSON and CSV twins. ``category`` is the review's Table 1 category, ``level`` the evidence level
    (``InVivoSupport`` …), ``contested`` ``true`` or ``false``; ``cell`` matches source (settled or
    contested) and target cell types."""
    s = site()
    fmt = (ext or request.args.get("format", "html")).lower()
    if fmt not in ("html", "json", "csv"):
        abort(404)
    rows = data.fact_rows(s)
    options = {
        "mechanism": _options(rows, "mechanism", s),
        "category": _options(rows, "review_category", s),
        "level": _options(rows, "evidence_level", s, order=_level_order),
        "contested": [("true", "contested"), ("false", "not contested")],
        "cell": _options(rows, "sources", s) + _options(rows, "contested_sources", s) + _options(rows, "targets", s),
        "kind": [("clastokine", "clastokine fact"), ("regulation", "regulation fact")],
    }
    options["cell"] = sorted(set(options["cell"]), key=lambda o: o[1])
    filters = {k: request.args.get(k, "").strip() for k in options}
    contested = CONTESTED_VALUES.get(filters["contested"].lower())
    shown = [
        r
        for r in rows
        if (not filters["mechanism"] or _matches(filters["mechanism"], r.mechanism, s))
        and (not filters["category"] or _matches(filters["category"], r.review_category, s))
        and (not filters["level"] or _matches(filters["level"], r.evidence_level, s))
        and (not filters["contested"] or contested == r.contested)
        and (not filters["cell"] or _matches(filters["cell"], sorted(r.cells), s))
        and (not filters["kind"] or filters["kind"] == r.kind)
    ]
    alternates = [
        (twin(url_for("pages.facts")), HTML),
        (twin(url_for("pages.facts", ext="json")), "application/json"),
        (twin(url_for("pages.facts", ext="csv")), "text/csv"),
    ]
    if fmt == "json":
        body = {
            "count": len(shown),
            "filters": {k: v for k, v in filters.items() if v},
            "facts": [_row_json(r, s) for r in shown],
        }
        return finish(jsonify(body), alternates, vary=False)
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(CSV_COLUMNS)
        for r in shown:
            writer.writerow(_row_csv(r, s))
        response = Response(out.getvalue(), mimetype="text/csv")  # werkzeug adds "; charset=utf-8"
        return finish(response, alternates, vary=False)
    html = render_template(
        "facts.html", rows=shown, total=len(rows), options=options, filters=filters, alternates=alternates
    )
    return finish(Response(html, mimetype="text/html"), alternates, vary=False)


# -- query page ------------------------------------------------------------------------------------


def examples() -> list[dict[str, str]]:
    """The documented example queries, packaged with the server (``server/queries/*.rq``)."""
    out = []
    folder = resources.files(__package__).joinpath("queries")
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".rq"):
            text = entry.read_text(encoding="utf-8")
            first = text.splitlines()[0] if text else ""
            out.append({"name": entry.name[:-3], "title": first.lstrip("# ").strip() or entry.name, "query": text})
    return out


@bp.get("/query")
def query():
    """A query editor that runs against ``/sparql`` from the browser. Without JavaScript, ``run=1``
    renders the answer here: the packaged examples run on the store directly, any other query goes
    through the ``/sparql`` view (so its timeout and limits apply) and its JSON becomes the table."""
    found = examples()
    if request.args.get("format") == "json":
        return jsonify({"examples": found, "endpoint": absolute(site().script_root + "/sparql")})
    chosen = next((e for e in found if e["name"] == request.args.get("example")), None)
    text = request.args.get("query") or (chosen["query"] if chosen else (found[0]["query"] if found else ""))
    if request.args.get("query"):
        chosen = next((e for e in found if " ".join(e["query"].split()) == " ".join(text.split())), None)
    table, error = None, None
    if request.args.get("run") and text.strip():
        table, error = _run_example(chosen["query"]) if chosen else _run_via_endpoint(text)
    return render_template(
        "query.html",
        examples=found,
        text=text,
        chosen=chosen,
        table=table,
        error=error,
        endpoint=site().script_root + "/sparql",
        config_base=state().config.base,
        alternates=[(url_for("pages.query", format="json"), "application/json")],
    )


def _run_example(text: str) -> tuple[dict, None]:
    """Run one packaged example on the store (trusted text, known to be quick)."""
    solutions = state().store.query(text, use_default_graph_as_union=True)
    assert isinstance(solutions, ox.QuerySolutions)  # the examples are SELECT queries
    names = [v.value for v in solutions.variables]
    rows: list[list[tuple[str, bool] | None]] = []
    for row in solutions:
        if len(rows) == FALLBACK_ROWS:
            return {"vars": names, "rows": rows, "capped": True}, None
        rows.append([(row[n].value, isinstance(row[n], ox.NamedNode)) if row[n] is not None else None for n in names])
    return {"vars": names, "rows": rows, "capped": False}, None


def _run_via_endpoint(text: str) -> tuple[dict | None, str | None]:
    """Ask this app's own ``/sparql`` view (dispatched in-process, not over the network) for SPARQL JSON
    results: the endpoint's executors enforce the timeout an in-process store call could not."""
    with current_app.test_request_context(
        "/sparql", method="GET", query_string={"query": text}, headers={"Accept": "application/sparql-results+json"}
    ):
        response = current_app.full_dispatch_request()
        body = response.get_data()
    if response.status_code != 200 or response.mimetype != "application/sparql-results+json":
        message = body.decode("utf-8", "replace")[:1000] if response.mimetype == "text/plain" else ""
        return None, f"The endpoint answered {response.status}. {message}".strip()
    results = json.loads(body)
    if "boolean" in results:
        return {"vars": ["answer"], "rows": [[(str(results["boolean"]).lower(), False)]], "capped": False}, None
    names = results.get("head", {}).get("vars", [])
    rows = [
        [(b[n]["value"], b[n]["type"] == "uri") if n in b else None for n in names]
        for b in results.get("results", {}).get("bindings", [])[:FALLBACK_ROWS]
    ]
    capped = len(results.get("results", {}).get("bindings", [])) > FALLBACK_ROWS
    return {"vars": names, "rows": rows, "capped": capped}, None


# -- downloads -------------------------------------------------------------------------------------
# /downloads/NAME is a file of what this server serves (the build, or the release it was started
# with); /downloads/VERSION/NAME a file of a release, /downloads/latest/NAME the same file of the
# newest release (same bytes and validators, plus Content-Location and Link rel="canonical" naming
# the versioned URL, so a cache or a citation can pin it). Releases are looked up on every request,
# so one published while the server runs is offered at once.

#: Seconds a client may reuse a file: a release never changes, ``latest`` and the build can.
RELEASE_MAX_AGE = 86_400
CHANGING_MAX_AGE = 300
HOW_TO_RELEASE = "Make one with `clastordf release --version VERSION`, which writes build/release/VERSION/."


def served_files() -> list[Download]:
    """The files of what this server serves: the build's, or its release's (with its SHA256SUMS)."""
    config = state().config
    if not config.release:
        return list_downloads(config.build_dir)
    served = find_release(config.releases_root, config.release)
    return [*served.files, served.sums] if served else []


def send_download(d: Download, max_age: int) -> Response:
    """The file with its SHA-256 as strong ETag, Last-Modified, conditional GET/HEAD and ranges
    (Werkzeug answers 304, 206 and 416). Archives go as attachments with their own media type, never
    as a Content-Encoding, which clients would undo."""
    return send_file(
        d.path,
        mimetype=d.media_type,
        conditional=True,
        etag=d.sha256,
        download_name=d.name,
        as_attachment=d.is_attachment,
        max_age=max_age,
    )


def missing(message: str) -> Response:
    """404 as a page (the downloads are fetched by browsers as often as by scripts)."""
    html = render_template("error.html", title="Not found", message=message)
    return Response(html, status=404, mimetype="text/html")


def _release(version: str) -> tuple[ReleaseListing | None, Response | None]:
    """The release called ``version`` (or ``latest``), or the 404 that says why there is none."""
    root = state().config.releases_root
    found = find_release(root, version)
    if found is not None:
        return found, None
    if not list_releases(root):
        return None, missing(f"There are no releases on this server yet. {HOW_TO_RELEASE}")
    return None, missing(f"There is no release {version}; the releases are listed on the downloads page.")


def _file_json(d: Download, url: str) -> dict:
    return {
        "name": d.name,
        "url": absolute(url),
        "size": d.size,
        "sha256": d.sha256,
        "media_type": d.media_type,
        "modified": d.modified,
        "description": d.description,
    }


def _release_json(r: ReleaseListing) -> dict:
    def url(name: str) -> str:
        return absolute(url_for("pages.release_file", version=r.version, name=name))

    return {
        "version": r.version,
        "latest": r.latest,
        "released": r.released,
        "url": absolute(url_for("pages.release_listing", version=r.version)),
        "sha256sums": url(SUMS_FILE),
        "readme": url(r.readme.name) if r.readme else None,
        "changelog": url(r.changelog.name) if r.changelog else None,
        "problems": r.problems,
        "files": [_file_json(d, url(d.name)) for d in r.files],
    }


@bp.get("/downloads.json")
def downloads_json():
    return downloads(as_json=True)


@bp.get("/downloads")
def downloads(as_json: bool = False):
    """What this server serves and every release (newest first), with sizes and SHA-256; JSON twin
    at ``/downloads.json``."""
    config = state().config
    files = served_files()
    releases = list_release_listings(config.releases_root)
    alternates = [(url_for("pages.downloads"), HTML), (url_for("pages.downloads_json"), "application/json")]
    if as_json or request.args.get("format") == "json":
        latest = (
            {"version": releases[0].version, "url": absolute(url_for("pages.release_listing", version=LATEST))}
            if releases
            else None
        )
        return finish(
            jsonify(
                {
                    "release": config.release,
                    "files": [_file_json(d, url_for("pages.download", name=d.name)) for d in files],
                    "latest": latest,
                    "releases": [_release_json(r) for r in releases],
                }
            ),
            alternates,
            vary=False,
        )
    html = render_template(
        "downloads.html",
        files=files,
        releases=releases,
        serving=config.release,
        how_to_release=HOW_TO_RELEASE,
        alternates=alternates,
    )
    return finish(Response(html, mimetype="text/html"), alternates, vary=False)


@bp.get("/downloads/<name>")
def download(name: str):
    """One file of what this server serves, with ETag (its SHA-256), Last-Modified, conditional
    requests and ranges. ``/downloads/VERSION`` goes to that release's listing."""
    found = next((d for d in served_files() if d.name == name), None)
    if found is not None:
        return send_download(found, CHANGING_MAX_AGE)
    if name == LATEST or find_release(state().config.releases_root, name) is not None:
        return redirect(url_for("pages.release_listing", version=name), code=308)
    return missing(f"There is no download called {name}.")


@bp.get("/downloads/<version>/")
def release_listing(version: str):
    """One release's files (``latest``: the newest release's); JSON twin with ``?format=json``."""
    found, error = _release(version)
    if found is None:
        return error
    here = url_for("pages.release_listing", version=version)
    alternates = [(here, HTML), (here + "?format=json", "application/json")]
    if request.args.get("format") == "json":
        response = finish(jsonify(_release_json(found)), alternates, vary=False)
    else:
        html = render_template("release.html", r=found, asked=version, alternates=alternates)
        response = finish(Response(html, mimetype="text/html"), alternates, vary=False)
    if version == LATEST:
        canonical = url_for("pages.release_listing", version=found.version)
        response.headers["Content-Location"] = canonical
        response.headers["Link"] += f', <{absolute(canonical)}>; rel="canonical"'
    return response


@bp.get("/downloads/<version>/<name>")
def release_file(version: str, name: str):
    """A file of a release: only ``SHA256SUMS`` and the names it lists; ETag is the SHA-256 it gives.

    ``latest`` serves the newest release's file itself (not a redirect, so ``curl -O`` and resumed
    downloads need no ``-L``) and names the versioned URL in ``Content-Location`` and
    ``Link: rel="canonical"``; its ETag changes with the content, so a cache never mixes releases."""
    found, error = _release(version)
    if found is None:
        return error
    file = found.file(name)
    if file is None:
        return missing(f"Release {found.version} has no file called {name}.")
    response = send_download(file, CHANGING_MAX_AGE if version == LATEST else RELEASE_MAX_AGE)
    if version == LATEST:
        canonical = url_for("pages.release_file", version=found.version, name=file.name)
        response.headers["Content-Location"] = canonical
        response.headers["Link"] = f'<{absolute(canonical)}>; rel="canonical"'
    return response


@bp.get("/releases/<version>")
@bp.get("/releases/<version>/")
def release_node(version: str):
    """A release IRI (``BASE/releases/VERSION``, what ``pav:previousVersion`` names) is the release,
    not a document: 303 to its description, ``void.ttl`` for RDF clients and the listing for browsers."""
    release = find_release(state().config.releases_root, version)
    if release is None:
        return resource(f"releases/{version}")
    void_file = release.file("void.ttl")
    if void_file is not None and wanted_format() is not None:
        response = redirect(url_for("pages.release_file", version=version, name=void_file.name), code=303)
    else:
        response = redirect(url_for("pages.release_listing", version=version), code=303)
    response.vary.add("Accept")
    return response


@bp.get("/releases/<version>/<name>")
def release_iri(version: str, name: str):
    """A version IRI (``BASE/releases/VERSION/clastordf.owl``, the ontology's ``owl:versionIRI``)
    dereferences: a published release's file is found (302) at ``/downloads/VERSION/NAME``. A build
    not released yet answers for its own version with its own file, so a development server resolves
    the version IRI of what it serves; anything else is a resource IRI like any other."""
    release = find_release(state().config.releases_root, version)
    if release is not None and release.file(name) is not None:
        return redirect(url_for("pages.release_file", version=version, name=name), code=302)
    if version == data.version(site()):
        own = next((d for d in served_files() if d.name == name), None)
        if own is not None:
            return send_download(own, CHANGING_MAX_AGE)
    return resource(f"releases/{version}/{name}")


# -- the vocabulary --------------------------------------------------------------------------------


@bp.get("/vocab")
@bp.get("/vocab.<ext>")
def vocab(ext: str | None = None):
    """The ontology: the build's class tree page, or the vocabulary as RDF."""
    if ext is not None and ext not in BY_EXT and ext != "html":
        abort(404)
    s = site()
    fmt = wanted_format(BY_EXT.get(ext or "") or ext)
    path = url_for("pages.vocab")
    alternates = rdf_alternates(lambda e: path + (f".{e}" if e else ""))
    if fmt is not None:
        return rdf_response(vocab_triples(s), fmt, alternates)
    page = vocab_page(s, state().config.data_dir, download_urls())
    html = render_template("vocab.html", page=page, alternates=alternates)
    return finish(Response(html, mimetype="text/html"), alternates)


@bp.get("/vocab/<path:term>")
def vocab_term(term: str):
    """``/vocab/Clastokine`` -> ``/vocab#Clastokine`` (the terms are hash IRIs of one document)."""
    name, ext = split_extension(term)
    suffix = f".{ext.ext}" if isinstance(ext, RdfFormat) else ""
    if name and "/" not in name and valid_iri(str(CLASTO) + name) and site().is_mentioned(str(CLASTO) + name):
        return redirect(url_for("pages.vocab") + suffix + "#" + name, code=303)
    return resource(f"vocab/{term}")


# -- resources -------------------------------------------------------------------------------------


def description(s: Site, iri: str) -> list[ox.Triple]:
    """What we publish about a resource: its concise bounded description; a fact also brings its
    claims (so one fetch gives the claims' subjects, predicates and evidence links); a release's
    named graph is described by the server."""
    triples = s.cbd(iri)
    if data.is_fact(s, iri):
        for claim in s.iris(iri, str(CLASTO) + "hasClaim"):
            triples.extend(s.cbd(claim))
    if not triples and iri in named_graphs(s):
        triples = graph_triples(s, iri, data.dataset_node(s), absolute(s.script_root + "/sparql"))
    return triples


def render_resource(iri: str, fmt: RdfFormat | None, alternates: list[tuple[str, str]]) -> Response:
    """The one view behind every resource URL: RDF, or the page that fits the resource's type."""
    s = site()
    if not valid_iri(iri):
        return not_found(fmt, iri)
    triples = description(s, iri)
    if not triples and not s.is_mentioned(iri):
        return not_found(fmt, iri)
    if fmt is not None:
        return rdf_response(triples, fmt, alternates)
    types = {
        t.object.value
        for t in triples
        if t.subject == ox.NamedNode(iri) and t.predicate.value == RDF_TYPE and not isinstance(t.object, ox.Triple)
    }
    common = {"iri": iri, "alternates": alternates}
    if types & set(data.FACT_TYPES):
        html = render_template("fact.html", fact=data.fact(s, iri), **common)
    elif str(CLASTO) + "Claim" in types:
        html = render_template("claim.html", claim=data.claim(s, iri), **common)
    elif str(CLASTO) + "EvidenceLine" in types:
        claims = [
            data.claim(s, c)
            for c in sorted(
                set(s.subjects(str(CLASTO) + "supportedBy", iri)) | set(s.subjects(str(CLASTO) + "disputedBy", iri))
            )
        ]
        html = render_template("evidence.html", ev=data.evidence(s, iri), claims=claims, **common)
    else:
        html = render_template("resource.html", r=_resource_view(s, iri, types, triples), **common)
    return finish(Response(html, mimetype="text/html"), alternates)


def _resource_view(s: Site, iri: str, types: set[str], triples: list[ox.Triple]) -> dict:
    """Entities (genes, small molecules, miRNAs, complexes), ontology terms, publications, datasets."""
    sk = "http://www.w3.org/2004/02/skos/core#"
    rdfs = "http://www.w3.org/2000/01/rdf-schema#"
    kind = _kind(s, iri, types)
    inbound = sorted(
        {
            (q.subject.value, q.predicate.value)
            for q in s.store.quads_for_pattern(None, None, ox.NamedNode(iri))
            if isinstance(q.subject, ox.NamedNode)
        }
    )
    return {
        "kind": kind,
        "kicker": kind if kind.startswith("miRNA") else kind[:1].upper() + kind[1:],
        "types": sorted(types),
        "label": next(
            (
                t.object.value
                for t in triples
                if t.subject == ox.NamedNode(iri)
                and t.predicate.value == RDFS_LABEL
                and not isinstance(t.object, ox.Triple)
            ),
            None,
        )
        or s.label(iri),
        "curie": s.curie(iri),
        "alt_labels": sorted(set(s.literals(iri, sk + "altLabel"))),
        "definition": s.literal(iri, data.DEFINITION) or s.literal(iri, sk + "definition"),
        "comment": s.literal(iri, rdfs + "comment"),
        "identifiers": s.iris(iri, sk + "exactMatch"),
        "genes": s.iris(iri, data.GENE_PRODUCT_OF),
        "orthologs": s.iris(iri, data.ORTHOLOG) + s.subjects(data.ORTHOLOG, iri),
        "taxa": s.iris(iri, data.IN_TAXON),
        "subunits": s.iris(iri, data.HAS_PART),
        "complexes": s.subjects(data.HAS_PART, iri),
        "parents": s.iris(iri, rdfs + "subClassOf"),
        "children": s.subjects(rdfs + "subClassOf", iri),
        "publication": data.publication(s, iri) if kind == "publication" else None,
        "cited_by": s.subjects("http://purl.org/dc/terms/source", iri),
        "usage": [(u.fact, sorted({data.role_name(s, p, via) for p, via in u.roles})) for u in data.usage(s, iri)],
        "statements": [(_term(t.subject), t.predicate.value, _term(t.object)) for t in triples],
        "inbound": inbound[:100],
        "inbound_total": len(inbound),
        "external": iri if not iri.startswith(s.base) else None,
    }


def _kind(s: Site, iri: str, types: set[str]) -> str:
    """What the page calls the resource (its heading's kicker; ``resource`` for anything else)."""
    if data.COMPLEX in types:
        return "complex"
    if str(CLASTO) + "GeneProduct" in types:
        return "gene product"
    if data.MATURE_MIRNA in types:
        return "miRNA"
    if data.PRE_MIRNA in types:
        return "miRNA precursor"
    if iri.startswith(data.PUBMED) or s.subjects("http://purl.org/dc/terms/source", iri):
        return "publication"
    if "http://www.w3.org/2002/07/owl#Class" in types:
        return "ontology term"
    return "resource"


def _term(term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple) -> tuple[str, str]:
    """(kind, text) of an RDF term for the statements table: ``iri``, ``bnode``, ``literal`` or ``triple``."""
    if isinstance(term, ox.NamedNode):
        return "iri", term.value
    if isinstance(term, ox.BlankNode):
        return "bnode", "_:" + term.value[:8]
    if isinstance(term, ox.Triple):  # an RDF 1.2 triple term (the data has none): shown as N-Triples
        return "triple", str(term)
    return "literal", term.value


@bp.get("/entity")
@bp.get("/term")
def entity():
    """Any IRI the store describes, e.g. ``/entity?iri=https://identifiers.org/uniprot/Q9NYA1``;
    IRIs under the base are redirected to their own path."""
    iri = request.args.get("iri", "").strip()
    fmt = wanted_format()
    if not iri:
        return not_found(fmt, "an empty IRI (use ?iri=…)")
    local = site().local_path(iri)
    if local is not None:
        return redirect(local, code=303)
    alternates = rdf_alternates(lambda e: site().entity_path(iri, **({"format": e} if e else {})))
    return render_resource(iri, fmt, alternates)


@bp.get("/<path:rest>")
def resource(rest: str):
    """Dereference ``base + rest``. An extension picks the format when the IRI itself has none."""
    base = state().config.base
    s = site()
    name, ext = rest, None
    if not valid_iri(base + rest) or not s.is_mentioned(base + rest):
        name, ext = split_extension(rest)
    iri = base + name
    fmt = wanted_format(ext)
    local = s.local_path(iri) if valid_iri(iri) else None  # under the base: never None when valid
    path = local if local is not None else s.script_root + "/" + name
    alternates = rdf_alternates(lambda e: path + (f".{e}" if e else ""))
    return render_resource(iri, fmt, alternates)


# --- response cache -----------------------------------------------------------------------------------
# Pages are a function of the path, the query string and the Accept header over immutable data, so each
# worker keeps the ones it has rendered. /health must reflect the live store; downloads stream files
# with their own ETags; the release listings (and what latest and version IRIs resolve to) change when
# a release is published while the server runs.

PAGE_CACHE_KEY = "clastordf_page_cache"
_UNCACHED = (
    "pages.health",
    "pages.download",
    "pages.downloads",
    "pages.downloads_json",
    "pages.release_listing",
    "pages.release_file",
    "pages.release_node",
    "pages.release_iri",
)


def page_cache() -> ResponseCache:
    extensions = current_app.extensions
    return extensions.setdefault(PAGE_CACHE_KEY, ResponseCache())


def _page_key() -> tuple[str, str, str] | None:
    if request.method not in ("GET", "HEAD") or request.endpoint in _UNCACHED:
        return None
    return (request.full_path, request.headers.get("Accept", ""), request.script_root)


@bp.before_request
def _cached_page() -> Response | None:
    key = _page_key()
    entry = page_cache().get(key) if key else None
    if entry is None:
        return None
    response = Response(entry.body, content_type=entry.content_type, headers=list(entry.headers))
    response.set_etag(entry.etag)
    response.make_conditional(request)  # returns this response, though typed as werkzeug's base class
    return response


@bp.after_request
def _keep_page(response: Response) -> Response:
    key = _page_key()
    if key is None or response.status_code != 200 or response.direct_passthrough or response.is_streamed:
        return response
    if response.headers.get("ETag"):  # already a replay, or a file with its own validator
        return response
    entry = freeze(
        response.get_data(), response.content_type or "application/octet-stream", list(response.headers.items())
    )
    page_cache().put(key, entry)
    response.set_etag(entry.etag)
    response.make_conditional(request)  # returns this response, though typed as werkzeug's base class
    return response
