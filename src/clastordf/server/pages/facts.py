"""The list of facts (``/facts``) with its filters, and its JSON and CSV twins."""

from __future__ import annotations

import csv
import io

from flask import Response, abort, jsonify, render_template, request, url_for

from ...vocab import CLASTO
from ..linkeddata import HTML, Site
from . import data
from .common import absolute, finish, page_blueprint, site, twin

bp = page_blueprint("facts", __name__)


def _matches(value: str, candidates: list[str], s: Site) -> bool:
    """A filter value matches an IRI given as the IRI, its CURIE, its local name or its label, in any
    case (people type ``osteoclast`` and ``invivosupport``)."""
    wanted = value.casefold()
    return any(
        wanted in {c.casefold(), s.curie(c).casefold(), data.local_id(c).casefold(), s.label(c).casefold()}
        for c in candidates
    )


def _known(value: str, options: list[tuple[str, str]]) -> str | None:
    """The option a filter value selects (its value, matched in any case, or its label), else None."""
    wanted = value.casefold()
    return next((v for v, text in options if wanted in (v.casefold(), text.casefold())), None)


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
        "url": absolute(s.href(row.iri) or s.entity_path(row.iri)),
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
def index(ext: str | None = None):
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
    # A value no option has matches nothing: say so, rather than show "any" beside an empty list.
    selected = {k: _known(v, options[k]) if v else "" for k, v in filters.items()}
    unknown = {k: v for k, v in filters.items() if v and selected[k] is None}
    contested = CONTESTED_VALUES.get(filters["contested"].lower())
    shown = [
        r
        for r in rows
        if (not filters["mechanism"] or _matches(filters["mechanism"], r.mechanism, s))
        and (not filters["category"] or _matches(filters["category"], r.review_category, s))
        and (not filters["level"] or _matches(filters["level"], r.evidence_level, s))
        and (not filters["contested"] or contested == r.contested)
        and (not filters["cell"] or _matches(filters["cell"], sorted(r.cells), s))
        and (not filters["kind"] or filters["kind"].casefold() == r.kind)
    ]
    alternates = [
        (twin(url_for("facts.index")), HTML),
        (twin(url_for("facts.index", ext="json")), "application/json"),
        (twin(url_for("facts.index", ext="csv")), "text/csv"),
    ]
    if fmt == "json":
        body = {
            "count": len(shown),
            "filters": {k: v for k, v in filters.items() if v},
            "unknown_filters": unknown,
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
        "facts.html",
        rows=shown,
        total=len(rows),
        options=options,
        filters=filters,
        selected=selected,
        unknown=unknown,
        alternates=alternates,
    )
    return finish(Response(html, mimetype="text/html"), alternates, vary=False)
