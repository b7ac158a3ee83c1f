"""The embedded store: the build's Turtle bulk-loaded once into an on-disk pyoxigraph store, which
every server worker and query executor then opens read-only (the OS shares its pages); and
:class:`ReadOnlyStore`, what the pages read of it, which a remote backend answers too.

A store is checked before it is served (:func:`check_store`): when it is made, the size and checksum
of each of its database files and the number of quads it holds are written beside it (``manifest.json``);
a store whose files no longer match, or that does not open or count as many quads, is damaged (a disk
error, a copy cut short, a file overwritten) and is made again from the data, or refused with
:class:`StoreError`, never served: a damaged RocksDB file can make queries fail or run away.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import pyoxigraph

from ..files import locked
from .engine import open_store as open_store  # the engine's, so that an executor imports no more

log = logging.getLogger(__name__)

DATA_FILE = "clastordf.ttl"
PAV_VERSION = "http://purl.org/pav/version"
#: What the store holds as it was made: its files' sizes and checksums and its number of quads.
MANIFEST_FILE = "manifest.json"
#: Files of the database that are written once it is made and never again (RocksDB's info log and
#: lock file are not data, and change).
_VOLATILE = ("LOG", "LOCK")

#: What a query over a :class:`ReadOnlyStore` gives: solutions, a boolean or triples (a remote
#: backend's graph answer comes as a list).
QueryResult = pyoxigraph.QuerySolutions | pyoxigraph.QueryBoolean | pyoxigraph.QueryTriples | list[pyoxigraph.Triple]


class ReadOnlyStore(Protocol):
    """The data as the pages read it: the small part of :class:`pyoxigraph.Store`'s API they use.

    The embedded store (:class:`~.engine.ServedStore` over :func:`open_store`) is one;
    :class:`~.backend.RemoteStore` answers the same calls with SPARQL (and raises a :class:`ValueError`
    for a blank node in a pattern).
    """

    def query(self, query: str, *, use_default_graph_as_union: bool = False) -> QueryResult: ...

    def quads_for_pattern(
        self,
        subject: pyoxigraph.NamedNode | pyoxigraph.BlankNode | None,
        predicate: pyoxigraph.NamedNode | None,
        object: pyoxigraph.NamedNode | pyoxigraph.BlankNode | pyoxigraph.Literal | None,
    ) -> Iterable[pyoxigraph.Quad]: ...

    def named_graphs(self) -> Iterable[pyoxigraph.NamedNode | pyoxigraph.BlankNode]: ...


def dataset_version(data: Path) -> str:
    """The dataset's ``pav:version``, read by streaming: the build writes the dataset node first, so
    this reads the head of the file, not all of it."""
    from ..vocab import DATASET_IRI  # here: a query executor imports this module, and needs no vocabulary

    dataset, version = pyoxigraph.NamedNode(DATASET_IRI), pyoxigraph.NamedNode(PAV_VERSION)
    for triple in pyoxigraph.parse(path=str(data), format=pyoxigraph.RdfFormat.TURTLE):
        if triple.subject == dataset and triple.predicate == version:
            return triple.object.value
    return "unversioned"


class StoreError(FileNotFoundError):
    """The store cannot be served and could not be made again; the message says which and what to do.

    A :class:`FileNotFoundError` (like a missing build), so the command line reports it in one line.
    """


@dataclass(frozen=True)
class StoreCheck:
    """What :func:`check_store` found: ``problem`` is ``None`` when the store is the one that was made."""

    store_dir: Path
    problem: str | None
    #: The quads the store holds (counted when it opened), ``None`` when it did not open.
    quads: int | None = None
    #: When the check ran (seconds since the epoch).
    checked: float = field(default_factory=time.time)
    #: (size, mtime, inode) of each database file when checked: :func:`files_changed` compares.
    files: dict[str, tuple[int, int, int]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.problem is None


def _data_files(db: Path) -> list[Path]:
    return sorted(p for p in db.iterdir() if p.is_file() and not p.name.startswith(_VOLATILE))


def _digest(path: Path) -> str:
    with path.open("rb") as f:
        return hashlib.file_digest(f, "blake2b").hexdigest()


def file_states(store_dir: Path) -> dict[str, tuple[int, int, int]]:
    """(size, mtime, inode) of each database file: cheap to take, and changed by any write or swap."""
    states = {}
    for p in _data_files(store_dir / "db"):
        st = p.stat()
        states[p.name] = (st.st_size, st.st_mtime_ns, st.st_ino)
    return states


def files_changed(check: StoreCheck) -> list[str]:
    """The database files added, removed or changed since ``check`` ran (by size, mtime and inode)."""
    try:
        now = file_states(check.store_dir)
    except OSError:  # the folder itself is gone
        return sorted(check.files) or ["db"]
    return sorted(name for name in check.files.keys() | now.keys() if check.files.get(name) != now.get(name))


def write_manifest(store_dir: Path) -> None:
    """Record the database files' sizes and checksums and the quads the (closed) store holds."""
    store = pyoxigraph.Store.read_only(str(store_dir / "db"))
    quads = len(store)
    del store
    files = {p.name: {"size": p.stat().st_size, "blake2b": _digest(p)} for p in _data_files(store_dir / "db")}
    (store_dir / MANIFEST_FILE).write_text(json.dumps({"quads": quads, "files": files}, indent=1, sort_keys=True))


def check_store(store_dir: Path) -> StoreCheck:
    """Whether the store at ``store_dir`` is the one that was made: its files as the manifest lists
    them (sizes, then checksums: a damaged file is never opened), then, opened read-only, as many
    quads as it held. Never raises: what is wrong is the result's ``problem``."""
    states = {}
    try:
        states = file_states(store_dir)
        manifest = json.loads((store_dir / MANIFEST_FILE).read_text())
        expected: dict[str, dict] = manifest["files"]
        quads = int(manifest["quads"])
    except FileNotFoundError as exc:
        name = Path(exc.filename or "").name
        why = "it has no manifest (made by an earlier clastordf)" if name == MANIFEST_FILE else f"{name} is missing"
        return StoreCheck(store_dir, why, files=states)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return StoreCheck(store_dir, f"its manifest cannot be read ({exc})", files=states)
    if set(states) != set(expected):
        missing, extra = sorted(set(expected) - set(states)), sorted(set(states) - set(expected))
        why = f"its files are not those it was made with (missing: {missing}, added: {extra})"
        return StoreCheck(store_dir, why, files=states)
    for name, want in expected.items():
        path = store_dir / "db" / name
        if states[name][0] != want["size"] or _digest(path) != want["blake2b"]:
            return StoreCheck(store_dir, f"db/{name} is not as it was written (size or checksum)", files=states)
    try:
        store = pyoxigraph.Store.read_only(str(store_dir / "db"))
        found = len(store)
        del store
    except (OSError, ValueError, RuntimeError) as exc:  # what pyoxigraph raises for a store it cannot read
        return StoreCheck(store_dir, f"it does not open ({exc})", files=states)
    if found != quads:
        return StoreCheck(store_dir, f"it holds {found} quads, not the {quads} it was made with", found, files=states)
    return StoreCheck(store_dir, None, found, files=states)


def prepare_store(data_dir: Path, store_dir: Path) -> Path:
    """The on-disk store of ``data_dir/clastordf.ttl`` at ``store_dir``, checked, and (re)made when
    missing, older than the data or damaged; returns ``store_dir`` (see :func:`prepare_checked_store`)."""
    return prepare_checked_store(data_dir, store_dir).store_dir


def prepare_checked_store(data_dir: Path, store_dir: Path) -> StoreCheck:
    """The on-disk store of ``data_dir/clastordf.ttl`` at ``store_dir``, (re)made when missing, older
    than the data, or damaged (:func:`check_store`: a warning says why); returns the passing check.

    The data goes into the named graph of its version, which queries that name no graph read as their
    default graph (:class:`~.engine.ServedStore`).
    The store is written beside its final place (in ``store_dir``'s parent, under a hidden name) and
    renamed, so a reader never opens half a store; nothing is written into ``data_dir`` unless the
    store is placed there, which is why a release's store lives outside the release's folder. Servers
    starting together wait for each other here (a lock on the parent folder), so one makes the store.
    Raises :class:`StoreError` when the store cannot be made (or is damaged as soon as it is made).
    """
    if not (data_dir / DATA_FILE).exists():
        raise FileNotFoundError(f"{data_dir / DATA_FILE} is missing: run `clastordf build` first")
    # The file the build's link resolves to (clastordf.outputs), read throughout: a build published
    # meanwhile cannot give the version of one and the triples of another.
    data = (data_dir / DATA_FILE).resolve()
    target = store_dir
    stamp = target / "loaded-from"
    st = data.stat()
    # The path: each build is a new file in a new folder; the inode too: a release replaced with
    # --force keeps its path and (pinned) mtime and may keep its size.
    fingerprint = f"{data} {st.st_ino} {st.st_mtime_ns} {st.st_size}"
    target.parent.mkdir(parents=True, exist_ok=True)
    with locked(target.parent):
        if stamp.exists() and stamp.read_text() == fingerprint:
            check = check_store(target)
            if check.ok:
                return check
            log.warning("the store at %s cannot be served (%s): making it again from %s", target, check.problem, data)
        try:
            _load(data, target, fingerprint)
        except Exception as exc:  # noqa: BLE001 - whatever stopped it, the message says what to do
            raise StoreError(
                f"the store at {target} could not be made from {data} ({type(exc).__name__}: {exc}); "
                f"free disk space or delete {target}, then start again"
            ) from exc
        check = check_store(target)
    if not check.ok:
        raise StoreError(
            f"the store at {target} is damaged as soon as it is made ({check.problem}): check the disk under "
            f"{target.parent}, delete {target} and start again"
        )
    return check


def _load(data: Path, target: Path, fingerprint: str) -> None:
    """Bulk-load ``data`` into a new store and put it at ``target`` (with its manifest and stamp)."""
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}-new-", dir=target.parent))
    from ..vocab import dataset_graph  # here: see dataset_version

    try:
        store = pyoxigraph.Store(str(tmp / "db"))
        graph = pyoxigraph.NamedNode(dataset_graph(dataset_version(data)))
        store.bulk_load(path=str(data), format=pyoxigraph.RdfFormat.TURTLE, to_graph=graph)
        store.optimize()
        store.flush()
        del store
        write_manifest(tmp)
        (tmp / "loaded-from").write_text(fingerprint)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    old = target.parent / f".{target.name}-old"
    shutil.rmtree(old, ignore_errors=True)  # left by an interrupted run, it would block the rename
    if target.exists():
        target.rename(old)
    tmp.rename(target)
    shutil.rmtree(old, ignore_errors=True)
