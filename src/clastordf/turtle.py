"""A deterministic Turtle writer.

rdflib's serializer does not promise a stable order and is slow on large graphs; this writer sorts
subjects, predicates and objects, uses prefixed names only where they round-trip, and writes no
blank nodes, so the same graph always gives the same bytes.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, XSD

_LOCAL = re.compile(r"^[A-Za-z0-9_]([A-Za-z0-9_.-]*[A-Za-z0-9_-])?$")
_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(text: str) -> str:
    return "".join(_ESCAPES.get(ch, ch) for ch in text)


class TurtleWriter:
    def __init__(self, prefixes: dict[str, str]):
        # Longest namespace first, so the most specific prefix wins.
        self.prefixes = dict(sorted(prefixes.items()))
        self._by_length = sorted(prefixes.items(), key=lambda kv: -len(kv[1]))

    def iri(self, iri: URIRef) -> str:
        text = str(iri)
        if iri == RDF.type:
            return "a"
        for prefix, ns in self._by_length:
            if text.startswith(ns):
                local = text[len(ns):]
                if local == "" or _LOCAL.match(local):
                    return f"{prefix}:{local}"
        return f"<{text}>"

    def literal(self, lit: Literal) -> str:
        body = f'"{_escape(str(lit))}"'
        if lit.language:
            return f"{body}@{lit.language}"
        if lit.datatype and lit.datatype != XSD.string:
            return f"{body}^^{self.iri(URIRef(lit.datatype))}"
        return body

    def term(self, node: URIRef | Literal) -> str:
        if isinstance(node, Literal):
            return self.literal(node)
        if isinstance(node, URIRef):
            return self.iri(node)
        raise TypeError(f"blank nodes are not written: {node!r}")

    def write(self, triples: Iterable[tuple], subject_rank=None) -> str:
        by_subject: dict = defaultdict(lambda: defaultdict(list))
        for s, p, o in triples:
            by_subject[s][p].append(o)
        rank = subject_rank or (lambda s: 0)
        out = [f"@prefix {p}: <{ns}> .\n" for p, ns in self.prefixes.items()]
        for s in sorted(by_subject, key=lambda s: (rank(s), str(s))):
            preds = by_subject[s]
            order = sorted(preds, key=lambda p: (p != RDF.type, str(p)))
            parts = []
            for p in order:
                objects = sorted({self.term(o) for o in preds[p]})
                parts.append(f"    {self.iri(p)} " + " ,\n        ".join(objects))
            out.append(f"\n{self.term(s)}\n" + " ;\n".join(parts) + " .\n")
        return "".join(out)


def serialize(graph: Graph, prefixes: dict[str, str], subject_rank=None) -> str:
    """Serialize a graph to deterministic Turtle text."""
    return TurtleWriter(prefixes).write(graph, subject_rank)
