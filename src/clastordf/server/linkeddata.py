"""Linked-data plumbing shared by the pages: IRI <-> path mapping, labels, concise bounded
descriptions from the store, RDF serialisation and content negotiation.

Everything here reads the server's read-only store with trusted, fixed query shapes; user input only
ever becomes an IRI (a :class:`pyoxigraph.NamedNode`), never query text. The store is the embedded
:class:`pyoxigraph.Store` or a :class:`~.backend.RemoteStore`, which answers the same calls
(:class:`~.store.ReadOnlyStore`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import quote, urlencode

import pyoxigraph as ox
from werkzeug.datastructures import MIMEAccept

from ..vocab import BASE, NAMESPACES, PREFIXES, PROJECT, PrefixMap, compress
from .backend import RemoteStore
from .store import ReadOnlyStore

RDF_TYPE = NAMESPACES["rdf"] + "type"
RDFS = NAMESPACES["rdfs"]
SKOS = NAMESPACES["skos"]
DCTERMS = NAMESPACES["dcterms"]
OBO = NAMESPACES["obo"]
LABEL = RDFS + "label"
PREF_LABEL = SKOS + "prefLabel"
TITLE = "http://purl.org/dc/terms/title"


@dataclass(frozen=True)
class RdfFormat:
    """One RDF serialisation we offer: file extension, media type, pyoxigraph format."""

    ext: str
    media_type: str
    oxformat: ox.RdfFormat
    name: str


#: The RDF formats, in the order a tie (``Accept: */*`` aside) is broken.
RDF_FORMATS: tuple[RdfFormat, ...] = (
    RdfFormat("ttl", "text/turtle", ox.RdfFormat.TURTLE, "Turtle"),
    RdfFormat("jsonld", "application/ld+json", ox.RdfFormat.JSON_LD, "JSON-LD"),
    RdfFormat("nt", "application/n-triples", ox.RdfFormat.N_TRIPLES, "N-Triples"),
    RdfFormat("rdf", "application/rdf+xml", ox.RdfFormat.RDF_XML, "RDF/XML"),
)
BY_EXT = {f.ext: f for f in RDF_FORMATS}
BY_MEDIA_TYPE = {f.media_type: f for f in RDF_FORMATS}
HTML = "text/html"


def _plain_local(local: str) -> bool:
    return local != "" and "/" not in local


@lru_cache(maxsize=8)
def page_names(base: str) -> PrefixMap:
    """The prefixes pages name things with: the data's (:data:`clastordf.vocab.PREFIXES`) and the
    project's own under the base this server answers for. Not ``obo:``: an OBO term is named by its
    ontology's CURIE (``GO:0001649``), and an OBO IRI outside the ontologies we know keeps its IRI.

    >>> page_names("http://example.org/c/").compact("http://example.org/c/fact/CF0200")
    'cf:CF0200'
    """
    ours = {p: base + ns.removeprefix(BASE) for p, ns in PROJECT.items()}
    return PrefixMap({**{p: ns for p, ns in PREFIXES.items() if p != "obo"}, **ours})


def negotiate(accept: MIMEAccept, offer_html: bool = True) -> RdfFormat | None:
    """The RDF format the client prefers, or ``None`` for HTML (also when nothing matches: browsers
    and ``Accept: */*`` get the page). q-values are honoured by werkzeug's ``best_match``."""
    offers = ([HTML] if offer_html else []) + [f.media_type for f in RDF_FORMATS]
    best = accept.best_match(offers)
    if best is None and not offer_html:
        return RDF_FORMATS[0]
    return BY_MEDIA_TYPE.get(best or HTML)


def split_extension(rest: str) -> tuple[str, RdfFormat | None | str]:
    """``fact/CF0200.ttl`` -> (``fact/CF0200``, Turtle); ``.html`` -> (…, ``"html"``); else (rest, None)."""
    stem, dot, ext = rest.rpartition(".")
    if dot and "/" not in ext:
        if ext in BY_EXT:
            return stem, BY_EXT[ext]
        if ext == "html":
            return stem, "html"
    return rest, None


def web_url(url: str) -> str | None:
    """``url`` if it is an ``http(s)`` URL, which a page may link to; else ``None`` (a ``javascript:``
    or ``data:`` IRI in the data or in a query's answer is shown as text, never followed).

    >>> web_url("https://example.org/x"), web_url("HTTP://example.org"), web_url("javascript:alert(1)")
    ('https://example.org/x', 'HTTP://example.org', None)
    """
    return url if url[:8].lower().startswith(("http://", "https://")) else None


def valid_iri(iri: str) -> bool:
    """Whether ``iri`` is an absolute IRI pyoxigraph accepts (user input is checked before any lookup)."""
    try:
        ox.NamedNode(iri)
    except ValueError:
        return False
    return ":" in iri


def serialize(triples: Iterable[ox.Triple], fmt: RdfFormat) -> bytes:
    """Serialise triples; Turtle and RDF/XML get the usual prefixes (N-Triples and JSON-LD stay plain).
    The project prefixes are the data's own namespaces, whatever base this server answers for; they
    come sorted, as in the dataset's own Turtle."""
    triples = list(triples)
    prefixes = None
    if fmt.oxformat in (ox.RdfFormat.TURTLE, ox.RdfFormat.RDF_XML):
        used = {
            term.value for t in triples for term in (t.subject, t.predicate, t.object) if isinstance(term, ox.NamedNode)
        } | {t.object.datatype.value for t in triples if isinstance(t.object, ox.Literal)}
        prefixes = {p: ns for p, ns in sorted(PREFIXES.items()) if any(v.startswith(ns) for v in used)}
    body = ox.serialize(triples, format=fmt.oxformat, prefixes=prefixes)
    assert body is not None  # given no output, pyoxigraph returns the bytes
    return body


def _value(term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple) -> str:
    """A term's value; a triple term (RDF 1.2, which the data does not use) as N-Triples."""
    return str(term) if isinstance(term, ox.Triple) else term.value


def _sort_key(term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple) -> tuple[int, str]:
    return (0 if isinstance(term, ox.NamedNode) else 1 if isinstance(term, ox.Literal) else 2, _value(term))


#: NCBI Taxonomy's unique names disambiguate a name shared by several taxa in angle brackets.
_UNIQUE_NAME = re.compile(r"^(.+?) <([^<>]+)>$")


@dataclass
class Site:
    """The store seen from one request: labels and paths, memoised for the request's lifetime.

    ``script_root`` is the WSGI mount point, so links stay right behind a path-prefixing proxy.
    """

    store: ReadOnlyStore
    base: str
    script_root: str = ""
    _labels: dict[str, str] = field(default_factory=dict)
    _known: dict[str, bool] = field(default_factory=dict)

    # -- reading ---------------------------------------------------------------------------------
    def objects(
        self, subject: str | ox.BlankNode, predicate: str
    ) -> list[ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple]:
        """Distinct objects of (subject, predicate), IRIs first, then literals, sorted."""
        s = ox.NamedNode(subject) if isinstance(subject, str) else subject
        found = {q.object for q in self.store.quads_for_pattern(s, ox.NamedNode(predicate), None)}
        return sorted(found, key=_sort_key)

    def iris(self, subject: str, predicate: str) -> list[str]:
        """IRI objects of (subject, predicate) as strings."""
        return [o.value for o in self.objects(subject, predicate) if isinstance(o, ox.NamedNode)]

    def literal(self, subject: str, predicate: str) -> str | None:
        """One literal value (English or untagged preferred), or ``None``."""
        values = [o for o in self.objects(subject, predicate) if isinstance(o, ox.Literal)]
        values.sort(key=lambda lit: (lit.language not in (None, "en"), lit.value))
        return values[0].value if values else None

    def literals(self, subject: str, predicate: str) -> list[str]:
        """All literal values of (subject, predicate)."""
        return [o.value for o in self.objects(subject, predicate) if isinstance(o, ox.Literal)]

    def subjects(self, predicate: str, obj: str) -> list[str]:
        """IRI subjects of (?, predicate, obj), sorted."""
        found = {
            q.subject.value
            for q in self.store.quads_for_pattern(None, ox.NamedNode(predicate), ox.NamedNode(obj))
            if isinstance(q.subject, ox.NamedNode)
        }
        return sorted(found)

    def types(self, iri: str) -> set[str]:
        """The ``rdf:type`` IRIs of a node."""
        return set(self.iris(iri, RDF_TYPE))

    def is_subject(self, iri: str) -> bool:
        """Whether the store says anything about ``iri`` (memoised)."""
        if iri not in self._known:
            self._known[iri] = next(iter(self.store.quads_for_pattern(ox.NamedNode(iri), None, None)), None) is not None
        return self._known[iri]

    def is_mentioned(self, iri: str) -> bool:
        """Whether ``iri`` occurs in the store as subject or object."""
        node = ox.NamedNode(iri)
        if self.is_subject(iri):
            return True
        if isinstance(self.store, RemoteStore):  # one ASK rather than every triple that points at it
            return self.store.contains(None, None, node)
        return next(iter(self.store.quads_for_pattern(None, None, node)), None) is not None

    def query(self, sparql: str) -> list[dict[str, str]]:
        """Run a trusted SELECT over the union of graphs; rows as ``{var: value}`` (unbound left out)."""
        solutions = self.store.query(sparql, use_default_graph_as_union=True)
        assert isinstance(solutions, ox.QuerySolutions)  # a SELECT
        names = [v.value for v in solutions.variables]
        return [{n: row[n].value for n in names if row[n] is not None} for row in solutions]

    def count(self, sparql: str) -> int:
        """The ``?n`` of a one-row COUNT query."""
        rows = self.query(sparql)
        return int(rows[0].get("n", 0)) if rows else 0

    # -- naming ----------------------------------------------------------------------------------
    def curie(self, iri: str) -> str:
        """A short name: an identifier's CURIE (``GO:0001649``, ``HGNC:31591``), else a prefixed name
        (:func:`page_names`; a local part with a ``/`` reads as a path, so not those), else the IRI."""
        return compress(iri) or page_names(self.base).compact(iri, _plain_local) or iri

    def label(self, iri: str) -> str:
        """``rdfs:label``, ``skos:prefLabel`` (English preferred) or ``dcterms:title``, else the CURIE; an NCBI Taxonomy
        unique name, ``Vertebrata <vertebrates>``, reads ``Vertebrata (vertebrates)``."""
        if iri not in self._labels:
            found = (
                self.literal(iri, LABEL) or self.literal(iri, PREF_LABEL) or self.literal(iri, TITLE) or self.curie(iri)
                if iri
                else ""
            )
            self._labels[iri] = _UNIQUE_NAME.sub(r"\1 (\2)", found)
        return self._labels[iri]

    def local_path(self, iri: str) -> str | None:
        """This server's path for an IRI under the base (``…/vocab#X`` -> ``/vocab#X``), else ``None``.

        Not for an IRI whose rest starts with ``/`` (``BASE/evil.example/x``): its path,
        ``//evil.example/x``, is another host's URL to a browser."""
        if not iri.startswith(self.base):
            return None
        rest = iri[len(self.base) :]
        if rest.startswith("/"):
            return None
        return self.script_root + "/" + quote(rest, safe="/#:@-._~!$&'()*+,;=")

    def href(self, iri: str) -> str | None:
        """Where a link to ``iri`` should point so the site stays browsable wherever it runs:
        under the base -> its own path; described in the store -> the ``/entity`` page; else the IRI
        itself if it is an http(s) URL, and ``None`` (no link: shown as text) for any other."""
        local = self.local_path(iri)
        if local is not None:
            return local
        if self.is_subject(iri):
            return self.entity_path(iri)
        return web_url(iri)

    def entity_path(self, iri: str, **params: str) -> str:
        """The ``/entity?iri=…`` path of any IRI (for IRIs that are not under the base)."""
        return self.script_root + "/entity?" + urlencode({"iri": iri, **params})

    # -- describing ------------------------------------------------------------------------------
    def cbd(self, iri: str) -> list[ox.Triple]:
        """The concise bounded description: every triple with ``iri`` as subject, following blank
        node objects recursively (OWL restrictions, RDF lists). Duplicates across graphs removed."""
        if isinstance(self.store, RemoteStore):  # a remote blank node cannot be looked up one query later
            triples = self.store.cbd(iri)
        else:
            triples = self._cbd_by_lookups(iri)
        out = {(t.subject, t.predicate, t.object): t for t in triples}
        return sorted(out.values(), key=lambda t: (_value(t.subject), t.predicate.value, _sort_key(t.object)))

    def _cbd_by_lookups(self, iri: str) -> list[ox.Triple]:
        out: list[ox.Triple] = []
        todo: list[ox.NamedNode | ox.BlankNode] = [ox.NamedNode(iri)]
        seen: set[ox.NamedNode | ox.BlankNode] = set()
        while todo:
            node = todo.pop()
            if node in seen:
                continue
            seen.add(node)
            for quad in self.store.quads_for_pattern(node, None, None):
                out.append(quad.triple)
                if isinstance(quad.object, ox.BlankNode):
                    todo.append(quad.object)
        return out
