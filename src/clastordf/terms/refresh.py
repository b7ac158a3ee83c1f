"""Refresh the committed term index and bibliography snapshot from the pinned reference files."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ..curation.model import Curation
from ..files import write_atomic
from ..project import SNAPSHOTS
from .identifiers import used_curies
from .index import Term, TermIndex
from .reference import CLASS_PREFIXES, Reference


@dataclass
class RefreshResult:
    index: TermIndex
    missing: list[str]


def build_index(curation: Curation, reference: Reference, extra: Iterable[str] = ()) -> RefreshResult:
    """The index of every identifier the curation (and ``extra``: the ontology's terms) uses, with the
    ancestry of ontology classes.

    Obsolete terms stay in the index (flagged) so the build can name their replacement.
    """
    wanted = set(used_curies(curation)) | set(extra)
    terms: dict[str, Term] = {}
    missing: list[str] = []
    queue = sorted(wanted)
    while queue:
        curie = queue.pop()
        if curie in terms:
            continue
        term = reference.lookup(curie)
        if term is None:
            if curie in wanted:
                missing.append(curie)
            continue
        if term.replaced_by and term.replaced_by not in terms:
            queue.append(term.replaced_by)
        if curie.split(":", 1)[0] in CLASS_PREFIXES:
            # Keep only parents the reference knows, so the index is closed under `parents`.
            parents = tuple(p for p in term.parents if reference.lookup(p) is not None)
            term = Term(**{**term.__dict__, "parents": parents})
            queue.extend(p for p in parents if p not in terms)
        else:
            term = Term(**{**term.__dict__, "parents": ()})
        terms[curie] = term
        if curie.startswith("HGNC:"):
            queue.extend(x for x in term.xrefs if x.startswith("MGI:") and x not in terms)
    return RefreshResult(TermIndex(terms.values()), sorted(missing))


def snapshot_sources(shared: Path, curation: Path) -> list[Path]:
    """Copy the review's bibliography and the PFOCR Figure 2 tables into the curation folder."""
    written = []
    for source, dest in SNAPSHOTS:
        target = curation / dest
        write_atomic(target, (shared / source).read_text(encoding="utf-8"))
        written.append(target)
    return written
