"""The query page: an editor that runs queries against ``/sparql`` from the browser, the documented
example queries, and, without JavaScript, the answer rendered on the page (``/query?run=1``)."""

from __future__ import annotations

import importlib.resources
import json

import pyoxigraph as ox
from flask import current_app, jsonify, render_template, request, url_for

from ..context import state
from .common import absolute, page_blueprint, site

bp = page_blueprint("query", __name__)

#: Rows the server-side query fallback renders at most.
FALLBACK_ROWS = 200


def examples() -> list[dict[str, str]]:
    """The documented example queries, packaged with the server (``server/queries/*.rq``)."""
    out = []
    folder = importlib.resources.files("clastordf.server").joinpath("queries")
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".rq"):
            text = entry.read_text(encoding="utf-8")
            first = text.splitlines()[0] if text else ""
            out.append({"name": entry.name[:-3], "title": first.lstrip("# ").strip() or entry.name, "query": text})
    return out


@bp.get("/query")
def index():
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
        alternates=[(url_for("query.index", format="json"), "application/json")],
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
