"""The build's files in ``build/``, published as one set: a reader finds every file of the previous
build or every file of this one, never a mix, and a build that fails or is killed leaves the previous
set as it was.

The layout (``NAME`` is ``clastordf.ttl``, ``clastordf.owl`` …)::

    build/NAME -> .current/NAME     one relative symlink per file of the build
    build/.current -> .outputs/ID   the published set
    build/.outputs/ID/NAME          the files of one build (the current one and the one before it)
    build/oxigraph/, build/release/ not the build's: left alone

Why symlinks: POSIX renames one name atomically, never several, and ``build/`` itself cannot be
renamed into place since it also holds the server's store and the releases. So the files of a build
are written, flushed to disk, into a new folder ``.outputs/ID``, and the build is published by one
rename: a new ``.current`` link replaces the old (:func:`~clastordf.files.replace_symlink`), which
switches every ``build/NAME`` at once, while the paths the README documents stay what they were.
A name only the new build has is linked before the switch (it dangles, so reads as absent, until
then); a name only the old build had is unlinked after it (it dangles from the switch on). The
switch is the commit: a folder ``.current`` does not point at was never published, so no manifest
is needed to tell a whole set from half of one, and no reader (the server, ``gpml links``) can
reach one. Folders a killed build left behind are removed by the next build that publishes.
The alternatives fall short: renaming a dedicated folder (``build/dataset/``) into place moves every
documented path, and files renamed into ``build/`` one by one, even with a manifest written last,
show a reader a mix while they are renamed and leave one when the build is killed.

Readers resolve ``build/NAME`` when they open it. The previous set is kept until the next build
publishes, so a reader that resolved a name just before a switch (a download being listed, then
sent) still finds its file. The server's store is keyed on the resolved file of ``clastordf.ttl``
(:func:`clastordf.server.store.prepare_store`): a switch gives it a new file, so the store is
reloaded on the next start, and a build that never switched is never loaded.

Publishing holds a lock on ``.outputs`` (:func:`~clastordf.files.locked`), so two builds into one
folder publish one after the other, and the only folder being written there is the lock holder's:
any other that is neither current nor previous is a killed build's, safe to remove. Plain
``clastordf*`` files found in ``build/`` (a build made before this layout, or placed there by hand)
are first taken into the current set, so the switch removes those the new build does not make.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path

from .files import locked, replace_symlink, sync_folder, write_durable

#: The files a build writes (``clastordf-inferred.ttl`` not after ``--no-reason``), and, beside them,
#: one ``clastordf-MECHANISM.gpml`` per mechanism of the pathway (:data:`MECHANISM_GPML`).
OUTPUT_FILES: tuple[str, ...] = (
    "clastordf.ttl",
    "clastordf.owl",
    "clastordf-vocab.ttl",
    "clastordf-inferred.ttl",
    "clastordf-ontology.html",
    "clastordf.gpml",
    "clastordf.svg",
    "clastordf-wp.ttl",
    "clastordf.gmt",
)
MECHANISM_GPML = "clastordf-MECHANISM.gpml"

#: The folder of output sets, inside the build folder.
SETS = ".outputs"
#: The link to the published set, inside the build folder.
CURRENT = ".current"


def write_files(files: Mapping[str, str], folder: Path) -> list[Path]:
    """Write ``files`` (name → text) into ``folder`` as they are, flushed to disk.

    >>> folder = Path(tempfile.mkdtemp())
    >>> [p.name for p in write_files({"clastordf.ttl": "<a> <b> <c> .\\n"}, folder)]
    ['clastordf.ttl']
    """
    written = []
    for name, text in files.items():
        if Path(name).name != name or name.startswith("."):
            raise ValueError(f"{name!r} is not the name of a build output")
        write_durable(folder / name, text)
        written.append(folder / name)
    sync_folder(folder)
    return written


def current_set(out_dir: Path) -> Path | None:
    """The folder of the set ``out_dir`` publishes, if there is one."""
    link = out_dir / CURRENT
    if not link.is_symlink():
        return None
    target = out_dir / os.readlink(link)
    return target if target.is_dir() else None


def publish(files: Mapping[str, str], out_dir: Path) -> list[Path]:
    """Write ``files`` (name → text) as a new set and switch ``out_dir`` to it; returns ``out_dir/NAME``
    for each file.

    >>> out = Path(tempfile.mkdtemp()) / "build"
    >>> _ = publish({"clastordf.ttl": "old", "clastordf-inferred.ttl": "old"}, out)
    >>> _ = publish({"clastordf.ttl": "new"}, out)
    >>> (out / "clastordf.ttl").read_text(), sorted(p.name for p in out.iterdir() if not p.name.startswith("."))
    ('new', ['clastordf.ttl'])
    """
    sets = out_dir / SETS
    sets.mkdir(parents=True, exist_ok=True)
    with locked(sets):
        _adopt_plain_files(out_dir)
        previous = current_set(out_dir)
        new = _new_set(sets)
        write_files(files, new)
        sync_folder(sets)
        for name in files:
            _link(out_dir, name)
        replace_symlink(out_dir / CURRENT, f"{SETS}/{new.name}")
        sync_folder(out_dir)
        for path in _links(out_dir):
            if path.name not in files:
                path.unlink()
        for path in sets.iterdir():
            if path.name in (new.name, previous.name if previous else None):
                continue
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()
    return [out_dir / name for name in files]


def _new_set(sets: Path) -> Path:
    folder = Path(tempfile.mkdtemp(prefix="build-", dir=sets))
    # mkdtemp makes the folder private; the build's files are for whoever may read the build folder.
    umask = os.umask(0)
    os.umask(umask)
    folder.chmod(0o777 & ~umask)
    return folder


def _link_target(name: str) -> str:
    return f"{CURRENT}/{name}"


def _links(out_dir: Path) -> list[Path]:
    """The names in ``out_dir`` that are links into the published set."""
    return [p for p in out_dir.iterdir() if p.is_symlink() and os.readlink(p) == _link_target(p.name)]


def _link(out_dir: Path, name: str) -> None:
    link = out_dir / name
    if not (link.is_symlink() and os.readlink(link) == _link_target(name)):
        replace_symlink(link, _link_target(name))


def _adopt_plain_files(out_dir: Path) -> None:
    """Take the plain ``clastordf*`` files of ``out_dir`` into the current set (a new one if there is
    none) and link them, each file readable at its name throughout."""
    plain = sorted(p for p in out_dir.glob("clastordf*") if p.is_file() and not p.is_symlink())
    if not plain:
        return
    target = current_set(out_dir)
    switch = target is None
    if target is None:
        target = _new_set(out_dir / SETS)
    for path in plain:
        copy = target / path.name
        copy.unlink(missing_ok=True)  # not published: out_dir/NAME is the plain file, not a link
        try:
            os.link(path, copy)
        except OSError:  # a file system without hard links
            shutil.copy2(path, copy)
    sync_folder(target)
    if switch:
        replace_symlink(out_dir / CURRENT, f"{SETS}/{target.name}")
    for path in plain:
        _link(out_dir, path.name)
    sync_folder(out_dir)
