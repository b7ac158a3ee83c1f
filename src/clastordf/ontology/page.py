"""The human-readable page of the ontology: the class tree with definitions and logical definitions,
the properties and the concept schemes, as one self-contained HTML file."""

from __future__ import annotations

from html import escape

from rdflib import Graph, URIRef
from rdflib.namespace import OWL, RDF, RDFS, SKOS
from rdflib.term import Node

from ..vocab import CLASTO, OBO
from .slim import VOCAB_IRI

DEFINITION = OBO.IAO_0000115
_STYLE = """
body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;line-height:1.45;color:#222}
code,.expr{font-family:ui-monospace,monospace;font-size:.9em}
ul.tree{list-style:none;padding-left:1.2rem;border-left:1px solid #ddd}
li{margin:.4rem 0} .def{color:#444} .expr{color:#0b5394;display:block;margin-top:.15rem}
table{border-collapse:collapse;width:100%}
td,th{border-bottom:1px solid #eee;padding:.3rem;text-align:left;vertical-align:top}
"""


class _Names:
    def __init__(self, graph: Graph):
        self.graph = graph

    def label(self, node: Node) -> str:
        value = self.graph.value(node, RDFS.label) or self.graph.value(node, SKOS.prefLabel)
        return str(value) if value else str(node).rsplit("#", 1)[-1].rsplit("/", 1)[-1]

    def link(self, node: Node) -> str:
        text = escape(self.label(node))
        if str(node).startswith(str(CLASTO)):
            return f'<a href="#{escape(str(node).split("#", 1)[1])}">{text}</a>'
        return f'<a href="{escape(str(node))}">{text}</a>'

    def expression(self, node: Node) -> str:
        """A class expression in Manchester-like syntax."""
        g = self.graph
        if isinstance(node, URIRef):
            return self.link(node)
        for op, word in ((OWL.intersectionOf, " and "), (OWL.unionOf, " or ")):
            members = g.value(node, op)
            if members is not None:
                return "(" + word.join(self.expression(m) for m in g.items(members)) + ")"
        prop = g.value(node, OWL.onProperty)
        if prop is not None:
            for op, word in ((OWL.someValuesFrom, "some"), (OWL.allValuesFrom, "only"), (OWL.hasValue, "value")):
                filler = g.value(node, op)
                if filler is not None:
                    return f"{self.link(prop)} {word} {self.expression(filler)}"
        return "…"


def render_ontology_page(graph: Graph, version: str) -> str:
    """The ontology page for ``graph`` (the merged ontology of one release)."""
    names = _Names(graph)
    classes = sorted(
        (c for c in graph.subjects(RDF.type, OWL.Class) if isinstance(c, URIRef) and str(c).startswith(str(CLASTO))),
        key=names.label,
    )
    parents = {
        c: sorted((p for p in graph.objects(c, RDFS.subClassOf) if isinstance(p, URIRef)), key=str) for c in classes
    }
    children: dict[URIRef | None, list[URIRef]] = {}
    for c in classes:
        own: list[URIRef | None] = [p for p in parents[c] if p in parents]
        for parent in own or [None]:
            children.setdefault(parent, []).append(c)

    def tree(parent: URIRef | None, seen: frozenset[URIRef]) -> str:
        items = []
        for c in sorted(children.get(parent, []), key=names.label):
            if c in seen:
                continue
            anchor = escape(str(c).split("#", 1)[1])
            parts = [f'<li id="{anchor}"><strong>{escape(names.label(c))}</strong> <code>clasto:{anchor}</code>']
            outside = [p for p in parents[c] if p not in parents]
            if outside:
                parts.append(" ⊑ " + ", ".join(names.link(p) for p in outside))
            definition = graph.value(c, DEFINITION)
            if definition:
                parts.append(f'<div class="def">{escape(str(definition))}</div>')
            for eq in graph.objects(c, OWL.equivalentClass):
                parts.append(f'<span class="expr">≡ {names.expression(eq)}</span>')
            parts.append(tree(c, seen | {c}))
            items.append("".join(parts) + "</li>")
        return f'<ul class="tree">{"".join(items)}</ul>' if items else ""

    kinds = ((OWL.ObjectProperty, "object"), (OWL.DatatypeProperty, "data"), (OWL.AnnotationProperty, "annotation"))
    rows = []
    for kind, word in kinds:
        for p in sorted((p for p in graph.subjects(RDF.type, kind) if str(p).startswith(str(CLASTO))), key=names.label):
            anchor = escape(str(p).split("#", 1)[1])
            domain = ", ".join(names.link(d) for d in graph.objects(p, RDFS.domain) if isinstance(d, URIRef))
            rng = ", ".join(names.link(r) for r in graph.objects(p, RDFS.range) if isinstance(r, URIRef))
            sup = ", ".join(names.link(s) for s in graph.objects(p, RDFS.subPropertyOf))
            functional = " (functional)" if (p, RDF.type, OWL.FunctionalProperty) in graph else ""
            rows.append(
                f'<tr id="{anchor}"><td><code>clasto:{anchor}</code><br>{escape(names.label(p))}</td>'
                f"<td>{word}{functional}</td><td>{domain}</td><td>{rng}</td><td>{sup}</td>"
                f"<td>{escape(str(graph.value(p, DEFINITION) or ''))}</td></tr>"
            )
    schemes = []
    for scheme in sorted(graph.subjects(RDF.type, SKOS.ConceptScheme), key=names.label):
        concepts = sorted(graph.subjects(SKOS.inScheme, scheme), key=names.label)
        items = []
        for concept in concepts:
            local = escape(str(concept).split("#", 1)[1])
            definition = escape(str(graph.value(concept, SKOS.definition) or ""))
            items.append(
                f'<li id="{local}"><code>clasto:{local}</code> {escape(names.label(concept))}'
                f'<span class="def"> {definition}</span></li>'
            )
        anchor = escape(str(scheme).split("#", 1)[1])
        schemes.append(
            f'<h3 id="{anchor}">{escape(names.label(scheme))} <code>clasto:{anchor}</code></h3>'
            f"<ul>{''.join(items)}</ul>"
        )
    title = str(graph.value(VOCAB_IRI, RDFS.label) or "clastordf ontology")
    description = graph.value(VOCAB_IRI, URIRef("http://purl.org/dc/terms/description"))
    version_iri = graph.value(VOCAB_IRI, OWL.versionIRI)
    return (
        f'<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>{escape(title)} {escape(version)}</title>'
        f"<style>{_STYLE}</style></head><body>\n"
        f"<h1>{escape(title)}</h1>\n"
        f"<p>{escape(str(description or ''))}</p>\n"
        f"<p>Ontology IRI <code>{escape(str(VOCAB_IRI))}</code> · version <code>{escape(version)}</code>"
        + (f" · version IRI <code>{escape(str(version_iri))}</code>" if version_iri else "")
        + ' · licence CC0 1.0 · download <a href="clastordf.owl">clastordf.owl</a> (RDF/XML, imports merged), '
        '<a href="clastordf-vocab.ttl">clastordf-vocab.ttl</a> (Turtle, clasto: terms only)</p>\n'
        "<p>Classes marked ≡ are defined: the build places each curated fact in them (HermiT classifies the "
        "ontology, a rule pass exact for it types the facts), and the "
        "build publishes those types, marked with <code>clasto:inferredType</code>.</p>\n"
        f"<h2>Classes</h2>\n{tree(None, frozenset())}\n"
        "<h2>Properties</h2>\n<table><tr><th>property</th><th>kind</th><th>domain</th><th>range</th>"
        f"<th>sub-property of</th><th>definition</th></tr>{''.join(rows)}</table>\n"
        f"<h2>Concept schemes</h2>\n{''.join(schemes)}\n</body></html>\n"
    )
