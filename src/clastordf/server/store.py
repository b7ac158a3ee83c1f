"""The embedded store: the build's Turtle bulk-loaded once into an on-disk pyoxigraph store, which
every server worker and query executor then opens read-only (the OS shares its pages); and
:class:`ReadOnlyStore`, what the pages read of it, which a remote backend answers too."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Protocol

import pyoxigraph

DATA_FILE = "clastordf.ttl"
PAV_VERSION = "http://purl.org/pav/version"

#: What a query over a :class:`ReadOnlyStore` gives: solutions, a boolean or triples (a remote
#: backend's graph answer comes as a list).
QueryResult = pyoxigraph.QuerySolutions | pyoxigraph.QueryBoolean | pyoxigraph.QueryTriples | list[pyoxigraph.Triple]


class ReadOnlyStore(Protocol):
    """The data as the pages read it: the small part of :class:`pyoxigraph.Store`'s API they use.

    The embedded store (:func:`open_store`) is one; :class:`~.backend.RemoteStore` answers the same
    calls with SPARQL (and raises a :class:`ValueError` for a blank node in a pattern).
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


def prepare_store(data_dir: Path, store_dir: Path) -> Path:
    """The on-disk store of ``data_dir/clastordf.ttl`` at ``store_dir``, (re)made when missing or older
    than the data; returns ``store_dir``.

    The data goes into the named graph of its version; queries see the union of graphs by default.
    The store is written beside its final place (in ``store_dir``'s parent, under a hidden name) and
    renamed, so a reader never opens half a store; nothing is written into ``data_dir`` unless the
    store is placed there, which is why a release's store lives outside the release's folder.
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
    if stamp.exists() and stamp.read_text() == fingerprint:
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}-new-", dir=target.parent))
    store = pyoxigraph.Store(str(tmp / "db"))
    from ..vocab import dataset_graph  # here: see dataset_version

    graph = pyoxigraph.NamedNode(dataset_graph(dataset_version(data)))
    store.bulk_load(path=str(data), format=pyoxigraph.RdfFormat.TURTLE, to_graph=graph)
    store.optimize()
    store.flush()
    del store
    (tmp / "loaded-from").write_text(fingerprint)
    old = target.parent / f".{target.name}-old"
    shutil.rmtree(old, ignore_errors=True)  # left by an interrupted run, it would block the rename
    if target.exists():
        target.rename(old)
    tmp.rename(target)
    shutil.rmtree(old, ignore_errors=True)
    return target


def open_store(store_dir: Path) -> pyoxigraph.Store:
    """Open a prepared store read-only."""
    return pyoxigraph.Store.read_only(str(store_dir / "db"))
