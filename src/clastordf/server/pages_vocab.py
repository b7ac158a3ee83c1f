"""The vocabulary page: the build's own ``clastordf-ontology.html`` (the class tree the build renders
with definitions and logical definitions), embedded in the site's layout with its links made local,
plus any ``clasto:`` term that page lacks, so every term has an anchor ``id`` = its local name.

The build's page is a trusted artefact of our own pipeline (its text is escaped when it is written),
so its body is embedded as markup; only its ``href`` attributes are rewritten.
"""

from __future__ import annotations

import html
import re
import threading
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
from markupsafe import Markup, escape

from ..vocab import CLASTO
from .linkeddata import RDF_TYPE, RDFS, SKOS, Site

ONTOLOGY_PAGE = "clastordf-ontology.html"
DEFINITIONS = ("http://purl.obolibrary.org/obo/IAO_0000115", SKOS + "definition", RDFS + "comment")

_cache: dict[tuple[str, int, int], str] = {}
_lock = threading.Lock()


@dataclass
class Term:
    """A ``clasto:`` term the build's page does not show (or every term, when there is no page)."""

    iri: str
    local: str
    label: str
    kinds: list[str]
    definition: str | None


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


def vocab_page(site: Site, build_dir: Path, download_url: dict[str, str]) -> tuple[Markup | None, list[Term]]:
    """The embedded page (``None`` without one) and the terms to render beside it.

    Links: ``#anchors`` stay; relative links to build files go to ``/downloads/…``; absolute IRIs go
    where :meth:`Site.href` sends them (this server's own pages where the store describes them)."""
    body = _body(build_dir / ONTOLOGY_PAGE)
    anchors: set[str] = set()
    page = None
    if body is not None:
        anchors = set(re.findall(r'\sid="([^"]+)"', body))

        def rewrite(match: re.Match[str]) -> str:
            target = html.unescape(match.group(1))
            if target.startswith("#"):
                new = target
            elif "://" not in target:
                new = download_url.get(target, target)
            else:
                new = site.href(target)
            return f'href="{escape(new)}"'

        page = Markup(re.sub(r'href="([^"]*)"', rewrite, body))  # noqa: S704 - trusted build artefact
    missing = []
    for iri in vocab_terms(site):
        local = iri[len(str(CLASTO)):]
        if local and local not in anchors:
            definition = next((d for p in DEFINITIONS if (d := site.literal(iri, p))), None)
            kinds = [site.label(t) if not t.startswith("http://www.w3.org/2002/07/owl#") else t.split("#")[1]
                     for t in site.iris(iri, RDF_TYPE)]
            missing.append(Term(iri, local, site.label(iri), kinds, definition))
    return page, missing


def vocab_triples(site: Site) -> list[ox.Triple]:
    """The vocabulary as RDF: the ontology node and every ``clasto:`` term's description."""
    out = list(site.cbd(str(CLASTO).rstrip("#")))
    for iri in vocab_terms(site):
        out.extend(site.cbd(iri))
    return out
