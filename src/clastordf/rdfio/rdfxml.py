"""A deterministic RDF/XML writer, for the OWL release that owlready2, HermiT and other OWL tools read.

Like :mod:`clastordf.rdfio.turtle` it sorts everything and nests blank nodes (restrictions as nested
``rdf:Description``, lists as ``rdf:parseType="Collection"``), so the same graph gives the same bytes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from xml.sax.saxutils import escape, quoteattr

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, XSD

from ..vocab import PrefixMap
from .rdftree import Node, SubjectTree

_NCNAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")


class RdfXmlWriter:
    def __init__(self, prefixes: dict[str, str]):
        self.prefixes = dict(prefixes)
        self.prefixes.setdefault("rdf", str(RDF))
        self.names = PrefixMap(self.prefixes)

    def qname(self, iri: URIRef) -> str:
        """The element name of a property; unknown namespaces get an ``nsN`` prefix."""
        text = str(iri)
        name = self.names.compact(text, lambda local: bool(_NCNAME.match(local)))
        if name:
            return name
        cut = max(text.rfind("#"), text.rfind("/")) + 1
        ns, local = text[:cut], text[cut:]
        if not _NCNAME.match(local):
            raise ValueError(f"property IRI {text} has no XML element name")
        prefix = f"ns{len(self.prefixes)}"
        self.prefixes[prefix] = ns
        self.names = PrefixMap(self.prefixes)
        return f"{prefix}:{local}"

    def _property(self, tree: SubjectTree, p: URIRef, o: Node, indent: str) -> list[str]:
        name = self.qname(p)
        if isinstance(o, Literal):
            attrs = ""
            if o.language:
                attrs = f" xml:lang={quoteattr(o.language)}"
            elif o.datatype and o.datatype != XSD.string:
                attrs = f" rdf:datatype={quoteattr(str(o.datatype))}"
            return [f"{indent}<{name}{attrs}>{escape(str(o))}</{name}>"]
        if isinstance(o, URIRef):
            return [f"{indent}<{name} rdf:resource={quoteattr(str(o))}/>"]
        if o not in tree.inline:
            raise TypeError(f"blank nodes are only written inline: {o!r}")
        items = tree.as_list(o)
        if items is not None:
            lines = [f'{indent}<{name} rdf:parseType="Collection">']
            for item in items:
                if isinstance(item, URIRef):  # described at the top level, only named here
                    lines.append(f"{indent}  <rdf:Description rdf:about={quoteattr(str(item))}/>")
                else:
                    lines += self._node(tree, item, indent + "  ")
            return lines + [f"{indent}</{name}>"]
        return [f"{indent}<{name}>", *self._node(tree, o, indent + "  "), f"{indent}</{name}>"]

    def _node(self, tree: SubjectTree, node: Node, indent: str) -> list[str]:
        if isinstance(node, Literal):
            raise TypeError(f"a literal cannot be a list member in RDF/XML: {node!r}")
        about = "" if isinstance(node, BNode) else f" rdf:about={quoteattr(str(node))}"
        preds = tree.by_subject.get(node, {})
        if not preds:
            return [f"{indent}<rdf:Description{about}/>"]
        body: list[tuple[bool, str, str, list[str]]] = []
        for p, objects in preds.items():
            for o in objects:
                lines = self._property(tree, p, o, indent + "  ")
                body.append((p != RDF.type, str(p), "\n".join(lines), lines))
        out = [f"{indent}<rdf:Description{about}>"]
        for *_, lines in sorted(body, key=lambda b: b[:3]):
            out += lines
        return out + [f"{indent}</rdf:Description>"]

    def write(self, triples: Iterable[tuple]) -> str:
        tree = SubjectTree.of(triples)
        # Name unknown namespaces in a fixed order, whatever order the graph yields its triples in.
        for p in sorted({p for preds in tree.by_subject.values() for p in preds}):
            self.qname(p)
        blocks = []
        for s in tree.top_subjects():
            lines = self._node(tree, s, "  ")
            blocks.append(("~" + "\n".join(lines) if isinstance(s, BNode) else str(s), lines))
        body = [line for _, lines in sorted(blocks, key=lambda b: b[0]) for line in lines]
        namespaces = "".join(f"\n    xmlns:{p}={quoteattr(ns)}" for p, ns in sorted(self.prefixes.items()))
        header = f'<?xml version="1.0" encoding="utf-8"?>\n<rdf:RDF{namespaces}>\n'
        return header + "\n".join(body) + "\n</rdf:RDF>\n"


def serialize_rdfxml(graph: Graph, prefixes: dict[str, str]) -> str:
    """Serialize a graph to deterministic RDF/XML text."""
    return RdfXmlWriter(prefixes).write(graph)
