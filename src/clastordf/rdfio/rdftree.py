"""Shared groundwork of the deterministic RDF writers: nodes grouped by subject, and which blank
nodes can be written inline (nested restrictions, RDF lists), as OWL's RDF mapping uses them.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from rdflib import BNode, Literal, URIRef
from rdflib.namespace import RDF

Node = URIRef | BNode | Literal


@dataclass
class SubjectTree:
    """Triples grouped by subject, with the blank nodes that nest under the one triple naming them."""

    by_subject: dict[Node, dict[URIRef, list[Node]]]
    inline: set[BNode]

    @classmethod
    def of(cls, triples: Iterable[tuple[Node, URIRef, Node]]) -> SubjectTree:
        by_subject: dict = defaultdict(lambda: defaultdict(list))
        as_object: Counter = Counter()
        for s, p, o in triples:
            by_subject[s][p].append(o)
            if isinstance(o, BNode):
                as_object[o] += 1
        inline = {b for b, n in as_object.items() if n == 1}
        tree = cls(by_subject, inline)
        for b in list(inline):
            if tree._cyclic(b):
                raise ValueError(f"blank node {b!r} is part of a cycle; it cannot be written inline")
        unnamed = [b for b, n in as_object.items() if n > 1]
        if unnamed:
            raise ValueError(f"blank node {unnamed[0]!r} is the object of {as_object[unnamed[0]]} triples")
        return tree

    def _cyclic(self, start: BNode) -> bool:
        seen, stack = set(), [start]
        while stack:
            node = stack.pop()
            for objects in self.by_subject.get(node, {}).values():
                for o in objects:
                    if o == start:
                        return True
                    if isinstance(o, BNode) and o not in seen:
                        seen.add(o)
                        stack.append(o)
        return False

    def top_subjects(self) -> list[Node]:
        """Subjects written at the top level: IRIs, and blank nodes no triple points at."""
        return [s for s in self.by_subject if not (isinstance(s, BNode) and s in self.inline)]

    def as_list(self, node: Node) -> list[Node] | None:
        """The members of ``node`` when it heads a well-formed RDF list, else ``None``."""
        if node == RDF.nil:
            return []
        items: list[Node] = []
        while node != RDF.nil:
            if not isinstance(node, BNode) or node not in self.inline:
                return None
            props = self.by_subject.get(node, {})
            if set(props) != {RDF.first, RDF.rest} or len(props[RDF.first]) != 1 or len(props[RDF.rest]) != 1:
                return None
            items.append(props[RDF.first][0])
            node = props[RDF.rest][0]
        return items
