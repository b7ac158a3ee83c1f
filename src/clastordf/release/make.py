"""``clastordf release --version V``: a complete, verified, reproducible release in ``build/release/V/``.

The release is made in a hidden temporary folder beside its final place, verified there (checksums,
independent parsers, shapes) and only then renamed into place, so ``build/release/V/`` is either a
whole verified release or absent. A release killed on the way leaves its hidden folders behind; the
next release removes them, and puts back a release that ``--force`` had moved aside to replace and
whose replacement never arrived (:func:`recover`). Nothing in it depends on the clock: the release
date is the curated ``issued`` date (or ``SOURCE_DATE_EPOCH``), and every file's modification time
is set to it.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Protocol

from ..curation.model import Dataset
from ..curation.reader import read_curation
from ..files import build_date, locked, write_atomic
from ..progress import Progress, stderr_progress
from ..project import Project
from ..rdfio.dumps import JsonLdContext, jsonld_document, jsonld_text, read_turtle, write_ntriples_gz
from ..vocab import BASE, PREFIXES
from .diff import diff_releases, first_release_markdown
from .facts_table import CLASTO, Index, facts_tsv
from .layout import (
    CHANGELOG_FILE,
    CONTEXT_FILE,
    DATASET_FILE,
    FACTS_FILE,
    JSONLD_DUMP,
    NTRIPLES_DUMP,
    README_FILE,
    SHAPES_FILE,
    SUMS_FILE,
    TURTLE_DUMP,
    VOID_FILE,
    check_version,
    previous_release,
    releases_root,
    sha256_file,
    sums_text,
)
from .metadata import ReleaseFile, ReleaseInfo, dataset_jsonld, readme, void_turtle
from .verify import verify_release


class Builder(Protocol):
    """What fills a folder with the project's build, dated ``modified``: :func:`clastordf.build.build`.

    The caller hands it over because the pipeline sits above the stages it runs, this one included.
    """

    def __call__(
        self, project: Project, out_dir: Path, progress: Progress, *, modified: date, as_set: bool = ...
    ) -> object: ...


class ReleaseError(Exception):
    """The release cannot be made; nothing was written to its final place."""

    def report(self) -> str:
        return f"release failed: {self}"


@dataclass(frozen=True)
class ReleaseResult:
    path: Path
    files: list[ReleaseFile]
    info: ReleaseInfo


def _line_of(path: Path, key: str) -> int:
    """The line of ``key:`` in a YAML file (for messages naming where to fix a value)."""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if re.match(rf"^{re.escape(key)}\s*:", line):
            return number
    return 0


def release_date(issued: str) -> date:
    """``SOURCE_DATE_EPOCH``'s date when set, else the curated ``issued`` date."""
    return build_date() or date.fromisoformat(issued)


def _files(folder: Path) -> list[ReleaseFile]:
    return [
        ReleaseFile(p.name, p.stat().st_size, sha256_file(p))
        for p in sorted(folder.iterdir())
        if p.is_file() and p.name != SUMS_FILE
    ]


def changelog(folder: Path, version: str, previous: Path | None) -> str:
    """The release's CHANGELOG: what changed since ``previous`` (a release folder), then the history
    the previous release's CHANGELOG already told."""
    if previous is None:
        return "# Changelog\n\n" + first_release_markdown(version, folder / TURTLE_DUMP)
    section = diff_releases(previous, folder).to_markdown()
    history = ""
    old = previous / CHANGELOG_FILE
    if old.exists():
        history = re.sub(r"^# Changelog\n+", "", old.read_text(encoding="utf-8"))
    return "# Changelog\n\n" + section.rstrip("\n") + "\n\n" + history


def _examples(index: Index) -> tuple[str, ...]:
    """One resource of each main kind (the first by IRI): a clastokine fact, an evidence line, a gene product."""
    wanted = (CLASTO + "ClastokineFact", CLASTO + "EvidenceLine", CLASTO + "GeneProduct")
    return tuple(members[0] for members in (index.members(cls) for cls in wanted) if members)


def _count(index: Index, cls: str) -> int:
    return len(index.members(cls))


def write_release_files(
    project: Project,
    dataset: Dataset,
    folder: Path,
    version: str,
    released: date,
    base: str,
    previous: Path | None,
    progress: Progress,
) -> tuple[list[ReleaseFile], ReleaseInfo]:
    """Add the dumps, tables and descriptions to a folder the build has filled; ``dataset`` is the
    curated dataset record."""
    progress("[release] dumps: N-Triples, JSON-LD …")
    triples = read_turtle(folder / TURTLE_DUMP)
    write_ntriples_gz(triples, folder / NTRIPLES_DUMP)
    context = JsonLdContext(PREFIXES)
    write_atomic(folder / JSONLD_DUMP, jsonld_text(jsonld_document(triples, context)))
    write_atomic(folder / CONTEXT_FILE, jsonld_text(context.document()))
    shutil.copyfile(project.shapes, folder / SHAPES_FILE)
    progress("[release] facts.tsv …")
    index = Index(triples)
    write_atomic(folder / FACTS_FILE, facts_tsv(index))
    info = ReleaseInfo(
        dataset=dataset,
        version=version,
        released=released,
        base=base,
        triples=len(triples),
        facts=len(index.facts()),
        evidence=_count(index, CLASTO + "EvidenceLine"),
        examples=_examples(index),
        class_counts=tuple(
            (CLASTO + c, _count(index, CLASTO + c))
            for c in ("ClastokineFact", "RegulationFact", "Claim", "EvidenceLine")
        ),
        previous_version=previous.name if previous else None,
    )
    progress("[release] void.ttl, dataset.jsonld, README.md, CHANGELOG.md …")
    data_files = _files(folder)
    write_atomic(folder / VOID_FILE, void_turtle(info, data_files))
    write_atomic(folder / DATASET_FILE, dataset_jsonld(info, data_files))
    write_atomic(folder / README_FILE, readme(info, _files(folder)))
    write_atomic(folder / CHANGELOG_FILE, changelog(folder, version, previous))
    stamp = datetime.combine(released, time(0, 0), tzinfo=UTC).timestamp()
    for path in folder.iterdir():
        os.utime(path, (stamp, stamp))
    write_atomic(folder / SUMS_FILE, sums_text(folder))
    os.utime(folder / SUMS_FILE, (stamp, stamp))
    return _files(folder), info


#: How the hidden folders of a release being made begin, under the releases folder (the server's
#: ``.stores`` there is not one of them).
STAGING = ".release-"


def _staging_prefix(version: str) -> str:
    return f"{STAGING}{version}-new-"


def _moved_aside(target: Path) -> Path:
    return target.with_name(f"{STAGING}{target.name}-old")


def recover(root: Path) -> None:
    """Clear what killed releases left in ``root``: the folders of releases being made go, and a
    release moved aside to be replaced (``--force``) whose replacement never arrived goes back.

    >>> root = Path(tempfile.mkdtemp())
    >>> for name in (".release-1.0.0-new-x1y2", ".release-0.9.0-old", ".stores", "0.8.0"):
    ...     (root / name).mkdir()
    >>> recover(root)
    >>> sorted(p.name for p in root.iterdir())
    ['.stores', '0.8.0', '0.9.0']
    """
    for path in sorted(root.glob(f"{STAGING}*")):
        if path.name.endswith("-old"):
            target = root / path.name[len(STAGING) : -len("-old")]
            if not target.exists():
                path.rename(target)
                continue
        shutil.rmtree(path)


def _install(tmp: Path, target: Path) -> None:
    """Rename the finished release into place (replacing an old one only after the new one is whole)."""
    old = None
    if target.exists():
        old = _moved_aside(target)
        target.rename(old)
    tmp.rename(target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def make_release(
    project: Project,
    version: str,
    build_dir: Path,
    *,
    build: Builder,
    force: bool = False,
    base: str = BASE,
    progress: Progress = stderr_progress,
) -> ReleaseResult:
    """Build (with ``build``), describe, verify and install release ``version`` under ``build_dir/release/``.

    The curated ``version`` in ``curation/dataset.yaml`` must equal ``version`` (the curation says
    what is released; the command confirms it), and an existing release is replaced only with ``force``.
    """
    try:
        check_version(version)
    except ValueError as err:
        raise ReleaseError(str(err)) from None
    dataset_file = project.curation / "dataset.yaml"
    dataset = read_curation(project.curation).dataset
    if dataset.version != version:
        raise ReleaseError(
            f"{dataset_file}:{_line_of(dataset_file, 'version')}: version is {dataset.version!r} but the release is "
            f"{version!r}; set version (and issued, the release date) in {dataset_file.name} first"
        )
    root = releases_root(build_dir)
    target = root / version
    root.mkdir(parents=True, exist_ok=True)
    # One release at a time under root: what a killed one left can then be told from one being made.
    with locked(root, progress):
        recover(root)
        if target.exists() and not force:
            raise ReleaseError(f"{target} already exists; releases are never overwritten (use --force to replace it)")
        released = release_date(dataset.issued)
        previous = previous_release(root, version)
        tmp = Path(tempfile.mkdtemp(prefix=_staging_prefix(version), dir=root))
        # mkdtemp makes the folder private; a release is for everyone who may read the build folder.
        umask = os.umask(0)
        os.umask(umask)
        tmp.chmod(0o777 & ~umask)
        try:
            build(project, tmp, progress, modified=released, as_set=False)
            files, info = write_release_files(
                project, dataset, tmp, version, released, base, previous.path if previous else None, progress
            )
            progress("[verify] …")
            report = verify_release(tmp, progress)
            for warning in report.warnings:
                progress(f"WARNING: {warning}")
            if not report.ok:
                raise ReleaseError("the release did not verify:\n" + "\n".join(f"  {p}" for p in report.problems))
            _install(tmp, target)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    progress(
        f"released {version} to {target}: {len(files)} files + {SUMS_FILE}, {info.triples:,} triples, "
        f"{info.facts} facts" + (f" (compared with {previous.version})" if previous else " (first release)")
    )
    return ReleaseResult(target, files, info)
