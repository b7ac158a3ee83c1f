"""The build's files and the releases' files as downloads: listings with sizes and SHA-256, media
types and descriptions (those of :mod:`clastordf.release.layout`, which the release command uses too).

The build's hashes are cached by (path, mtime, size), so a file is read once per change, not once per
request. A release's hashes are read from its ``SHA256SUMS``: its files are never hashed here.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from ..release import layout as release_layout
from ..release.layout import (
    CHANGELOG_FILE,
    CONTEXT_FILE,
    DATASET_FILE,
    SHAPES_FILE,
    SUMS_FILE,
    VOID_FILE,
    BadSums,
    Release,
    describe_file,
    list_releases,
    media_type,
    sha256_file,
)
from .config import STORE_DIR

log = logging.getLogger(__name__)

#: Media types offered as attachments (saved, not shown): browsers cannot show archives, and naming
#: them as an encoding instead would have clients unpack the file they asked for.
ATTACHMENT_TYPES = ("application/gzip", "application/zip")
#: Extensions of RDF dumps (what VoID lists as ``void:dataDump``).
RDF_DUMPS = (".ttl", ".owl", ".rdf", ".nt", ".nt.gz", ".nq", ".trig", ".jsonld")
#: RDF files of a release that describe the data (or constrain it) rather than hold it: not dumps.
NOT_DUMPS = (VOID_FILE, DATASET_FILE, CONTEXT_FILE, SHAPES_FILE)

_hashes: dict[tuple[str, int, int], str] = {}
_lock = threading.Lock()


@dataclass(frozen=True)
class Download:
    """One file of the build or of a release."""

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
        return describe_file(self.name)

    @property
    def is_rdf(self) -> bool:
        """Whether the file is a dump of (part of) the data in an RDF format."""
        return self.name.endswith(RDF_DUMPS) and self.name not in NOT_DUMPS

    @property
    def is_attachment(self) -> bool:
        """Whether the file is offered for saving rather than shown (archives)."""
        return self.media_type in ATTACHMENT_TYPES


def sha256_of(path: Path) -> str:
    """The file's SHA-256 hex digest, from the cache while mtime and size are unchanged."""
    st = path.stat()
    key = (str(path), st.st_mtime_ns, st.st_size)
    with _lock:
        if key in _hashes:
            return _hashes[key]
    value = sha256_file(path)
    with _lock:
        for old in [k for k in _hashes if k[0] == key[0]]:
            del _hashes[old]
        _hashes[key] = value
    return value


def list_downloads(build_dir: Path) -> list[Download]:
    """The regular files in ``build_dir`` except hidden ones; the store directory is never listed
    (it is a database, not a download), nor any other directory. A symlink is followed only to a file
    inside ``build_dir`` (the build's files are links into its published set, :mod:`clastordf.outputs`),
    and the file it resolves to is the one offered, so the bytes sent are the bytes hashed even if a
    new build is published in between."""
    out = []
    root = build_dir.resolve()  # absolute: send_file resolves relative paths elsewhere
    for link in sorted(root.iterdir()):
        path = link.resolve()
        if link.name.startswith(".") or link.name == STORE_DIR or not path.is_relative_to(root) or not path.is_file():
            continue
        st = path.stat()
        out.append(Download(link.name, path, st.st_size, st.st_mtime, sha256_of(path)))
    return out


# -- releases --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReleaseListing:
    """One finished release as offered for download."""

    version: str
    path: Path
    #: The files its ``SHA256SUMS`` lists (and the folder holds), by name, with those SHA-256 values.
    files: list[Download]
    #: The ``SHA256SUMS`` file itself.
    sums: Download
    #: Whether it is the newest release.
    latest: bool
    #: What is wrong with the release, if anything (its files are then offered only as far as listed).
    problems: list[str] = field(default_factory=list)

    @property
    def released(self) -> str:
        """When it was released: the release command sets every file's mtime to the release date."""
        return self.sums.modified

    def file(self, name: str) -> Download | None:
        """The file called ``name``: ``SHA256SUMS`` or one it lists (nothing else, so no path escapes)."""
        if name == SUMS_FILE:
            return self.sums
        return next((d for d in self.files if d.name == name), None)

    @property
    def readme(self) -> Download | None:
        return self.file("README.md")

    @property
    def changelog(self) -> Download | None:
        return self.file(CHANGELOG_FILE)


def _plain_file(path: Path) -> bool:
    return path.is_file() and not path.is_symlink()


def release_listing(release: Release, latest: bool = False) -> ReleaseListing:
    """The files of ``release``, with the SHA-256 values its ``SHA256SUMS`` gives (the files are not
    read: ``clastordf verify`` checks them). Listed files that are missing are reported, not offered;
    a malformed ``SHA256SUMS`` leaves only itself offered (the details go to the log, not the page)."""
    sums_path = (release.path / SUMS_FILE).resolve()  # absolute: send_file resolves relative paths elsewhere
    st = sums_path.stat()
    sums = Download(SUMS_FILE, sums_path, st.st_size, st.st_mtime, sha256_of(sums_path))
    try:
        digests = release.sums
    except (BadSums, OSError, UnicodeDecodeError) as exc:
        log.warning("release %s: %s", release.version, exc)
        return ReleaseListing(
            release.version,
            release.path,
            [],
            sums,
            latest,
            [f"its {SUMS_FILE} cannot be read, so its files are not offered"],
        )
    files, problems = [], []
    for name, digest in sorted(digests.items()):
        path = sums_path.parent / name
        if not _plain_file(path):
            problems.append(f"{name} is listed in {SUMS_FILE} but missing")
            continue
        st = path.stat()
        files.append(Download(name, path, st.st_size, st.st_mtime, digest))
    return ReleaseListing(release.version, release.path, files, sums, latest, problems)


def list_release_listings(root: Path) -> list[ReleaseListing]:
    """Every finished release under ``root``, newest first (hidden folders, releases being made and
    stores, are never listed)."""
    found = list_releases(root)
    return [release_listing(r, latest=i == 0) for i, r in enumerate(reversed(found))]


def find_release(root: Path, version: str) -> ReleaseListing | None:
    """The listing of release ``version`` (``latest``: the newest); see :func:`release_layout.find_release`."""
    found = release_layout.find_release(root, version)
    if found is None:
        return None
    newest = release_layout.latest_release(root)
    return release_listing(found, latest=newest is not None and found.version == newest.version)
