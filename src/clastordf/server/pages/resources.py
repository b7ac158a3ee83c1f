"""Resources: every IRI under ``config.base`` dereferences at the path after the base
(``/fact/CF0200``), and IRIs outside the base that the store describes (genes, ontology terms,
publications) at ``/entity?iri=…`` (``/term`` is an alias), so every link on the site stays on this
server. HTML for browsers, RDF by ``Accept`` (q-values honoured) or by extension (``.ttl .jsonld .nt
.rdf``), with ``Link: rel="alternate"`` headers and ``Vary: Accept``. The page fits the resource's type:
fact, claim, evidence line, or any other resource.
"""

from __future__ import annotations

import pyoxigraph as ox
from flask import Response, redirect, render_template, request

from ...vocab import CLASTO
from ..context import state
from ..linkeddata import RDF_TYPE, RdfFormat, Site, split_extension, valid_iri
from ..security import same_origin_path
from . import data
from .common import (
    absolute,
    answer,
    finish,
    not_found,
    packed,
    page_blueprint,
    page_pack,
    rdf_alternates,
    rdf_response,
    site,
    wanted_format,
)
from .void import graph_triples, named_graphs


def packed_page() -> Response | None:
    """``before_request``: the page pack's answer to a request it holds the page of, without running
    the view, when the view would take the pack's page: ``/entity?iri=…`` (the pack holds no IRI
    under the base there, so no redirect), and a resource's own path without an extension (the pack
    holds only IRIs the store describes, so the path is not split). Any other request goes on to the
    view, which looks in the pack once it has negotiated (:func:`.common.answer`)."""
    if page_pack() is None:
        return None
    if request.endpoint == "resources.entity":
        return packed("entity", request.args.get("iri", "").strip(), wanted_format())
    if request.endpoint == "resources.resource" and request.view_args:
        return packed("path", state().config.base + request.view_args["rest"], wanted_format())
    return None


bp = page_blueprint("resources", __name__, first=packed_page)
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"


def description(s: Site, iri: str) -> list[ox.Triple]:
    """What we publish about a resource: its concise bounded description; a fact also brings its
    claims (so one fetch gives the claims' subjects, predicates and evidence links); a release's
    named graph is described by the server."""
    triples = s.cbd(iri)
    if data.is_fact(s, iri):
        for claim in s.iris(iri, str(CLASTO) + "hasClaim"):
            triples.extend(s.cbd(claim))
    if not triples and iri in named_graphs(s):
        triples = graph_triples(s, iri, data.dataset_node(s), absolute(s.script_root + "/sparql"))
    return triples


def render_resource(iri: str, fmt: RdfFormat | None, alternates: list[tuple[str, str]]) -> Response:
    """The one view behind every resource URL: RDF, or the page that fits the resource's type."""
    s = site()
    if not valid_iri(iri):
        return not_found(fmt, iri)
    triples = description(s, iri)
    if not triples and not s.is_mentioned(iri):
        return not_found(fmt, iri)
    if fmt is not None:
        return rdf_response(triples, fmt, alternates)
    types = {
        t.object.value
        for t in triples
        if t.subject == ox.NamedNode(iri) and t.predicate.value == RDF_TYPE and not isinstance(t.object, ox.Triple)
    }
    common = {"iri": iri, "alternates": alternates}
    if types & set(data.FACT_TYPES):
        html = render_template("fact.html", fact=data.fact(s, iri), **common)
    elif str(CLASTO) + "Claim" in types:
        html = render_template("claim.html", claim=data.claim(s, iri), **common)
    elif str(CLASTO) + "EvidenceLine" in types:
        claims = [
            data.claim(s, c)
            for c in sorted(
                set(s.subjects(str(CLASTO) + "supportedBy", iri)) | set(s.subjects(str(CLASTO) + "disputedBy", iri))
            )
        ]
        html = render_template("evidence.html", ev=data.evidence(s, iri), claims=claims, **common)
    else:
        html = render_template("resource.html", r=_resource_view(s, iri, types, triples), **common)
    return finish(Response(html, mimetype="text/html"), alternates)


def _resource_view(s: Site, iri: str, types: set[str], triples: list[ox.Triple]) -> dict:
    """Entities (genes, small molecules, miRNAs, complexes), ontology terms, publications, datasets."""
    sk = "http://www.w3.org/2004/02/skos/core#"
    rdfs = "http://www.w3.org/2000/01/rdf-schema#"
    kind = _kind(s, iri, types)
    inbound = sorted(
        {
            (q.subject.value, q.predicate.value)
            for q in s.store.quads_for_pattern(None, None, ox.NamedNode(iri))
            if isinstance(q.subject, ox.NamedNode)
        }
    )
    return {
        "kind": kind,
        "kicker": kind if kind.startswith("miRNA") else kind[:1].upper() + kind[1:],
        "types": sorted(types),
        "label": next(
            (
                t.object.value
                for t in triples
                if t.subject == ox.NamedNode(iri)
                and t.predicate.value == RDFS_LABEL
                and not isinstance(t.object, ox.Triple)
            ),
            None,
        )
        or s.label(iri),
        "curie": s.curie(iri),
        "alt_labels": sorted(set(s.literals(iri, sk + "altLabel"))),
        "definition": s.literal(iri, data.DEFINITION) or s.literal(iri, sk + "definition"),
        "comment": s.literal(iri, rdfs + "comment"),
        "description": s.literal(iri, "http://purl.org/dc/terms/description"),
        "identifiers": s.iris(iri, sk + "exactMatch"),
        "genes": s.iris(iri, data.GENE_PRODUCT_OF),
        "orthologs": s.iris(iri, data.ORTHOLOG) + s.subjects(data.ORTHOLOG, iri),
        "taxa": s.iris(iri, data.IN_TAXON),
        "subunits": s.iris(iri, data.HAS_PART),
        "complexes": s.subjects(data.HAS_PART, iri),
        "parents": s.iris(iri, rdfs + "subClassOf"),
        "children": s.subjects(rdfs + "subClassOf", iri),
        "publication": data.publication(s, iri) if kind == "publication" else None,
        "cited_by": s.subjects("http://purl.org/dc/terms/source", iri),
        "usage": [(u.fact, sorted({data.role_name(s, p, via) for p, via in u.roles})) for u in data.usage(s, iri)],
        "statements": [(_term(t.subject), t.predicate.value, _term(t.object)) for t in triples],
        "inbound": inbound[:100],
        "inbound_total": len(inbound),
        "external": iri if not iri.startswith(s.base) else None,
    }


def _kind(s: Site, iri: str, types: set[str]) -> str:
    """What the page calls the resource (its heading's kicker; ``resource`` for anything else)."""
    if data.COMPLEX in types:
        return "complex"
    if str(CLASTO) + "GeneProduct" in types:
        return "gene product"
    if data.MATURE_MIRNA in types:
        return "miRNA"
    if data.PRE_MIRNA in types:
        return "miRNA precursor"
    if "http://rdfs.org/ns/void#Dataset" in types:
        return "dataset"
    if iri.startswith(data.PATHWAY):  # before publications: link records name it as their source
        return "WikiPathways pathway"
    if iri.startswith(data.PUBMED) or s.subjects("http://purl.org/dc/terms/source", iri):
        return "publication"
    if "http://www.w3.org/2002/07/owl#Class" in types:
        return "ontology term"
    return "resource"


def _term(term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple) -> tuple[str, str]:
    """(kind, text) of an RDF term for the statements table: ``iri``, ``bnode``, ``literal`` or ``triple``."""
    if isinstance(term, ox.NamedNode):
        return "iri", term.value
    if isinstance(term, ox.BlankNode):
        return "bnode", "_:" + term.value[:8]
    if isinstance(term, ox.Triple):  # an RDF 1.2 triple term (the data has none): shown as N-Triples
        return "triple", str(term)
    return "literal", term.value


@bp.get("/entity")
@bp.get("/term")
def entity():
    """Any IRI the store describes, e.g. ``/entity?iri=https://identifiers.org/uniprot/Q9NYA1``;
    IRIs under the base are redirected to their own path."""
    iri = request.args.get("iri", "").strip()
    fmt = wanted_format()
    if not iri:
        return not_found(fmt, "an empty IRI (use ?iri=…)")
    local = site().local_path(iri)
    if local is not None and same_origin_path(local):
        return redirect(local, code=303)
    alternates = rdf_alternates(lambda e: site().entity_path(iri, **({"format": e} if e else {})))
    return answer("entity", iri, fmt, lambda: render_resource(iri, fmt, alternates))


@bp.get("/<path:rest>")
def resource(rest: str):
    """Dereference ``base + rest``. An extension picks the format when the IRI itself has none."""
    base = state().config.base
    s = site()
    name, ext = rest, None
    if not valid_iri(base + rest) or not s.is_mentioned(base + rest):
        name, ext = split_extension(rest)
    iri = base + name
    fmt = wanted_format(ext)
    local = s.local_path(iri) if valid_iri(iri) else None  # under the base: None only for a rest starting with /
    path = local if local is not None else s.script_root + "/" + name
    alternates = rdf_alternates(lambda e: path + (f".{e}" if e else ""))
    return answer("path", iri, fmt, lambda: render_resource(iri, fmt, alternates))
