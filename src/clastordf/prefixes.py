"""The prefix map: CURIE <-> IRI for every identifier space clastordf publishes.

OBO ontologies use their PURLs; gene, protein, miRNA and literature identifiers use the https
identifiers.org form that WikiPathways RDF uses, so joins across the two datasets work.
The map is built from these two rules by :mod:`curies` rather than kept as a list of strings.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from functools import lru_cache

import curies

#: Ontologies published as OBO PURLs (``http://purl.obolibrary.org/obo/{PREFIX}_{id}``).
OBO_PREFIXES: tuple[str, ...] = ("GO", "CL", "UBERON", "CHEBI", "RO", "BFO", "ECO", "NCBITaxon", "SO", "IAO")

#: Identifier spaces published as identifiers.org IRIs: CURIE prefix -> identifiers.org namespace,
#: plus the part of the local id that identifiers.org keeps (MGI ids embed their prefix).
IDENTIFIERS_ORG: dict[str, str] = {
    "HGNC": "https://identifiers.org/hgnc/",
    "MGI": "https://identifiers.org/mgi/MGI:",
    "uniprot": "https://identifiers.org/uniprot/",
    "ncbigene": "https://identifiers.org/ncbigene/",
    "ensembl": "https://identifiers.org/ensembl/",
    "mirbase.mature": "https://identifiers.org/mirbase.mature/",
    "mirbase": "https://identifiers.org/mirbase/",
    "pubmed": "https://identifiers.org/pubmed/",
}

PROJECT = {
    "clasto": "https://w3id.org/clastordf/vocab#",
    "cf": "https://w3id.org/clastordf/fact/",
    "ce": "https://w3id.org/clastordf/evidence/",
    "cx": "https://w3id.org/clastordf/complex/",
}

OTHER = {
    "doi": "https://doi.org/",
}


@lru_cache(maxsize=1)
def converter() -> curies.Converter:
    """The converter for every prefix clastordf uses.

    >>> converter().expand("CL:0000092")
    'http://purl.obolibrary.org/obo/CL_0000092'
    >>> converter().expand("MGI:1315202")
    'https://identifiers.org/mgi/MGI:1315202'
    """
    prefix_map = {p: f"http://purl.obolibrary.org/obo/{p}_" for p in OBO_PREFIXES}
    prefix_map.update(IDENTIFIERS_ORG)
    prefix_map.update(OTHER)
    prefix_map.update(PROJECT)
    return curies.Converter.from_prefix_map(prefix_map)


def expand(curie: str) -> str:
    """Expand a CURIE to its IRI, raising :class:`ValueError` for an unknown prefix.

    >>> expand("uniprot:O75094")
    'https://identifiers.org/uniprot/O75094'
    """
    iri = converter().expand(curie)
    if iri is None:
        raise ValueError(f"unknown CURIE prefix in {curie!r}")
    return iri


def compress(iri: str) -> str | None:
    """Compress an IRI to a CURIE, or ``None`` when no prefix covers it.

    >>> compress("http://purl.obolibrary.org/obo/GO_0001649")
    'GO:0001649'
    """
    return converter().compress(iri)


def prefix_of(curie: str) -> str:
    """The prefix of a CURIE.

    >>> prefix_of("mirbase.mature:MIMAT0000271")
    'mirbase.mature'
    """
    return curie.split(":", 1)[0]


class PrefixMap:
    """Prefixes and their namespaces, for writing IRIs as prefixed names: the longest matching
    namespace wins (``mirbase.mature:`` before ``mirbase:``), ties by prefix, so the choice is stable.

    >>> names = PrefixMap({"mirbase": "https://identifiers.org/mirbase/",
    ...                    "mirbase.mature": "https://identifiers.org/mirbase.mature/"})
    >>> names.compact("https://identifiers.org/mirbase.mature/MIMAT0000271")
    'mirbase.mature:MIMAT0000271'
    >>> names.compact("https://example.org/x") is None
    True
    """

    def __init__(self, prefixes: Mapping[str, str]):
        self.prefixes = dict(sorted(prefixes.items()))
        self._by_length = sorted(self.prefixes.items(), key=lambda kv: (-len(kv[1]), kv[0]))

    def candidates(self, iri: str) -> Iterator[tuple[str, str]]:
        """Every (prefix, local part) that spells ``iri``, best first."""
        for prefix, namespace in self._by_length:
            if iri.startswith(namespace):
                yield prefix, iri[len(namespace) :]

    def compact(self, iri: str, accept: Callable[[str], bool] = lambda local: True) -> str | None:
        """``prefix:local`` with the best prefix whose local part ``accept`` takes, else ``None``."""
        return next((f"{p}:{local}" for p, local in self.candidates(iri) if accept(local)), None)
