"""The vocabulary page: the build's own ``clastordf-ontology.html`` (the class tree the build renders
with definitions and logical definitions, an anchor ``id`` = local name for every ``clasto:`` term),
embedded in the site's layout with its links made local (``/vocab``); the vocabulary as RDF
(``/vocab.ttl`` …); and ``/vocab/TERM``, which leads to the term's anchor.

The build's page is a trusted artefact of our own pipeline (its text is escaped when it is written),
so its body is embedded as markup; only its ``href`` attributes are rewritten.
"""

from __future__ import annotations

import html
import re
import threading
from pathlib import Path

import pyoxigraph as ox
from flask import Response, abort, redirect, render_template, url_for
from markupsafe import Markup, escape

from ...vocab import CLASTO
from ..context import state
from ..linkeddata import BY_EXT, RdfFormat, Site, split_extension, valid_iri
from . import resources
from .common import download_urls, finish, page_blueprint, rdf_alternates, rdf_response, site, wanted_format

bp = page_blueprint("vocab", __name__)

ONTOLOGY_PAGE = "clastordf-ontology.html"

#: An IRI's scheme (``https:``, ``javascript:``): a link that does not start with one is relative.
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
_cache: dict[tuple[str, int, int], str] = {}
_lock = threading.Lock()


def vocab_terms(site: Site) -> list[str]:
    """Every ``clasto:`` IRI the store describes."""
    rows = site.query(f'SELECT DISTINCT ?t WHERE {{ ?t ?p ?o FILTER(STRSTARTS(STR(?t), "{CLASTO}")) }}')
    return sorted(r["t"] for r in rows)


def _body(path: Path) -> str | None:
    """The ``<body>`` of the build's page, read once per change of the file."""
    if not path.is_file():
        return None
    st = path.stat()
    key = (str(path), st.st_mtime_ns, st.st_size)
    with _lock:
        if key not in _cache:
            match = re.search(r"<body[^>]*>(.*)</body>", path.read_text(encoding="utf-8"), re.S)
            _cache.clear()
            _cache[key] = match.group(1) if match else ""
        return _cache[key]


def vocab_page(site: Site, build_dir: Path, download_url: dict[str, str]) -> Markup | None:
    """The embedded page (``None`` when the build has none).

    Links: ``#anchors`` stay; relative links to build files go to ``/downloads/…``; absolute IRIs go
    where :meth:`Site.href` sends them (this server's own pages where the store describes them), and
    lose their ``href`` when it sends them nowhere (an IRI that is not an http(s) URL)."""
    body = _body(build_dir / ONTOLOGY_PAGE)
    if body is None:
        return None

    def rewrite(match: re.Match[str]) -> str:
        target = html.unescape(match.group(1))
        if target.startswith("#"):
            new: str | None = target
        elif not _SCHEME.match(target):  # a file of the build
            new = download_url.get(target, target)
        else:  # an IRI, which only links if it is an http(s) URL (or has a page here)
            new = site.href(target)
        return f'href="{escape(new)}"' if new is not None else ""  # an <a> without href is text

    return Markup(re.sub(r'href="([^"]*)"', rewrite, body))  # noqa: S704 - trusted build artefact


def vocab_triples(site: Site) -> list[ox.Triple]:
    """The vocabulary as RDF: the ontology node and every ``clasto:`` term's description."""
    out = list(site.cbd(str(CLASTO).rstrip("#")))
    for iri in vocab_terms(site):
        out.extend(site.cbd(iri))
    return out


@bp.get("/vocab")
@bp.get("/vocab.<ext>")
def index(ext: str | None = None):
    """The ontology: the build's class tree page, or the vocabulary as RDF."""
    if ext is not None and ext not in BY_EXT and ext != "html":
        abort(404)
    s = site()
    fmt = wanted_format(BY_EXT.get(ext or "") or ext)
    path = url_for("vocab.index")
    alternates = rdf_alternates(lambda e: path + (f".{e}" if e else ""))
    if fmt is not None:
        return rdf_response(vocab_triples(s), fmt, alternates)
    page = vocab_page(s, state().config.data_dir, download_urls())
    html = render_template("vocab.html", page=page, alternates=alternates)
    return finish(Response(html, mimetype="text/html"), alternates)


@bp.get("/vocab/<path:term>")
def term(term: str):
    """``/vocab/Clastokine`` -> ``/vocab#Clastokine`` (the terms are hash IRIs of one document)."""
    name, ext = split_extension(term)
    suffix = f".{ext.ext}" if isinstance(ext, RdfFormat) else ""
    if name and "/" not in name and valid_iri(str(CLASTO) + name) and site().is_mentioned(str(CLASTO) + name):
        return redirect(url_for("vocab.index") + suffix + "#" + name, code=303)
    return resources.resource(f"vocab/{term}")
