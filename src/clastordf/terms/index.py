"""The committed term index: every external identifier the curation uses, with what checks need.

``ontology/imports/term-index.tsv`` is generated from the pinned reference files by
``clastordf terms refresh`` and committed, so building never needs the reference files.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

COLUMNS = ("id", "label", "namespace", "obsolete", "replaced_by", "parents", "taxon", "xrefs", "synonyms")


@dataclass(frozen=True)
class Term:
    """One identifier: an ontology term, gene, protein or miRNA, as the reference knows it.

    ``parents`` are direct ``is_a`` parents (CL/UBERON: direct parents of the release's ancestor
    table); ``xrefs`` hold a gene's NCBI Gene, UniProt, MGI and Ensembl CURIEs.
    """

    id: str
    label: str
    namespace: str
    obsolete: bool = False
    replaced_by: str = ""
    parents: tuple[str, ...] = ()
    taxon: str = ""
    xrefs: tuple[str, ...] = ()
    synonyms: tuple[str, ...] = ()

    def xref(self, prefix: str) -> list[str]:
        """The xrefs with a given prefix.

        >>> Term("HGNC:1", "A", "hgnc", xrefs=("ncbigene:1", "uniprot:P1")).xref("uniprot")
        ['uniprot:P1']
        """
        return [x for x in self.xrefs if x.split(":", 1)[0] == prefix]


class TermIndex:
    """Lookup of :class:`Term` by CURIE."""

    def __init__(self, terms: Iterable[Term]):
        self.terms: dict[str, Term] = {t.id: t for t in terms}

    def get(self, curie: str) -> Term | None:
        return self.terms.get(curie)

    def __contains__(self, curie: str) -> bool:
        return curie in self.terms

    def __len__(self) -> int:
        return len(self.terms)

    def ancestors(self, curie: str) -> list[str]:
        """All ancestors of a term reachable through ``parents`` (not including itself), sorted."""
        seen: set[str] = set()
        stack = list(self.terms[curie].parents) if curie in self.terms else []
        while stack:
            cur = stack.pop()
            if cur in seen:
                continue
            seen.add(cur)
            if cur in self.terms:
                stack.extend(self.terms[cur].parents)
        return sorted(seen)

    @classmethod
    def read(cls, path: Path) -> TermIndex:
        with path.open(encoding="utf-8", newline="") as fh:
            rows = csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)
            return cls(
                Term(
                    id=r["id"],
                    label=r["label"],
                    namespace=r["namespace"],
                    obsolete=r["obsolete"] == "true",
                    replaced_by=r["replaced_by"],
                    parents=_split(r["parents"]),
                    taxon=r["taxon"],
                    xrefs=_split(r["xrefs"]),
                    synonyms=_split(r["synonyms"]),
                )
                for r in rows
            )

    def to_tsv(self) -> str:
        out = io.StringIO()
        out.write("\t".join(COLUMNS) + "\n")
        for t in sorted(self.terms.values(), key=lambda t: t.id):
            row = (
                t.id,
                t.label,
                t.namespace,
                "true" if t.obsolete else "false",
                t.replaced_by,
                "|".join(t.parents),
                t.taxon,
                "|".join(t.xrefs),
                "|".join(t.synonyms),
            )
            out.write("\t".join(_clean(v) for v in row) + "\n")
        return out.getvalue()


def _split(value: str) -> tuple[str, ...]:
    return tuple(v for v in value.split("|") if v) if value else ()


def _clean(value: str) -> str:
    return " ".join(value.replace("|", "/").split()) if "\t" in value or "\n" in value else value
