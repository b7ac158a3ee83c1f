"""The build's files as downloads: listing with sizes and SHA-256, and the media type of each.

Hashes are cached by (path, mtime, size), so a file is read once per change, not once per request.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from .store import STORE_DIR

#: Media types by file extension; anything else is offered as octet-stream.
MEDIA_TYPES = {
    ".ttl": "text/turtle",
    ".owl": "application/rdf+xml",
    ".rdf": "application/rdf+xml",
    ".nt": "application/n-triples",
    ".nq": "application/n-quads",
    ".trig": "application/trig",
    ".jsonld": "application/ld+json",
    ".json": "application/json",
    ".html": "text/html",
    ".csv": "text/csv",
    ".tsv": "text/tab-separated-values",
    ".txt": "text/plain",
    ".md": "text/markdown",
    ".gpml": "application/xml",
    ".gmt": "text/tab-separated-values",
    ".svg": "image/svg+xml",
    ".xml": "application/xml",
    ".gz": "application/gzip",
    ".zip": "application/zip",
}
#: Extensions of RDF dumps (what VoID lists as ``void:dataDump``).
RDF_DUMPS = (".ttl", ".owl", ".rdf", ".nt", ".nq", ".trig", ".jsonld")
#: Short descriptions of the files every build writes (others are listed without one).
DESCRIPTIONS = {
    "clastordf.ttl": "the dataset: facts, claims, evidence, entities, ontology slim and vocabulary (Turtle)",
    "clastordf.owl": "the ontology with its imports merged (RDF/XML, OWL)",
    "clastordf-vocab.ttl": "the clasto: vocabulary alone (Turtle)",
    "clastordf-inferred.ttl": "the types the reasoner inferred, already included in clastordf.ttl (Turtle)",
    "clastordf-ontology.html": "the ontology as a page: class tree, definitions, properties, concept schemes",
    "clastordf.gpml": "the pathway for WikiPathways/PathVisio (GPML 2013a, Homo sapiens)",
    "clastordf.svg": "a picture of the pathway",
    "clastordf-wp.ttl": "the pathway as WikiPathways RDF (wp: vocabulary)",
    "clastordf.gmt": "gene sets (human NCBI Gene ids): all ligands and receptors, per mechanism, per process",
}

_hashes: dict[tuple[str, int, int], str] = {}
_lock = threading.Lock()


@dataclass(frozen=True)
class Download:
    """One file of the build."""

    name: str
    path: Path
    size: int
    mtime: float
    sha256: str

    @property
    def media_type(self) -> str:
        return media_type(self.name)

    @property
    def modified(self) -> str:
        return datetime.fromtimestamp(self.mtime, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")

    @property
    def description(self) -> str:
        return DESCRIPTIONS.get(self.name, "")

    @property
    def is_rdf(self) -> bool:
        return self.name.endswith(RDF_DUMPS)


def media_type(name: str) -> str:
    """The media type of a download by its extension."""
    return MEDIA_TYPES.get(Path(name).suffix.lower(), "application/octet-stream")


def sha256_of(path: Path) -> str:
    """The file's SHA-256 hex digest, from the cache while mtime and size are unchanged."""
    st = path.stat()
    key = (str(path), st.st_mtime_ns, st.st_size)
    with _lock:
        if key in _hashes:
            return _hashes[key]
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    value = digest.hexdigest()
    with _lock:
        for old in [k for k in _hashes if k[0] == key[0]]:
            del _hashes[old]
        _hashes[key] = value
    return value


def list_downloads(build_dir: Path) -> list[Download]:
    """The regular files in ``build_dir`` except hidden ones; the store directory is never listed
    (it is a database, not a download), nor any other directory."""
    out = []
    for path in sorted(build_dir.resolve().iterdir()):  # absolute: send_file resolves relative paths elsewhere
        if path.name.startswith(".") or path.name == STORE_DIR or path.is_symlink() or not path.is_file():
            continue
        st = path.stat()
        out.append(Download(path.name, path, st.st_size, st.st_mtime, sha256_of(path)))
    return out


def find_download(build_dir: Path, name: str) -> Download | None:
    """The download called ``name`` (only names the listing holds, so no path can escape the folder)."""
    return next((d for d in list_downloads(build_dir) if d.name == name), None)
