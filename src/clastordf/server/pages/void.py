"""Descriptions the server makes itself, not found as such in the store: the VoID description at
``/.well-known/void`` and the description of a release's named graph (``/graph/{version}``).

Both point at this server's URLs (endpoint, dumps), so they are built per request from absolute URLs.
"""

from __future__ import annotations

import pyoxigraph as ox
from flask import request, url_for

from ...vocab import CLASTO, NAMESPACES, VOCAB_IRI, prefix_map
from ..context import state
from ..linkeddata import BY_EXT, DCTERMS, RDF_FORMATS, RDF_TYPE, RDFS, Site, negotiate
from . import data
from .common import absolute, counts, page_blueprint, rdf_response, served_files, site

bp = page_blueprint("void", __name__)

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


@bp.get("/.well-known/void")
def index():
    """The VoID description (Turtle unless another RDF format is asked for)."""
    s = site()
    fmt = BY_EXT.get(request.args.get("format", "").lower()) or negotiate(request.accept_mimetypes, offer_html=False)
    dataset = data.dataset_node(s) or state().config.base + "dataset"
    downloads = [d for d in served_files() if d.is_rdf]
    examples = [
        r["x"]
        for r in s.query(
            f"SELECT (MIN(?f) AS ?x) WHERE {{ VALUES ?t {{ <{CLASTO}ClastokineFact> <{CLASTO}EvidenceLine> "
            f"<{data.COMPLEX}> }} ?f a ?t }} GROUP BY ?t"
        )
        if "x" in r
    ]
    triples = void_triples(
        s,
        dataset,
        triples=counts()["triples"],
        endpoint=absolute(s.script_root + "/sparql"),
        dumps=[absolute(url_for("downloads.download", name=d.name)) for d in downloads],
        homepage=absolute(url_for("home.index")),
        examples=sorted(examples),
    )
    alternates = [(url_for("void.index", format=f.ext), f.media_type) for f in RDF_FORMATS]
    return rdf_response(triples, fmt or RDF_FORMATS[0], alternates)
