"""The landing page (``/``; as RDF, the VoID description) and ``/health``."""

from __future__ import annotations

from flask import Response, jsonify, render_template, url_for

from ...vocab import CLASTO
from ..context import state
from ..linkeddata import RDF_FORMATS, Site
from ..sparql_client import BackendError
from . import data, void
from .common import counts, finish, page_blueprint, served_files, site, wanted_format

bp = page_blueprint("home", __name__)


@bp.get("/")
def index():
    """The dataset's title, description, counts, downloads and where to go next."""
    fmt = wanted_format()
    alternates = [(url_for("void.index", format=f.ext), f.media_type) for f in RDF_FORMATS]
    if fmt is not None:
        return void.index()  # the site's root, asked for as RDF, is its VoID description
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
        "home.html", info=info, counts=counts(), downloads=served_files(), review=data.REVIEW, alternates=alternates
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
