"""Where a clastordf project keeps its sources and outputs."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Project:
    """The layout of a checkout: curation sources, ontology, shapes and the build folder."""

    root: Path

    @property
    def curation(self) -> Path:
        return self.root / "curation"

    @property
    def term_index(self) -> Path:
        return self.root / "ontology" / "imports" / "term-index.tsv"

    @property
    def ontology_edit(self) -> Path:
        """The hand-edited OWL ontology (Turtle)."""
        return self.root / "ontology" / "clastordf-edit.ttl"

    @property
    def import_slim(self) -> Path:
        """The generated import ontology of external terms (RDF/XML, committed)."""
        return self.root / "ontology" / "imports" / "external_import.owl"

    @property
    def shapes(self) -> Path:
        return self.root / "shapes" / "clastordf.shacl.ttl"

    @property
    def wikipathways_links(self) -> Path:
        """Cross-links to WikiPathways pathways (``clastordf gpml links DIR -o …``); included when present."""
        return self.curation / "wikipathways-links.ttl"

    @property
    def bibliography(self) -> Path:
        return self.curation / "bibliography.tsv"

    @classmethod
    def find(cls, start: Path | None = None) -> Project:
        """The project whose root holds ``curation/``: ``start`` or one of its parents."""
        here = (start or Path.cwd()).resolve()
        for candidate in (here, *here.parents):
            if (candidate / "curation").is_dir() and (candidate / "shapes").is_dir():
                return cls(candidate)
        raise FileNotFoundError(f"no clastordf project (a folder with curation/ and shapes/) at or above {here}")


#: The curation files that are snapshots of ``shared/`` (``clastordf terms refresh --sources``):
#: (the file under shared/, the file under curation/).
SNAPSHOTS = (
    ("sources/elife-95083-references.tsv", "bibliography.tsv"),
    ("pfocr/PMC11003748__elife-95083-fig2-genes.tsv", "pfocr/fig2-genes.tsv"),
    ("pfocr/PMC11003748__elife-95083-fig2-chemicals.tsv", "pfocr/fig2-chemicals.tsv"),
)
