"""The dataset's Turtle dump re-expressed as N-Triples (gzipped) and JSON-LD, byte for byte the same
every time.

Both are made by streaming the deterministic Turtle the build wrote, so the three dumps hold the same
triples by construction. Parsers label blank nodes at random; here they are renamed ``_:b0``,
``_:b1`` … in order of first appearance in the (deterministic) Turtle, which makes the output stable.
"""

from __future__ import annotations

import gzip
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph

from ..vocab import PrefixMap

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
RDF_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"

#: A term of a dump: an IRI or literal as pyoxigraph parsed it, or a blank node as its stable label
#: (``"_:b0"``).
Term = pyoxigraph.NamedNode | pyoxigraph.Literal | str


@dataclass
class Triples:
    """Every triple of a dump, in document order, with stable blank node labels."""

    rows: list[tuple[Term, pyoxigraph.NamedNode, Term]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.rows)


def read_turtle(path: Path) -> Triples:
    """Parse a Turtle file, renaming blank nodes in order of first appearance.

    Raises ``ValueError`` naming the file and the parser's position on a syntax error.
    """
    labels: dict[str, str] = {}

    def term(node):
        if isinstance(node, pyoxigraph.BlankNode):
            return labels.setdefault(node.value, f"_:b{len(labels)}")
        return node

    out = Triples()
    try:
        for triple in pyoxigraph.parse(path=str(path), format=pyoxigraph.RdfFormat.TURTLE):
            out.rows.append((term(triple.subject), triple.predicate, term(triple.object)))
    except SyntaxError as err:
        raise ValueError(f"{path}: not valid Turtle: {err}") from None
    return out


def ntriples_lines(triples: Triples) -> Iterator[str]:
    """One N-Triples line per triple, in the dump's order."""
    for s, p, o in triples.rows:
        yield f"{s} {p} {o} .\n"


def write_ntriples_gz(triples: Triples, target: Path) -> None:
    """Gzipped N-Triples with no timestamp or file name in the gzip header (reproducible bytes)."""
    with (
        target.open("wb") as raw,
        gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as gz,
        io.TextIOWrapper(gz, encoding="utf-8", newline="\n") as text,
    ):
        for line in ntriples_lines(triples):
            text.write(line)


class JsonLdContext:
    """A JSON-LD context of prefix definitions, and compaction of IRIs with it.

    >>> ctx = JsonLdContext({"cf": "https://w3id.org/clastordf/fact/"})
    >>> ctx.compact("https://w3id.org/clastordf/fact/CF0100")
    'cf:CF0100'
    >>> ctx.compact("https://example.org/x")
    'https://example.org/x'
    """

    def __init__(self, prefixes: dict[str, str]):
        self.names = PrefixMap(prefixes)
        self.prefixes = self.names.prefixes

    def document(self) -> dict:
        """The published context file: ``{"@context": {prefix: namespace, …}}``."""
        return {"@context": dict(self.prefixes)}

    def compact(self, iri: str) -> str:
        # A local part starting with "//" would read as an absolute IRI of scheme "prefix".
        return self.names.compact(iri, lambda local: not local.startswith("//")) or iri


def _jsonld_value(node: Term, context: JsonLdContext) -> dict | str:
    if isinstance(node, str):
        return {"@id": node}
    if isinstance(node, pyoxigraph.NamedNode):
        return {"@id": context.compact(node.value)}
    datatype = node.datatype.value
    if node.language:
        return {"@value": node.value, "@language": node.language}
    if datatype == XSD_STRING:
        return node.value
    # Typed literals keep their lexical form (a JSON number could change it, e.g. "1.0").
    return {"@value": node.value, "@type": context.compact(datatype)}


def _value_key(value: dict | str) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def jsonld_document(triples: Triples, context: JsonLdContext) -> dict:
    """A flat JSON-LD document (``@graph`` of node objects) with the context inline.

    Nodes come in the dump's subject order; properties and values are sorted, so the same triples
    always give the same document. ``rdf:type`` with IRI values is written as ``@type``.
    """
    nodes: dict[str, dict[str, list]] = {}
    for s, p, o in triples.rows:
        subject = s if isinstance(s, str) else context.compact(s.value)
        props = nodes.setdefault(subject, {})
        if p.value == RDF_TYPE and isinstance(o, pyoxigraph.NamedNode):
            props.setdefault("@type", []).append(context.compact(o.value))
        else:
            props.setdefault(context.compact(p.value), []).append(_jsonld_value(o, context))
    graph = []
    for subject, props in nodes.items():
        node: dict = {"@id": subject}
        if "@type" in props:
            node["@type"] = sorted(set(props.pop("@type")))
        for key in sorted(props):
            values = {_value_key(v): v for v in props[key]}
            node[key] = [values[k] for k in sorted(values)]
        graph.append(node)
    return {**context.document(), "@graph": graph}


def jsonld_text(document: dict) -> str:
    """JSON text with one indentation step per level and a final newline."""
    return json.dumps(document, ensure_ascii=False, indent=1) + "\n"
