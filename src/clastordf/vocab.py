"""Namespaces and the fixed external terms every build emits."""

from __future__ import annotations

from rdflib import Namespace
from rdflib.namespace import DCTERMS, OWL, PROV, RDF, RDFS, SKOS, XSD

from .prefixes import PROJECT

CLASTO = Namespace(PROJECT["clasto"])
CF = Namespace(PROJECT["cf"])
CE = Namespace(PROJECT["ce"])
CX = Namespace(PROJECT["cx"])
OBO = Namespace("http://purl.obolibrary.org/obo/")
BIOLINK = Namespace("https://w3id.org/biolink/vocab/")
PUBMED = Namespace("https://identifiers.org/pubmed/")
DOI = Namespace("https://doi.org/")

BASE = "https://w3id.org/clastordf/"
DATASET_IRI = BASE + "dataset"
REVIEW_IRI = DOI["10.7554/eLife.95083"]
#: Where the named graphs of the dataset's versions live (see :func:`dataset_graph`).
GRAPH_BASE = BASE + "graph/"

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
    return GRAPH_BASE + version


PREFIXES = {
    "rdf": str(RDF),
    "rdfs": str(RDFS),
    "owl": str(OWL),
    "xsd": str(XSD),
    "skos": str(SKOS),
    "dcterms": str(DCTERMS),
    "prov": str(PROV),
    "obo": str(OBO),
    "biolink": str(BIOLINK),
    "clasto": str(CLASTO),
    "cf": str(CF),
    "ce": str(CE),
    "cx": str(CX),
    "uniprot": "https://identifiers.org/uniprot/",
    "ncbigene": "https://identifiers.org/ncbigene/",
    "hgnc": "https://identifiers.org/hgnc/",
    "ensembl": "https://identifiers.org/ensembl/",
    "mgi": "https://identifiers.org/mgi/",
    "mirbase.mature": "https://identifiers.org/mirbase.mature/",
    "mirbase": "https://identifiers.org/mirbase/",
    "pubmed": str(PUBMED),
    "doi": str(DOI),
    "void": "http://rdfs.org/ns/void#",
    "dcat": "http://www.w3.org/ns/dcat#",
    "pav": "http://purl.org/pav/",
}
