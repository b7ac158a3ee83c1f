"""The vocabulary page: the build's own ``clastordf-ontology.html`` (the class tree the build renders
with definitions and logical definitions, an anchor ``id`` = local name for every ``clasto:`` term),
embedded in the site's layout with its links made local.

The build's page is a trusted artefact of our own pipeline (its text is escaped when it is written),
so its body is embedded as markup; only its ``href`` attributes are rewritten.
"""

from __future__ import annotations

import html
import re
import threading
from pathlib import Path

import pyoxigraph as ox
from markupsafe import Markup, escape

from ..vocab import CLASTO
from .linkeddata import Site

ONTOLOGY_PAGE = "clastordf-ontology.html"

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
    where :meth:`Site.href` sends them (this server's own pages where the store describes them)."""
    body = _body(build_dir / ONTOLOGY_PAGE)
    if body is None:
        return None

    def rewrite(match: re.Match[str]) -> str:
        target = html.unescape(match.group(1))
        if target.startswith("#"):
            new = target
        elif "://" not in target:
            new = download_url.get(target, target)
        else:
            new = site.href(target)
        return f'href="{escape(new)}"'

    return Markup(re.sub(r'href="([^"]*)"', rewrite, body))  # noqa: S704 - trusted build artefact


def vocab_triples(site: Site) -> list[ox.Triple]:
    """The vocabulary as RDF: the ontology node and every ``clasto:`` term's description."""
    out = list(site.cbd(str(CLASTO).rstrip("#")))
    for iri in vocab_terms(site):
        out.extend(site.cbd(iri))
    return out
