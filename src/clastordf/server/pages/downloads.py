"""Downloads: the files this server serves and every release's, and where release IRIs lead.

``/downloads/NAME`` is a file of what this server serves (the build, or the release it was started
with); ``/downloads/VERSION/NAME`` a file of a release, ``/downloads/latest/NAME`` the same file of the
newest release (same bytes and validators, plus ``Content-Location`` and ``Link: rel="canonical"``
naming the versioned URL, so a cache or a citation can pin it). Releases are looked up on every
request, so one published while the server runs is offered at once; which is why these pages are
never kept in the page cache. Release and version IRIs (``BASE/releases/VERSION[/NAME]``) redirect
here.
"""

from __future__ import annotations

from flask import Response, jsonify, redirect, render_template, request, send_file, url_for

from ...release.layout import LATEST, SUMS_FILE, list_releases
from ..context import state
from ..downloads import Download, ReleaseListing, find_release, list_release_listings
from ..linkeddata import HTML
from . import data, resources
from .common import absolute, finish, page_blueprint, served_files, site, wanted_format

bp = page_blueprint("downloads", __name__, cached=False)

#: Seconds a client may reuse a file: a release never changes, ``latest`` and the build can.
RELEASE_MAX_AGE = 86_400
CHANGING_MAX_AGE = 300
HOW_TO_RELEASE = "Make one with `clastordf release --version VERSION`, which writes build/release/VERSION/."


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
        return absolute(url_for("downloads.release_file", version=r.version, name=name))

    return {
        "version": r.version,
        "latest": r.latest,
        "released": r.released,
        "url": absolute(url_for("downloads.release_listing", version=r.version)),
        "sha256sums": url(SUMS_FILE),
        "readme": url(r.readme.name) if r.readme else None,
        "changelog": url(r.changelog.name) if r.changelog else None,
        "problems": r.problems,
        "files": [_file_json(d, url(d.name)) for d in r.files],
    }


@bp.get("/downloads.json")
def index_json():
    return index(as_json=True)


@bp.get("/downloads")
def index(as_json: bool = False):
    """What this server serves and every release (newest first), with sizes and SHA-256; JSON twin
    at ``/downloads.json``."""
    config = state().config
    files = served_files()
    releases = list_release_listings(config.releases_root)
    alternates = [(url_for("downloads.index"), HTML), (url_for("downloads.index_json"), "application/json")]
    if as_json or request.args.get("format") == "json":
        latest = (
            {"version": releases[0].version, "url": absolute(url_for("downloads.release_listing", version=LATEST))}
            if releases
            else None
        )
        return finish(
            jsonify(
                {
                    "release": config.release,
                    "files": [_file_json(d, url_for("downloads.download", name=d.name)) for d in files],
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
        return redirect(url_for("downloads.release_listing", version=name), code=308)
    return missing(f"There is no download called {name}.")


@bp.get("/downloads/<version>/")
def release_listing(version: str):
    """One release's files (``latest``: the newest release's); JSON twin with ``?format=json``."""
    found, error = _release(version)
    if found is None:
        return error
    here = url_for("downloads.release_listing", version=version)
    alternates = [(here, HTML), (here + "?format=json", "application/json")]
    if request.args.get("format") == "json":
        response = finish(jsonify(_release_json(found)), alternates, vary=False)
    else:
        html = render_template("release.html", r=found, asked=version, alternates=alternates)
        response = finish(Response(html, mimetype="text/html"), alternates, vary=False)
    if version == LATEST:
        canonical = url_for("downloads.release_listing", version=found.version)
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
        canonical = url_for("downloads.release_file", version=found.version, name=file.name)
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
        return resources.resource(f"releases/{version}")
    void_file = release.file("void.ttl")
    if void_file is not None and wanted_format() is not None:
        response = redirect(url_for("downloads.release_file", version=version, name=void_file.name), code=303)
    else:
        response = redirect(url_for("downloads.release_listing", version=version), code=303)
    response.vary.add("Accept")
    return response


@bp.get("/releases/<version>/<name>")
def release_iri(version: str, name: str):
    """A version IRI (``BASE/releases/VERSION/clastordf.owl``, the ontology's ``owl:versionIRI``)
    dereferences: a published release's file is found (302) at ``/downloads/VERSION/NAME``. The version
    of a build not released yet has no such file: 404, which says so and links the build's own file
    (it may still change, so answering 200 at a release's address would pass it off as the release);
    anything else is a resource IRI like any other."""
    release = find_release(state().config.releases_root, version)
    if release is not None and release.file(name) is not None:
        return redirect(url_for("downloads.release_file", version=version, name=name), code=302)
    if version == data.version(site()):
        own = next((d for d in served_files() if d.name == name), None)
        if own is not None:
            current = url_for("downloads.download", name=name)
            response = missing(
                f"Version {version} has not been released. This server serves an unreleased build of it, "
                f"which may still change: its {name} is at {current}"
            )
            response.headers["Link"] = f'<{current}>; rel="alternate"'
            return response
    return resources.resource(f"releases/{version}/{name}")
