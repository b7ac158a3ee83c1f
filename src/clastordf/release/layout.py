"""Where releases live and how their files are listed: shared by the release command, ``verify``,
``diff`` and the server's downloads.

A release is a folder ``build/release/VERSION/`` holding the dump files and ``SHA256SUMS`` (GNU
coreutils format: ``<hex digest><two spaces><file name>``, one line per file, sorted by name, every
file of the folder except ``SHA256SUMS`` itself). Folders whose names start with a dot are work in
progress (a release being made) or stores, never releases.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

#: The sub-folder of the build folder that holds the releases.
RELEASES_DIR = "release"
#: The checksum file of a release.
SUMS_FILE = "SHA256SUMS"
#: The files of a release, by role (the descriptions below say what each is).
TURTLE_DUMP = "clastordf.ttl"
NTRIPLES_DUMP = "clastordf.nt.gz"
JSONLD_DUMP = "clastordf.jsonld"
CONTEXT_FILE = "clastordf.context.jsonld"
SHAPES_FILE = "clastordf.shacl.ttl"
FACTS_FILE = "facts.tsv"
VOID_FILE = "void.ttl"
DATASET_FILE = "dataset.jsonld"
README_FILE = "README.md"
CHANGELOG_FILE = "CHANGELOG.md"
#: The three dumps of the whole dataset (the same triples).
DATA_DUMPS = (TURTLE_DUMP, NTRIPLES_DUMP, JSONLD_DUMP)
#: Files that describe a release rather than hold its data.
METADATA_FILES = (VOID_FILE, DATASET_FILE, README_FILE, CHANGELOG_FILE, SUMS_FILE)
#: The name that stands for the newest release wherever a version is asked for.
LATEST = "latest"
#: Allowed release versions: what is safe as a folder name and in a URL path.
VERSION_PATTERN = re.compile(r"^[0-9A-Za-z][0-9A-Za-z._+-]{0,63}$")

_SUM_LINE = re.compile(r"^([0-9a-f]{64}) [ *](\S.*)$")


class BadSums(ValueError):
    """A malformed ``SHA256SUMS`` line; the message names the file and line."""


def check_version(version: str) -> str:
    """Return ``version`` if it can name a release folder, else raise ``ValueError``.

    >>> check_version("0.2.0")
    '0.2.0'
    >>> check_version("../x")
    Traceback (most recent call last):
    ...
    ValueError: release version '../x' must be letters, digits, '.', '_', '+' or '-', starting with a letter or digit
    """
    if not VERSION_PATTERN.match(version) or version == LATEST:
        raise ValueError(
            f"release version {version!r} must be letters, digits, '.', '_', '+' or '-', "
            "starting with a letter or digit"
        )
    return version


def version_key(version: str) -> tuple:
    """Sort key putting versions in release order: numeric parts compare as numbers, and a
    pre-release (``1.0.0-rc1``, ``1.0.0rc1``) sorts before its release.

    >>> sorted(["0.10.0", "0.2.0", "0.2.0-rc1", "1.0"], key=version_key)
    ['0.2.0-rc1', '0.2.0', '0.10.0', '1.0']
    """
    head = re.match(r"^[0-9]+(?:\.[0-9]+)*", version)
    numbers = tuple(int(p) for p in head.group(0).split(".")) if head else ()
    rest = version[head.end() :] if head else version
    # A final release (no suffix) sorts after every pre-release of the same numbers.
    return (numbers, rest == "", rest)


def sha256_file(path: Path) -> str:
    """The SHA-256 hex digest of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def sums_text(folder: Path) -> str:
    """The ``SHA256SUMS`` text for every regular file in ``folder`` (except ``SHA256SUMS``)."""
    names = sorted(p.name for p in folder.iterdir() if p.is_file() and p.name != SUMS_FILE)
    return "".join(f"{sha256_file(folder / name)}  {name}\n" for name in names)


def read_sums(path: Path) -> dict[str, str]:
    """File name → hex digest from a ``SHA256SUMS`` file; :class:`BadSums` names a malformed line."""
    out: dict[str, str] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        match = _SUM_LINE.match(line)
        if not match:
            raise BadSums(f"{path}:{number}: not '<sha256 hex>  <file name>': {line[:80]!r}")
        digest, name = match.groups()
        if "/" in name or name in (".", ".."):
            raise BadSums(f"{path}:{number}: file name {name!r} is not a plain name in the release folder")
        if name in out:
            raise BadSums(f"{path}:{number}: {name} is listed twice")
        out[name] = digest
    return out


@dataclass(frozen=True)
class Release:
    """A finished release folder."""

    version: str
    path: Path

    @property
    def sums(self) -> dict[str, str]:
        return read_sums(self.path / SUMS_FILE)


def releases_root(build_dir: Path) -> Path:
    """The folder holding the releases of a build folder."""
    return build_dir / RELEASES_DIR


def list_releases(root: Path) -> list[Release]:
    """Finished releases under ``root`` (folders with a ``SHA256SUMS``), oldest first."""
    if not root.is_dir():
        return []
    found = [
        Release(p.name, p)
        for p in root.iterdir()
        if p.is_dir() and not p.is_symlink() and VERSION_PATTERN.match(p.name) and (p / SUMS_FILE).is_file()
    ]
    return sorted(found, key=lambda r: version_key(r.version))


def latest_release(root: Path) -> Release | None:
    """The newest finished release under ``root``, by :func:`version_key`."""
    found = list_releases(root)
    return found[-1] if found else None


def find_release(root: Path, version: str) -> Release | None:
    """The finished release ``version`` under ``root`` (``latest``: the newest), looked up among the
    releases there rather than by making a path of ``version``, so no name can reach another folder."""
    found = list_releases(root)
    if version == LATEST:
        return found[-1] if found else None
    return next((r for r in found if r.version == version), None)


def unknown_release_message(root: Path, version: str) -> str:
    """Why ``version`` cannot be found under ``root``, listing the releases there are (newest first).

    >>> unknown_release_message(Path("/nowhere"), "latest")
    'there are no releases in /nowhere: make one with `clastordf release --version VERSION`'
    """
    known = [r.version for r in reversed(list_releases(root))]
    if not known:
        return f"there are no releases in {root}: make one with `clastordf release --version VERSION`"
    return f"no release {version!r} in {root}; the releases there are: {', '.join(known)}"


def previous_release(root: Path, version: str) -> Release | None:
    """The newest finished release older than ``version`` (what its CHANGELOG compares with)."""
    older = [r for r in list_releases(root) if version_key(r.version) < version_key(version)]
    return older[-1] if older else None


#: Media types of release and build files by extension; anything else is octet-stream.
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

#: What each file of a build or release is (files not named here are listed without a description).
FILE_DESCRIPTIONS = {
    "clastordf.ttl": "the dataset: facts, claims, evidence, entities, ontology slim and vocabulary (Turtle)",
    "clastordf.nt.gz": "the same triples as clastordf.ttl, as gzipped N-Triples (one triple per line)",
    "clastordf.jsonld": "the same triples as clastordf.ttl, as JSON-LD (flat @graph, context inline)",
    "clastordf.context.jsonld": "the JSON-LD context of clastordf.jsonld (prefixes), for your own JSON-LD",
    "clastordf.owl": "the ontology with its imports merged (RDF/XML, OWL)",
    "clastordf-vocab.ttl": "the clasto: vocabulary alone (Turtle)",
    "clastordf-inferred.ttl": "the types the reasoner inferred, already included in clastordf.ttl (Turtle)",
    "clastordf-ontology.html": "the ontology as a page: class tree, definitions, properties, concept schemes",
    "clastordf.shacl.ttl": "the SHACL shapes every release conforms to (Turtle)",
    "clastordf.gpml": "the pathway for WikiPathways/PathVisio (GPML 2013a, Homo sapiens)",
    "clastordf.svg": "a picture of the pathway",
    "clastordf-wp.ttl": "the pathway as WikiPathways RDF (wp: vocabulary)",
    "clastordf.gmt": "gene sets (human NCBI Gene ids): all ligands and receptors, per mechanism, per process",
    "facts.tsv": (
        "one row per fact, for spreadsheets: ligand, cells, receptors, processes, review category, "
        "evidence level, contested, references"
    ),
    "void.ttl": "the dataset described in VoID and DCAT: licence, version, provenance, sizes, checksums",
    "dataset.jsonld": "the dataset described as a schema.org Dataset (what dataset search engines read)",
    "README.md": "what each file is, how to load it, how to cite it",
    "CHANGELOG.md": "facts and evidence added, removed and changed since the previous release",
    SUMS_FILE: "SHA-256 checksums of every other file (sha256sum -c SHA256SUMS)",
}


def media_type(name: str) -> str:
    """The media type of a file by its extension.

    >>> media_type("clastordf.nt.gz"), media_type("facts.tsv"), media_type("SHA256SUMS")
    ('application/gzip', 'text/tab-separated-values', 'text/plain')
    """
    if name == SUMS_FILE:
        return "text/plain"
    return MEDIA_TYPES.get(Path(name).suffix.lower(), "application/octet-stream")


def describe_file(name: str) -> str:
    """The description of a build or release file; per-mechanism GPML files are described by pattern."""
    if name in FILE_DESCRIPTIONS:
        return FILE_DESCRIPTIONS[name]
    if name.startswith("clastordf-") and name.endswith(".gpml"):
        return f"the pathway of one mechanism ({name[len('clastordf-') : -len('.gpml')]}) as GPML 2013a"
    return ""
