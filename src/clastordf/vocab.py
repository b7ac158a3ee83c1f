"""The vocabulary: every namespace clastordf reads or writes, every IRI it mints, and the prefix maps
that write IRIs short and read CURIEs.

:data:`NAMESPACES` names each namespace once, by the prefix clastordf writes it with. The prefix maps
that files are written with are selections of it (:data:`PREFIXES` for the dataset, :data:`WP_PREFIXES`
for WikiPathways RDF, …), and the CURIEs of identifiers (``GO:0001649``, ``MGI:1315202``) follow
:data:`CURIE_PREFIXES`, derived from it by two rules: OBO ontologies are their PURL plus
``{PREFIX}_``, and gene, protein, miRNA and literature identifiers are the https identifiers.org IRIs
that WikiPathways RDF uses, so joins across the two datasets work. Every compaction and expansion
goes through :class:`PrefixMap`, which stands on a :class:`curies.Converter`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import lru_cache

import curies
from rdflib import Namespace, URIRef
from rdflib.namespace import DC, DCTERMS, FOAF, OWL, PROV, RDF, RDFS, SKOS, XSD

# -- what clastordf mints --------------------------------------------------------------------------

BASE = "https://w3id.org/clastordf/"
CLASTO = Namespace(BASE + "vocab#")  # the model: classes, properties, individuals
CF = Namespace(BASE + "fact/")  # facts (cf:CF0320) and their claims (cf:CF0320-c1)
CE = Namespace(BASE + "evidence/")  # evidence lines (ce:E0650)
CX = Namespace(BASE + "complex/")  # complexes (cx:LIFR-IL6ST)
CS = Namespace(BASE + "shapes#")  # the SHACL shapes
VOCAB_IRI = URIRef(BASE + "vocab")  # the ontology
IMPORT_IRI = URIRef(BASE + "vocab/imports/external_import.owl")  # its import slim
DATASET_IRI = BASE + "dataset"
INFERRED_IRI = URIRef(DATASET_IRI + "/inferred")  # the inferred types, as a dataset of their own
REASONING_IRI = URIRef(DATASET_IRI + "/reasoning")  # the activity that inferred them
WP_DATASET_IRI = URIRef(DATASET_IRI + "/wp")  # the pathway as WikiPathways RDF
CLASS_PARTITIONS = DATASET_IRI + "/class/"  # VoID class partitions: + the class's local name
RELEASES = BASE + "releases/"  # a release: + VERSION; its files: + VERSION/NAME
GRAPHS = BASE + "graph/"  # the named graph a release is loaded into: + VERSION
PATHWAY = BASE + "pathway/"  # the pathway's WikiPathways-style IRIs
LINKS = BASE + "links/"  # link nodes to WikiPathways pathways: + WPID/entity
REASONING = BASE + "reasoning/"  # the reasoner's input ontology and class representatives

# -- what it uses --------------------------------------------------------------------------------

OBO = Namespace("http://purl.obolibrary.org/obo/")
IDENTIFIERS_ORG = "https://identifiers.org/"
PUBMED = Namespace(IDENTIFIERS_ORG + "pubmed/")
WIKIPATHWAYS = IDENTIFIERS_ORG + "wikipathways/"  # a pathway, unversioned (WP12)
DOI = Namespace("https://doi.org/")
BIOLINK = Namespace("https://w3id.org/biolink/vocab/")
VOID = Namespace("http://rdfs.org/ns/void#")
#: DCAT 3 (rdflib's closed DCAT namespace lacks dcat:version and dcat:previousVersion).
DCAT = Namespace("http://www.w3.org/ns/dcat#")
PAV = Namespace("http://purl.org/pav/")
SPDX = Namespace("http://spdx.org/rdf/terms#")
SH = Namespace("http://www.w3.org/ns/shacl#")
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
FORMATS = Namespace("http://www.w3.org/ns/formats/")
WP = Namespace("http://vocabularies.wikipathways.org/wp#")
WPRDF = "http://rdf.wikipathways.org/"
CITO = Namespace("http://purl.org/spar/cito/")
#: The XML namespaces of GPML 2013a and of the BioPAX publication records inside it.
GPML_NS = "http://pathvisio.org/GPML/2013a"
BIOPAX_NS = "http://www.biopax.org/release/biopax-level3.owl#"

REVIEW_IRI = DOI["10.7554/eLife.95083"]

#: The classes of facts (every fact is one of these).
FACT_CLASSES: tuple[str, ...] = (str(CLASTO.ClastokineFact), str(CLASTO.RegulationFact))

IN_TAXON = OBO.RO_0002162
HAS_PART = OBO.BFO_0000051
HAS_EVIDENCE = OBO.RO_0002558
ORTHOLOGOUS_TO = OBO.RO_HOM0000017
PROTEIN_COMPLEX = OBO.GO_0032991
MIRNA = OBO.SO_0000276
PRE_MIRNA = OBO.SO_0001244
GENE_PRODUCT_OF = OBO.RO_0002204
HUMAN = OBO.NCBITaxon_9606
MOUSE = OBO.NCBITaxon_10090

#: External terms the build uses whatever is curated; the term index always holds them.
BUILTIN_TERMS: tuple[str, ...] = (
    "GO:0032991",  # protein-containing complex
    "BFO:0000051",  # has part
    "RO:0002162",  # in taxon
    "RO:0002558",  # has evidence
    "RO:HOM0000017",  # in orthology relationship with
    "SO:0000276",  # miRNA
    "SO:0001244",  # pre_miRNA
    "RO:0002204",  # gene product of
    "NCBITaxon:9606",
    "NCBITaxon:10090",
    "ECO:0000304",
)


def dataset_graph(version: str) -> str:
    """The named graph one version of the dataset is loaded into, by the server's embedded store and
    by a Virtuoso load alike.

    >>> dataset_graph("0.1.0")
    'https://w3id.org/clastordf/graph/0.1.0'
    """
    return GRAPHS + version


# -- prefixes ----------------------------------------------------------------------------------------

#: Every namespace by the prefix clastordf writes it with.
NAMESPACES: dict[str, str] = {
    "rdf": str(RDF),
    "rdfs": str(RDFS),
    "owl": str(OWL),
    "xsd": str(XSD),
    "skos": str(SKOS),
    "dcterms": str(DCTERMS),
    "dc": str(DC),
    "prov": str(PROV),
    "foaf": str(FOAF),
    "obo": str(OBO),
    "biolink": str(BIOLINK),
    "clasto": str(CLASTO),
    "cf": str(CF),
    "ce": str(CE),
    "cx": str(CX),
    "cs": str(CS),
    "uniprot": IDENTIFIERS_ORG + "uniprot/",
    "ncbigene": IDENTIFIERS_ORG + "ncbigene/",
    "hgnc": IDENTIFIERS_ORG + "hgnc/",
    "ensembl": IDENTIFIERS_ORG + "ensembl/",
    "mgi": IDENTIFIERS_ORG + "mgi/",
    "mirbase.mature": IDENTIFIERS_ORG + "mirbase.mature/",
    "mirbase": IDENTIFIERS_ORG + "mirbase/",
    "pubmed": str(PUBMED),
    "doi": str(DOI),
    "void": str(VOID),
    "dcat": str(DCAT),
    "pav": str(PAV),
    "spdx": str(SPDX),
    "sh": str(SH),
    "sd": str(SD),
    "formats": str(FORMATS),
    "wp": str(WP),
    "wprdf": WPRDF,
    "cito": str(CITO),
}


def prefix_map(*prefixes: str) -> dict[str, str]:
    """The namespaces of these prefixes, in this order.

    >>> prefix_map("clasto", "obo")
    {'clasto': 'https://w3id.org/clastordf/vocab#', 'obo': 'http://purl.obolibrary.org/obo/'}
    """
    return {p: NAMESPACES[p] for p in prefixes}


def sparql_prefixes(*prefixes: str) -> str:
    """SPARQL ``PREFIX`` declarations of these prefixes, one a line.

    >>> print(sparql_prefixes("clasto", "rdfs"), end="")
    PREFIX clasto: <https://w3id.org/clastordf/vocab#>
    PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
    """
    return "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in prefix_map(*prefixes).items())


#: The project's own prefixes.
PROJECT = prefix_map("clasto", "cf", "ce", "cx")

#: The prefixes of the dataset's files (Turtle, RDF/XML, the JSON-LD context) and of its pages.
PREFIXES = prefix_map(
    "rdf", "rdfs", "owl", "xsd", "skos", "dcterms", "prov", "obo", "biolink", *PROJECT, "uniprot", "ncbigene",
    "hgnc", "ensembl", "mgi", "mirbase.mature", "mirbase", "pubmed", "doi", "void", "dcat", "pav",
)  # fmt: skip

#: The prefixes of wp: RDF, written the way WikiPathways' dumps do.
WP_PREFIXES = prefix_map(
    "cito", "dc", "dcterms", "foaf", "obo", "pav", "rdf", "rdfs", "skos", "void", "wp", "wprdf", "owl", "prov"
)  # fmt: skip

#: Ontologies published as OBO PURLs (``http://purl.obolibrary.org/obo/{PREFIX}_{id}``).
OBO_PREFIXES: tuple[str, ...] = ("GO", "CL", "UBERON", "CHEBI", "RO", "BFO", "ECO", "NCBITaxon", "SO", "IAO")

#: CURIE prefix -> namespace for the identifiers curators write: OBO terms by their ontology
#: (``GO:0001649``); identifiers.org spaces by their written prefix, but HGNC and MGI upper case, as
#: their ids are written, with MGI's local ids keeping their ``MGI:`` (``MGI:1315202``); the project's own.
CURIE_PREFIXES: dict[str, str] = {
    **{p: f"{OBO}{p}_" for p in OBO_PREFIXES},
    "HGNC": NAMESPACES["hgnc"],
    "MGI": NAMESPACES["mgi"] + "MGI:",
    **prefix_map("uniprot", "ncbigene", "ensembl", "mirbase.mature", "mirbase", "pubmed", "doi"),
    **PROJECT,
}


class PrefixMap:
    """Prefixes and their namespaces, for writing IRIs as prefixed names and reading CURIEs, on a
    :class:`curies.Converter`: the longest matching namespace wins (``mirbase.mature:`` before
    ``mirbase:``); of prefixes sharing a namespace the first by name is written, so the choice is stable.

    >>> names = PrefixMap({"mirbase": "https://identifiers.org/mirbase/",
    ...                    "mirbase.mature": "https://identifiers.org/mirbase.mature/"})
    >>> names.compact("https://identifiers.org/mirbase.mature/MIMAT0000271")
    'mirbase.mature:MIMAT0000271'
    >>> names.compact("https://example.org/x") is None
    True
    >>> names.expand("mirbase:MI0000001")
    'https://identifiers.org/mirbase/MI0000001'
    """

    def __init__(self, prefixes: Mapping[str, str]):
        self.prefixes = dict(sorted(prefixes.items()))
        first: dict[str, str] = {}
        for prefix, namespace in self.prefixes.items():
            first.setdefault(namespace, prefix)
        self._namespaces = {prefix: namespace for namespace, prefix in first.items()}
        self.converter = curies.Converter.from_prefix_map(self._namespaces)
        # The same IRIs recur across every triple of a dump: remember where each one splits.
        self._parse = lru_cache(maxsize=1 << 16)(self.converter.parse_uri)

    def compact(self, iri: str, accept: Callable[[str], bool] | None = None) -> str | None:
        """``prefix:local`` with the longest namespace whose local part ``accept`` takes (any, without
        ``accept``), else ``None``.

        >>> names = PrefixMap({"x": "http://x.org/", "xb": "http://x.org/b/"})
        >>> names.compact("http://x.org/b/c"), names.compact("http://x.org/b/c", lambda local: "/" in local)
        ('xb:c', 'x:b/c')
        """
        end = len(iri)
        while (found := self._parse(iri[:end])) is not None:
            namespace = self._namespaces[found.prefix]
            local = iri[len(namespace) :]
            if accept is None or accept(local):
                return f"{found.prefix}:{local}"
            end = len(namespace) - 1  # the longest namespace shorter than this one
        return None

    def expand(self, curie: str) -> str | None:
        """The IRI of a CURIE, or ``None`` for an unknown prefix."""
        return self.converter.expand(curie)


#: Identifier CURIEs (:data:`CURIE_PREFIXES`).
CURIES = PrefixMap(CURIE_PREFIXES)
#: Prefixed names of the dataset's files (:data:`PREFIXES`).
NAMES = PrefixMap(PREFIXES)


def expand(curie: str) -> str:
    """Expand an identifier's CURIE to its IRI, raising :class:`ValueError` for an unknown prefix.

    >>> expand("CL:0000092")
    'http://purl.obolibrary.org/obo/CL_0000092'
    >>> expand("MGI:1315202")
    'https://identifiers.org/mgi/MGI:1315202'
    >>> expand("uniprot:O75094")
    'https://identifiers.org/uniprot/O75094'
    """
    iri = CURIES.expand(curie)
    if iri is None:
        raise ValueError(f"unknown CURIE prefix in {curie!r}")
    return iri


def compress(iri: str) -> str | None:
    """An identifier's CURIE, or ``None`` when no identifier space covers the IRI.

    >>> compress("http://purl.obolibrary.org/obo/GO_0001649")
    'GO:0001649'
    >>> compress("https://identifiers.org/hgnc/31591")
    'HGNC:31591'
    >>> compress("http://purl.obolibrary.org/obo/NCIT_C179773") is None
    True
    """
    return CURIES.compact(iri)


def compact(iri: str, accept: Callable[[str], bool] | None = None) -> str | None:
    """``iri`` as a prefixed name of :data:`PREFIXES` whose local part ``accept`` takes, else ``None``.

    >>> compact("http://purl.obolibrary.org/obo/GO_0001649")
    'obo:GO_0001649'
    >>> compact("https://identifiers.org/mgi/MGI:1315202")
    'mgi:MGI:1315202'
    >>> compact("https://doi.org/10.7554/eLife.95083", accept=lambda local: "/" not in local) is None
    True
    """
    return NAMES.compact(iri, accept)


def prefix_of(curie: str) -> str:
    """The prefix of a CURIE.

    >>> prefix_of("mirbase.mature:MIMAT0000271")
    'mirbase.mature'
    """
    return curie.split(":", 1)[0]
