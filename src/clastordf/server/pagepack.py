"""The page pack: every resource page of a build, in every format, rendered once (:mod:`.prerender`)
into one SQLite file beside the store, so that a dereference is an indexed read with a strong ETag.

One row per (route, IRI, format): ``route`` is ``path`` (an IRI under the base, at its own path) or
``entity`` (``/entity?iri=…``); ``fmt`` is ``html`` or an RDF extension. A row holds the body, its
content type, the headers to replay (``Link``, ``Vary``) and its ETag, which is the hash of the body
and content type (:func:`~.cache.etag_of`, as the page cache gives): a body whose hash no longer
matches is never served (:meth:`PagePack.get`).

The pack is keyed (:class:`PackKey`) on everything its bytes depend on: the data the store was made
from, the base, the mount point (``script_root``) it was rendered for, and the code that rendered it.
A pack made for another key is stale and is not opened.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import logging
import os
import sqlite3
import tempfile
import threading
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path

from .cache import Cached, etag_of

log = logging.getLogger(__name__)

#: The pack's file, in the store's folder: a store made again takes its pack with it.
PACK_FILE = "pages.sqlite"
#: Where an app keeps its open :class:`PagePack` (``None``: every page is rendered live).
PACK_EXTENSION = "clastordf.pages.pack"
#: The layout of the file; a pack of another layout is stale.
LAYOUT = 1
#: The routes a pack holds pages of.
ROUTES = ("path", "entity")
#: Files whose bytes make up the store's identity (see :func:`data_fingerprint`).
_STORE_STAMPS = ("loaded-from", "manifest.json")


@dataclass(frozen=True)
class PackKey:
    """What a pack's bytes depend on; a pack is served only under the key it was made with."""

    #: The data: :func:`data_fingerprint` of the store.
    data: str
    #: The base whose IRIs dereference on this server.
    base: str
    #: The mount point the pages were rendered for (links in them start with it).
    script_root: str
    #: The code that rendered them: :func:`code_fingerprint`.
    code: str
    layout: int = LAYOUT


def data_fingerprint(store_dir: Path) -> str | None:
    """A hash of what identifies the store's data (the data file it was loaded from and its files'
    checksums), or ``None`` when the store has no such stamp (then no pack is made or served).

    >>> data_fingerprint(Path("/nonexistent")) is None
    True
    """
    digest = hashlib.blake2b(digest_size=16)
    found = False
    for name in _STORE_STAMPS:
        try:
            digest.update(name.encode() + b"\0" + (store_dir / name).read_bytes() + b"\0")
            found = True
        except OSError:
            continue
    return digest.hexdigest() if found else None


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """A hash of the clastordf package's code and templates and of the versions of the libraries that
    shape the bytes (pyoxigraph serialises, Jinja renders): any change renders the pages again."""
    package = Path(__file__).resolve().parents[1]
    digest = hashlib.blake2b(digest_size=16)
    for path in sorted(package.rglob("*")):
        if path.suffix in (".py", ".html", ".j2") and path.is_file():
            digest.update(str(path.relative_to(package)).encode() + b"\0" + path.read_bytes() + b"\0")
    for dist in ("pyoxigraph", "flask", "jinja2", "werkzeug", "markupsafe"):
        try:
            digest.update(f"{dist}={importlib.metadata.version(dist)}\0".encode())
        except importlib.metadata.PackageNotFoundError:
            digest.update(f"{dist}=?\0".encode())
    return digest.hexdigest()


def pack_key(store_dir: Path, base: str, script_root: str = "") -> PackKey | None:
    """The key of the pages of the store at ``store_dir`` served under ``base`` at ``script_root``;
    ``None`` when the store cannot be identified."""
    data = data_fingerprint(store_dir)
    return PackKey(data, base, script_root, code_fingerprint()) if data is not None else None


@dataclass(frozen=True)
class PackEntry:
    """One rendered page, as it goes into the pack."""

    route: str
    iri: str
    fmt: str
    page: Cached


_SCHEMA = """
CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE page (
    route TEXT NOT NULL, iri TEXT NOT NULL, fmt TEXT NOT NULL,
    content_type TEXT NOT NULL, headers TEXT NOT NULL, etag TEXT NOT NULL, body BLOB NOT NULL
);
"""


def write_pack(path: Path, key: PackKey, entries: Iterable[PackEntry]) -> int:
    """Write ``entries`` to a new pack at ``path`` (under a hidden name beside it, then renamed: a
    reader never opens half a pack); returns the number of pages written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.stem}-new-", suffix=".sqlite", dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        db = sqlite3.connect(tmp)
        try:
            # Written once, then only read: no journal to keep, one sync at the end.
            db.executescript("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;" + _SCHEMA)
            count = 0
            for entry in entries:
                page = entry.page
                db.execute(
                    "INSERT INTO page VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (
                        entry.route,
                        entry.iri,
                        entry.fmt,
                        page.content_type,
                        json.dumps(page.headers),
                        page.etag,
                        page.body,
                    ),
                )
                count += 1
            # The index once all rows are in: cheaper than keeping it sorted while inserting.
            db.execute("CREATE UNIQUE INDEX page_key ON page (iri, route, fmt)")
            meta = {**{k: str(v) for k, v in asdict(key).items()}, "pages": str(count)}
            db.executemany("INSERT INTO meta VALUES (?, ?)", sorted(meta.items()))
            db.commit()
        finally:
            db.close()
        with tmp.open("rb+") as f:
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)  # as the store's files (mkstemp made it private)
        tmp.rename(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return count


def _connect(path: Path) -> sqlite3.Connection:
    # immutable: the file is never written once renamed into place (a new pack is a new file), so
    # SQLite takes no locks and keeps what it read
    return sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True, check_same_thread=False)


def read_meta(path: Path) -> dict[str, str]:
    """The pack's key and page count, as written; raises :class:`sqlite3.Error` or :class:`OSError`
    for a file that is missing or is not a pack."""
    if not path.is_file():
        raise FileNotFoundError(path)
    db = _connect(path)
    try:
        return dict(db.execute("SELECT name, value FROM meta").fetchall())
    finally:
        db.close()


def key_problem(meta: dict[str, str], key: PackKey) -> str | None:
    """Why a pack with ``meta`` is not the one for ``key`` (``None``: it is).

    >>> key = PackKey("d", "https://example.org/", "", "c")
    >>> key_problem({"data": "d", "base": "https://example.org/", "script_root": "", "code": "c", "layout": "1"}, key)
    >>> key_problem({"data": "old", "base": "https://example.org/", "script_root": "", "code": "c", "layout": "1"}, key)
    'it was rendered from other data'
    """
    why = {"data": "other data", "base": "another base", "script_root": "another mount point"}
    why |= {"code": "another version of clastordf", "layout": "another layout"}
    for name, value in asdict(key).items():
        if meta.get(name) != str(value):
            return f"it was rendered from {why[name]}" if name == "data" else f"it was rendered for {why[name]}"
    return None


def check_pack(path: Path, key: PackKey) -> str | None:
    """Whether the pack at ``path`` can be served for ``key``: its key, its page count, and every
    page's bytes against its ETag (a full read: run once per server start, not per worker).
    ``None`` when it can; else what is wrong."""
    try:
        meta = read_meta(path)
    except FileNotFoundError:
        return "it is missing"
    except (OSError, sqlite3.Error) as exc:
        return f"it cannot be read ({exc})"
    problem = key_problem(meta, key)
    if problem:
        return problem
    db = _connect(path)
    try:
        count = 0
        for content_type, etag, body in db.execute("SELECT content_type, etag, body FROM page"):
            if etag_of(body, content_type) != etag:
                return "a page's bytes are not those it was written with"
            count += 1
    except sqlite3.Error as exc:
        return f"it cannot be read ({exc})"
    finally:
        db.close()
    if str(count) != meta.get("pages"):
        return f"it holds {count} pages, not the {meta.get('pages')} it was written with"
    return None


class PagePack:
    """A pack opened for serving: :meth:`get` reads one page (each thread with its own connection)."""

    def __init__(self, path: Path, key: PackKey, pages: int):
        self.path = path
        self.key = key
        self.pages = pages
        #: The file was replaced by a pack made for another key: nothing more is read from it.
        self.stale = False
        self._local = threading.local()

    @property
    def script_root(self) -> str:
        """The mount point the pages were rendered for."""
        return self.key.script_root

    def _db(self) -> sqlite3.Connection | None:
        db = getattr(self._local, "db", None)
        if db is None:
            db = _connect(self.path)
            # The file this thread opens may be another than the one checked when the pack was opened
            # (a server started since, for other code, renders a new pack in its place): its key again.
            problem = key_problem(dict(db.execute("SELECT name, value FROM meta").fetchall()), self.key)
            if problem:
                db.close()
                log.warning("the page pack %s changed (%s): pages are rendered live", self.path, problem)
                self.stale = True
                return None
            self._local.db = db
        return db

    def get(self, route: str, iri: str, fmt: str) -> Cached | None:
        """The page of ``iri`` in ``fmt`` at ``route``, or ``None``: not in the pack, or its bytes do
        not match its ETag (damaged since it was written: a warning, and the caller renders it live)."""
        if self.stale:
            return None
        try:
            db = self._db()
            if db is None:
                return None
            row = db.execute(
                "SELECT content_type, headers, etag, body FROM page WHERE iri = ? AND route = ? AND fmt = ?",
                (iri, route, fmt),
            ).fetchone()
        except sqlite3.Error as exc:
            log.warning("the page pack %s cannot be read (%s): rendering %s live", self.path, exc, iri)
            return None
        if row is None:
            return None
        content_type, headers, etag, body = row
        if etag_of(body, content_type) != etag:
            log.warning("the page pack %s is damaged (the %s page of %s): rendering it live", self.path, fmt, iri)
            return None
        return Cached(body, content_type, tuple((k, v) for k, v in json.loads(headers)), etag)


def open_pack(store_dir: Path, base: str, script_root: str = "") -> PagePack | None:
    """The pack of the store at ``store_dir`` for ``base`` and ``script_root``, when there is one made
    for them (checked by its key only: each page is checked as it is read); else ``None``, with a
    warning when a pack is there but stale or unreadable."""
    key = pack_key(store_dir, base, script_root)
    path = store_dir / PACK_FILE
    if key is None or not path.exists():
        return None
    try:
        meta = read_meta(path)
    except (OSError, sqlite3.Error) as exc:
        log.warning("the page pack %s cannot be read (%s): pages are rendered live", path, exc)
        return None
    problem = key_problem(meta, key)
    if problem:
        log.warning("the page pack %s is stale (%s): pages are rendered live", path, problem)
        return None
    return PagePack(path, key, int(meta.get("pages", 0)))
