"""What every page family shares: this request's view of the store, absolute URLs, the format asked
for, the ``Link``/``Vary`` headers of negotiated responses, the template globals, the files this server
serves, the page cache, and the page a failing remote backend gets.

Each family's blueprint is made by :func:`page_blueprint`, which attaches the page cache and the backend
error page to it; :func:`init_app` adds the template globals to the app.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from urllib.parse import urlencode

import pyoxigraph as ox
from flask import Blueprint, Flask, Response, current_app, g, render_template, request, url_for
from werkzeug.datastructures import MIMEAccept
from werkzeug.http import parse_accept_header

from ..cache import Cached, ResponseCache, freeze
from ..context import state
from ..downloads import Download, find_release, list_downloads
from ..front import REUSE
from ..linkeddata import BY_EXT, HTML, RDF_FORMATS, RdfFormat, Site, negotiate, serialize, web_url
from ..pagepack import PACK_EXTENSION, PagePack
from ..sparql_client import BackendError
from . import data

# -- this request ----------------------------------------------------------------------------------


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
    return _negotiated(request.headers.get("Accept", ""))


@lru_cache(maxsize=256)
def _negotiated(accept: str) -> RdfFormat | None:
    # Clients send a few distinct Accept headers, each time: parsing and matching one costs more than
    # reading a pre-rendered page.
    return negotiate(parse_accept_header(accept, MIMEAccept))


# -- negotiated responses --------------------------------------------------------------------------


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
    """Triples serialised in ``fmt``, with the negotiation headers."""
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


# -- what the pages show everywhere ----------------------------------------------------------------


def served_files() -> list[Download]:
    """The files of what this server serves: the build's, or its release's (with its SHA256SUMS)."""
    config = state().config
    if not config.release:
        return list_downloads(config.build_dir)
    served = find_release(config.releases_root, config.release)
    return [*served.files, served.sums] if served else []


def download_urls() -> dict[str, str]:
    """Each served file's name -> its download path."""
    return {d.name: url_for("downloads.download", name=d.name) for d in served_files()}


def counts() -> dict[str, int]:
    """The headline numbers, computed once per app (the store is read-only)."""
    cache = current_app.extensions.setdefault("clastordf.pages.counts", {})
    if not cache:
        cache.update(data.counts(site()))
    return cache


def href(iri: str) -> str | None:
    """Where a link to ``iri`` points (:meth:`~.linkeddata.Site.href`); ``None``: no link, only text."""
    return site().href(iri)


def label(iri: str) -> str:
    """The label a page shows for ``iri``."""
    return site().label(iri)


def curie(iri: str) -> str:
    """The short name a page shows for ``iri``."""
    return site().curie(iri)


def twin(path: str, **params: str) -> str:
    """``path`` with the current query string's filters and ``params`` (for machine-readable twins)."""
    args = {k: v for k, v in request.args.items() if k != "format"}
    args.update(params)
    return path + ("?" + urlencode(args) if args else "")


#: The functions every template may call.
TEMPLATE_GLOBALS: dict[str, Callable[..., str | None]] = {
    "href": href,
    "label": label,
    "curie": curie,
    "twin": twin,
    "resolver_url": data.resolver_url,
    "local_id": data.local_id,
    "web_url": web_url,
}


def init_app(app: Flask) -> None:
    """Give ``app``'s templates the page helpers."""
    for name, function in TEMPLATE_GLOBALS.items():
        app.add_template_global(function, name)


# -- the page cache --------------------------------------------------------------------------------
# Pages are a function of the path, the query string and the Accept header over immutable data, so each
# worker keeps the ones it has rendered. /health must reflect the live store; downloads stream files
# with their own ETags; the release listings (and what latest and version IRIs resolve to) change when
# a release is published while the server runs: their blueprint is made without the cache.

PAGE_CACHE_KEY = "clastordf_page_cache"
#: Views of cached blueprints that are never cached.
UNCACHED = frozenset({"home.health"})


def page_cache() -> ResponseCache:
    """This app's page cache (made on first use)."""
    extensions = current_app.extensions
    return extensions.setdefault(PAGE_CACHE_KEY, ResponseCache())


def _page_key() -> tuple[str, str, str] | None:
    if request.method not in ("GET", "HEAD") or request.endpoint in UNCACHED:
        return None
    # The root URL (scheme, host, mount point): absolute URLs in a page name the host it was asked of
    # (a trusted one: security.check_host ran first), so each host has its own copy.
    return (request.full_path, request.headers.get("Accept", ""), request.root_url)


def replay(entry: Cached) -> Response:
    """A kept page as the answer to this request, with its strong ETag (304 for a matching
    ``If-None-Match``). The page cache does not keep it again: it has an ETag."""
    response = Response(entry.body, content_type=entry.content_type, headers=list(entry.headers))
    response.set_etag(entry.etag)
    response.make_conditional(request)  # returns this response, though typed as werkzeug's base class
    request.environ[REUSE] = True
    return response


def _cached_page() -> Response | None:
    key = _page_key()
    entry = page_cache().get(key) if key else None
    return replay(entry) if entry is not None else None


def _keep_page(response: Response) -> Response:
    if response.headers.get("ETag"):  # already a replay, or a file with its own validator
        return response
    key = _page_key()
    if key is None or response.status_code != 200 or response.direct_passthrough or response.is_streamed:
        return response
    entry = freeze(
        response.get_data(), response.content_type or "application/octet-stream", list(response.headers.items())
    )
    page_cache().put(key, entry)
    request.environ[REUSE] = True
    response.set_etag(entry.etag)
    response.make_conditional(request)  # returns this response, though typed as werkzeug's base class
    return response


# -- the page pack ---------------------------------------------------------------------------------
# The resource pages rendered into the build (.pagepack, .prerender). The pack is consulted after the
# view has negotiated: the (route, IRI, format) it settled on selects the page, so a pre-rendered answer
# is the one the live view gives for that request.

#: Where :func:`answer` tells the pre-renderer which page of the pack the answer it rendered is.
RENDERED = "clastordf_rendered"
#: Query parameters a pre-rendered page may have been asked with (any other: rendered live).
PACKED_ARGS = {"path": frozenset({"format"}), "entity": frozenset({"iri", "format"})}


def page_pack() -> PagePack | None:
    """This app's page pack, if it has one."""
    return current_app.extensions.get(PACK_EXTENSION)


def packed(route: str, iri: str, fmt: RdfFormat | None) -> Response | None:
    """The pack's page of ``iri`` in ``fmt`` (``None``: HTML) at ``route`` (``path`` or ``entity``)
    as the answer to this request, when the pack holds it for this mount point and these parameters."""
    pack = page_pack()
    if (
        pack is None
        or request.script_root != pack.script_root
        or request.method not in ("GET", "HEAD")
        or not PACKED_ARGS[route].issuperset(request.args.keys())
    ):
        return None
    entry = pack.get(route, iri, fmt.ext if fmt is not None else "html")
    return replay(entry) if entry is not None else None


def answer(route: str, iri: str, fmt: RdfFormat | None, render: Callable[[], Response]) -> Response:
    """The page of ``iri`` in ``fmt`` (``None``: HTML) at ``route``: from the page pack
    (:func:`packed`), else ``render()``."""
    found = packed(route, iri, fmt)
    if found is not None:
        return found
    setattr(g, RENDERED, (route, iri, fmt.ext if fmt is not None else "html"))
    return render()


# -- the backend failing ---------------------------------------------------------------------------


def backend_failed(e: BackendError) -> Response:
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


def page_blueprint(
    name: str, import_name: str, *, cached: bool = True, first: Callable[[], Response | None] | None = None
) -> Blueprint:
    """A page family's blueprint: its pages answer from the page cache (unless ``cached`` is false)
    and a failing backend is the page :func:`backend_failed` makes. ``first``, a ``before_request``
    hook, runs before the page cache is looked in (the page pack: pages it holds are not cached)."""
    bp = Blueprint(name, import_name)
    if first is not None:
        bp.before_request(first)
    if cached:
        bp.before_request(_cached_page)
        bp.after_request(_keep_page)
    bp.register_error_handler(BackendError, backend_failed)
    return bp
