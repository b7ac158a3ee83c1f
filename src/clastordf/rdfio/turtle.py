"""A deterministic Turtle writer.

rdflib's serializer does not promise a stable order and is slow on large graphs; this writer sorts
subjects, predicates and objects, uses prefixed names only where they round-trip, and writes blank
nodes only inline (``[ … ]`` and ``( … )``, as OWL restrictions and lists use them), so the same graph
always gives the same bytes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, XSD

from ..vocab import PrefixMap
from .rdftree import Node, SubjectTree

_LOCAL = re.compile(r"^[A-Za-z0-9_]([A-Za-z0-9_.-]*[A-Za-z0-9_-])?$")
_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}
#: Where a top-level subject's block goes in the file: lower ranks first.
SubjectRank = Callable[[Node], int]


def _escape(text: str) -> str:
    return "".join(_ESCAPES.get(ch, ch) for ch in text)


class TurtleWriter:
    def __init__(self, prefixes: dict[str, str]):
        self.names = PrefixMap(prefixes)
        self.prefixes = self.names.prefixes

    def iri(self, iri: URIRef) -> str:
        if iri == RDF.type:
            return "a"
        name = self.names.compact(str(iri), lambda local: local == "" or bool(_LOCAL.match(local)))
        return name or f"<{iri}>"

    def literal(self, lit: Literal) -> str:
        body = f'"{_escape(str(lit))}"'
        if lit.language:
            return f"{body}@{lit.language}"
        if lit.datatype and lit.datatype != XSD.string:
            return f"{body}^^{self.iri(URIRef(lit.datatype))}"
        return body

    def term(self, node: Node, tree: SubjectTree | None = None, indent: str = "    ") -> str:
        if isinstance(node, Literal):
            return self.literal(node)
        if isinstance(node, URIRef):
            return self.iri(node)
        if tree is not None and node in tree.inline:
            items = tree.as_list(node)
            if items is not None:
                return "( " + " ".join(self.term(i, tree, indent + "    ") for i in items) + " )"
            return "[ " + self.properties(tree, node, indent + "    ", " ;\n" + indent + "    ") + " ]"
        raise TypeError(f"blank nodes are only written inline: {node!r}")

    def properties(self, tree: SubjectTree, subject: Node, indent: str, separator: str) -> str:
        preds = tree.by_subject[subject]
        order = sorted(preds, key=lambda p: (p != RDF.type, str(p)))
        parts = []
        for p in order:
            objects = sorted({self.term(o, tree, indent) for o in preds[p]})
            parts.append(f"{self.iri(p)} " + (" ,\n" + indent + "    ").join(objects))
        return separator.join(parts)

    def write(self, triples: Iterable[tuple], subject_rank: SubjectRank | None = None) -> str:
        tree = SubjectTree.of(triples)
        rank = subject_rank or (lambda s: 0)
        out = [f"@prefix {p}: <{ns}> .\n" for p, ns in self.prefixes.items()]
        blocks = []
        for s in tree.top_subjects():
            body = self.properties(tree, s, "    ", " ;\n    ")
            if isinstance(s, BNode):
                blocks.append(((rank(s), "~" + body), f"\n[\n    {body}\n] .\n"))
            else:
                blocks.append(((rank(s), str(s)), f"\n{self.term(s)}\n    {body} .\n"))
        out += [text for _, text in sorted(blocks, key=lambda b: b[0])]
        return "".join(out)


def serialize(graph: Graph, prefixes: dict[str, str], subject_rank: SubjectRank | None = None) -> str:
    """Serialize a graph to deterministic Turtle text."""
    return TurtleWriter(prefixes).write(graph, subject_rank)
