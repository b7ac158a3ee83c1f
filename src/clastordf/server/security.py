"""What every request is checked for and every response carries: the ``Host`` it names must be one
this server answers for, and every answer (pages, SPARQL results, downloads, errors) carries a strict
Content-Security-Policy and the headers that keep it from being sniffed, framed or leaking its URLs.

The Host check. Absolute URLs (VoID, the service description, JSON twins, ``Link`` headers) name the
host the request was sent to, so that a server reached as ``localhost:8000`` and one reached by its
public name both give URLs their client can follow. A forged ``Host`` would then put another site's
name into a page that the page cache keeps for every later visitor; so a request naming a host that
is not trusted is refused (400) before any page is made or looked up, rather than answered with
URLs from the configured base: the base is the namespace of the data's IRIs (by default
``https://w3id.org/clastordf/``, a redirect service), not necessarily where this server is reached,
and refusing also covers every URL Flask or Werkzeug build from the host (the SPARQL service
description, redirects). Trusted: the loopback names, the base's host, and ``trusted_hosts``
(``CLASTORDF_TRUSTED_HOSTS``); behind a proxy (``CLASTORDF_PROXY_HOPS``) the host checked is the one
the proxy forwards, so the public name goes into ``CLASTORDF_TRUSTED_HOSTS`` (or is the base's).
"""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import urlsplit

from flask import Response, current_app, request

from .context import state

#: Names a server on this machine is reached by, trusted without configuration.
LOOPBACK = ("localhost", "127.0.0.1", "[::1]")

#: Scripts, styles and fetches from this server only, no plugins, no inline script or style (a
#: ``javascript:`` URL is inline script, so it does not run either), forms posting here only, and no
#: framing by any site (clickjacking).
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "form-action 'self'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    )
)

#: The headers every response carries.
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    # Answers are what their Content-Type says: a JSON answer holding markup is never run as a page.
    "X-Content-Type-Options": "nosniff",
    # Query texts travel in URLs (/query?query=...): other sites are not told them.
    "Referrer-Policy": "same-origin",
}


@lru_cache(maxsize=8)
def trusted_hosts(base: str, configured: tuple[str, ...] = ()) -> tuple[str, ...]:
    """The host names a server with this base answers for (lower case, without ports): the loopback
    names, the base's host and the ``configured`` ones.

    >>> trusted_hosts("https://data.example.org/c/", ("Mirror.org", ".example.net"))
    ('localhost', '127.0.0.1', '[::1]', 'data.example.org', 'mirror.org', '.example.net')
    """
    base_host = urlsplit(base).hostname
    names = [*LOOPBACK, *([base_host] if base_host else []), *configured]
    return tuple(dict.fromkeys(name.lower() for name in names))


def host_name(host: str) -> str:
    """A ``Host`` value without its port, in lower case.

    >>> host_name("LocalHost:8080"), host_name("[::1]:80"), host_name("example.org")
    ('localhost', '[::1]', 'example.org')
    """
    if host.startswith("["):
        return host[: host.find("]") + 1].lower()
    return host.partition(":")[0].lower()


def is_trusted(host: str, trusted: tuple[str, ...]) -> bool:
    """Whether a request's host (``name[:port]``) is one of ``trusted``; a trusted name with a leading
    dot trusts its subdomains too. An empty host (none sent, or with characters a host cannot have,
    which Werkzeug reads as none) is not trusted.

    >>> trusted = ("localhost", ".example.org")
    >>> [is_trusted(h, trusted) for h in ("localhost:5000", "example.org", "www.example.org", "evil.example", "")]
    [True, True, True, False, False]
    >>> is_trusted("evilexample.org", trusted)
    False
    """
    name = host_name(host)
    if not name:
        return False
    for ref in trusted:
        if ref.startswith("."):
            if name == ref[1:] or name.endswith(ref):
                return True
        elif name == ref:
            return True
    return False


def check_host() -> Response | None:
    """``before_request``: refuse (400, one line of text) a request for a host this server does not
    answer for, before any page is made or taken from a cache."""
    trusted = trusted_hosts(state().config.base, state().config.trusted_hosts)
    if is_trusted(request.host, trusted):
        return None
    current_app.logger.warning("refused a request for host %r (trusted: %s)", request.host, " ".join(trusted))
    message = (
        f"This server does not answer for the host {request.host or '(none)'!r}. Its operator can add the "
        f"name to CLASTORDF_TRUSTED_HOSTS.\n"
    )
    return Response(message, status=400, mimetype="text/plain")


def add_security_headers(response: Response) -> Response:
    """``after_request``: the headers of :data:`SECURITY_HEADERS`, on every response."""
    response.headers.update(SECURITY_HEADERS)
    return response


def same_origin_path(location: str) -> bool:
    """Whether a redirect target is a path on this server: it starts with one ``/`` and no browser
    reads it as another host (``//host/x`` and ``/\\host/x`` are scheme-relative URLs).

    >>> [same_origin_path(p) for p in ("/fact/CF0200", "/vocab#X", "//evil.example/x", "/\\\\evil", "https://x/")]
    [True, True, False, False, False]
    """
    return location.startswith("/") and not location.startswith(("//", "/\\"))
