"""The embedded store: the build's Turtle bulk-loaded once into an on-disk pyoxigraph store, which
every server worker and query executor then opens read-only (the OS shares its pages)."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pyoxigraph

from ..vocab import DATASET_IRI

DATA_FILE = "clastordf.ttl"
STORE_DIR = "oxigraph"
GRAPH_BASE = "https://w3id.org/clastordf/graph/"
PAV_VERSION = "http://purl.org/pav/version"


def dataset_graph(version: str) -> str:
    """The named graph one release is loaded into (the same name a Virtuoso load uses).

    >>> dataset_graph("0.1.0")
    'https://w3id.org/clastordf/graph/0.1.0'
    """
    return GRAPH_BASE + version


def _version_of(data: Path) -> str:
    """The dataset's ``pav:version``, read by streaming: the build writes the dataset node first, so
    this reads the head of the file, not all of it."""
    dataset, version = pyoxigraph.NamedNode(DATASET_IRI), pyoxigraph.NamedNode(PAV_VERSION)
    for triple in pyoxigraph.parse(path=str(data), format=pyoxigraph.RdfFormat.TURTLE):
        if triple.subject == dataset and triple.predicate == version:
            return triple.object.value
    return "unversioned"


def prepare_store(build_dir: Path) -> Path:
    """The on-disk store of ``build_dir/clastordf.ttl``, (re)made when missing or older than the data.

    The data goes into the named graph of its version; queries see the union of graphs by default.
    The store is written beside its final place and renamed, so a reader never opens half a store.
    """
    data = build_dir / DATA_FILE
    if not data.exists():
        raise FileNotFoundError(f"{data} is missing: run `clastordf build` first")
    target = build_dir / STORE_DIR
    stamp = target / "loaded-from"
    fingerprint = f"{data.stat().st_mtime_ns} {data.stat().st_size}"
    if stamp.exists() and stamp.read_text() == fingerprint:
        return target
    tmp = Path(tempfile.mkdtemp(prefix=".oxigraph-", dir=build_dir))
    store = pyoxigraph.Store(str(tmp / "db"))
    graph = pyoxigraph.NamedNode(dataset_graph(_version_of(data)))
    store.bulk_load(path=str(data), format=pyoxigraph.RdfFormat.TURTLE, to_graph=graph)
    store.optimize()
    store.flush()
    del store
    (tmp / "loaded-from").write_text(fingerprint)
    old = build_dir / f".{STORE_DIR}-old"
    if target.exists():
        target.rename(old)
    tmp.rename(target)
    shutil.rmtree(old, ignore_errors=True)
    return target


def open_store(store_dir: Path) -> pyoxigraph.Store:
    """Open a prepared store read-only."""
    return pyoxigraph.Store.read_only(str(store_dir / "db"))
