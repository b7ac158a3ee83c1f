"""HTML pages and linked-data dereferencing, one blueprint per page family.

Every IRI under ``config.base`` dereferences at the path after the base (``/fact/CF0200``): HTML for
browsers, RDF by ``Accept`` (q-values honoured) or by extension (``.ttl .jsonld .nt .rdf``), with
``Link: rel="alternate"`` headers and ``Vary: Accept``. IRIs outside the base that the store describes
(genes, ontology terms, publications) have pages at ``/entity?iri=…`` (``/term`` is an alias), so
every link on the site stays on this server. Each page has a machine-readable twin, Datasette-style.
``/downloads`` offers the served files and every release; release and version IRIs
(``BASE/releases/VERSION[/NAME]``) redirect there. With a remote backend that does not answer, a page
is a 503 saying the data service is unavailable (downloads need no backend).

The families: :mod:`.home` (``/`` and ``/health``), :mod:`.facts`, :mod:`.query` (the query page),
:mod:`.downloads` (and the release IRIs), :mod:`.vocab`, :mod:`.void` and :mod:`.resources` (entities,
terms and every other IRI). :mod:`.common` holds what they share, :mod:`.data` what the pages show.
"""

from __future__ import annotations

from flask import Blueprint, Flask

from . import common, downloads, facts, home, query, resources, vocab, void

#: The page families' blueprints.
BLUEPRINTS: tuple[Blueprint, ...] = (home.bp, facts.bp, query.bp, downloads.bp, vocab.bp, void.bp, resources.bp)


def register(app: Flask) -> None:
    """Add every page family and the template helpers to ``app``."""
    common.init_app(app)
    for bp in BLUEPRINTS:
        app.register_blueprint(bp)
