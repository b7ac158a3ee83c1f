"""Descriptions the server makes itself, not found as such in the store: the VoID description at
``/.well-known/void`` and the description of a release's named graph (``/graph/{version}``).

Both point at this server's URLs (endpoint, dumps), so they are built per request from absolute URLs.
"""

from __future__ import annotations

import pyoxigraph as ox

from ..vocab import NAMESPACES, VOCAB_IRI, prefix_map
from .linkeddata import DCTERMS, RDF_TYPE, RDFS, Site

VOID = NAMESPACES["void"]
SD = NAMESPACES["sd"]
FOAF = NAMESPACES["foaf"]
XSD_INTEGER = ox.NamedNode(NAMESPACES["xsd"] + "integer")
#: Vocabularies the data uses (``void:vocabulary``): its own and the ones whose terms it states with.
VOCABULARIES = (
    str(VOCAB_IRI),
    *prefix_map("rdfs", "owl", "skos", "dcterms", "prov", "pav", "biolink").values(),
    NAMESPACES["obo"] + "ro.owl",
)


def _n(iri: str) -> ox.NamedNode:
    return ox.NamedNode(iri)


def _int(n: int) -> ox.Literal:
    return ox.Literal(str(n), datatype=XSD_INTEGER)


def void_triples(
    site: Site, dataset: str, *, triples: int, endpoint: str, dumps: list[str], homepage: str, examples: list[str]
) -> list[ox.Triple]:
    """The dataset node's own description from the store, plus what only the server knows: size,
    endpoint, dump URLs, this server's URI space, example resources and vocabularies."""
    d = _n(dataset)
    out = list(site.cbd(dataset))
    extra: list[tuple[str, ox.NamedNode | ox.Literal]] = [
        (RDF_TYPE, _n(VOID + "Dataset")),
        (VOID + "triples", _int(triples)),
        (VOID + "sparqlEndpoint", _n(endpoint)),
        (FOAF + "homepage", _n(homepage)),
    ]
    if not site.literals(dataset, VOID + "uriSpace"):  # the data's own statement wins: it is about its IRIs
        extra.append((VOID + "uriSpace", ox.Literal(site.base)))
    extra += [(VOID + "dataDump", _n(url)) for url in dumps]
    extra += [(VOID + "exampleResource", _n(iri)) for iri in examples]
    extra += [(VOID + "vocabulary", _n(iri)) for iri in VOCABULARIES]
    if not site.iris(dataset, DCTERMS + "license"):
        extra.append((DCTERMS + "license", _n("http://creativecommons.org/publicdomain/zero/1.0/")))
    have = {(t.predicate, t.object) for t in out}
    for p, o in extra:
        if (_n(p), o) not in have:
            out.append(ox.Triple(d, _n(p), o))
    return out


def named_graphs(site: Site) -> list[str]:
    """The store's named graphs (one per loaded release)."""
    return sorted(g.value for g in site.store.named_graphs() if isinstance(g, ox.NamedNode))


def graph_triples(site: Site, graph: str, dataset: str | None, endpoint: str) -> list[ox.Triple]:
    """A named graph described: its size, what it holds and where to query it."""
    g = _n(graph)
    n = site.count(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")
    out = [
        ox.Triple(g, _n(RDF_TYPE), _n(SD + "Graph")),
        ox.Triple(g, _n(RDFS + "label"), ox.Literal("named graph holding one release of clastordf", language="en")),
        ox.Triple(g, _n(VOID + "triples"), _int(n)),
        ox.Triple(g, _n(RDFS + "seeAlso"), _n(endpoint)),
    ]
    if dataset:
        out.append(ox.Triple(g, _n(DCTERMS + "source"), _n(dataset)))
    return out
