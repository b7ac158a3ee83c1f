"""Split a data graph into chunks that pyshacl can validate independently, with identical results.

Validating the whole dataset in one pyshacl run costs time linear in its size but cannot use more
than one core. This module cuts the data into chunks that worker processes validate in parallel;
:func:`clastordf.validate.shacl.validate_graph` merges their results. The cut is only sound if every
triple that validating a focus node can read is in the chunk that owns the focus node, so the
shapes are analysed first (:func:`analyse_shapes`) and the chunks are built from that analysis.

Why a chunk gives the same results as the whole graph
-----------------------------------------------------
Let G be the data graph, F its focus nodes, and reach(f) the triples of G that validating f can
read. Each chunk C is a subgraph of G that holds reach(f) for every focus node f it *owns*. Every
focus node is owned by exactly one chunk, and only results about owned focus nodes are kept. Then:

* f is a focus node of the same shapes in C as in G: its rdf:type triples are in C (they are
  triples of f) and so is every rdfs:subClassOf triple of G (they go in every chunk), which is all
  that pyshacl reads to resolve sh:targetClass (instances of the class and of its subclasses).
* Every lookup made while validating f starts from nodes whose triples are in reach(f) ⊆ C, so it
  finds the same triples in C as in G: C holds no triple G lacks, and lacks none that f can read.
* Other nodes may become focus nodes in C with only part of their triples there (an evidence line
  whose type is copied because a claim of this chunk points at it); their results are dropped,
  since the chunk that owns them validates them with all their triples.

So the union of the owned results of all chunks is exactly the result of validating G.

What validating a focus node reads (reach), from the shapes
-----------------------------------------------------------
:func:`analyse_shapes` accepts only shapes whose reach it can bound, and says why it refuses the
others (validate_graph then validates the whole graph, which is always correct):

* Targets: sh:targetClass only, and no implicit class targets (a shape that is also a class).
  Resolving them reads rdf:type triples of f and rdfs:subClassOf triples (shared by all chunks).
* Paths: a predicate IRI or sh:alternativePath of predicate IRIs, from the focus node only (a
  property shape inside a node shape that is itself reached through a path would be a second hop).
  The value nodes are objects of triples of f: reach includes every triple with subject f.
* Constraints on value nodes that read nothing but the value term (sh:datatype, sh:nodeKind,
  sh:pattern, sh:in, sh:hasValue, sh:minCount, sh:maxCount, lengths, ranges, languages) and the
  ones that compare with other triples of f (sh:equals, sh:disjoint, sh:lessThan…, sh:closed).
* sh:class reads the rdf:type triples of a value node and the rdfs:subClassOf closure of those
  types: reach includes the rdf:type triples of the objects of f by the predicates of the paths
  whose values sh:class constrains (on f itself, it reads f's own types).
* sh:or, sh:and, sh:xone, sh:not apply their member shapes to the same nodes; members are held to
  the same rules (a member with a path is accepted only at the focus node).
* SPARQL-based constraints (sh:sparql with sh:select, on node shapes): the query is parsed and
  every triple pattern must start from ``$this`` or from a variable bound by an earlier pattern of
  the same or an enclosing group (FILTER [NOT] EXISTS sees the bindings outside it); predicates
  must be IRIs or sequence, alternative or repeated (``*``, ``+``, ``?``) paths of IRIs. A
  solution can then only use triples on paths from f made of the predicates the query names:
  reach includes every such path, followed transitively. Inverse and negated paths, variable
  predicates, UNION, OPTIONAL, MINUS, sub-queries, GRAPH and SERVICE are refused, because their
  variables may be bound far from f.
* Anything else in the SHACL namespace (sh:node, sh:qualifiedValueShape, other targets, sh:rule,
  SPARQL functions, sh:ask…) is refused.

For clastordf's shapes (shapes/clastordf.shacl.ttl) reach(f) is: the triples of f, the rdf:type
triples of its objects by clasto:hasClaim, clasto:supportedBy and clasto:disputedBy (sh:class) and
the triples on paths from f made of the predicates the SPARQL constraints name (a fact or claim is
contested exactly when disputed; a settled value has an uncontested claim; a vesicle-mediated fact
names a carrier; a claim's evidence level follows the experimental systems of its supporting lines;
an override states its reason).

Chunks are cut, a fixed number of focus nodes each, from the focus nodes in an order that puts each
one next to the focus nodes its reach reaches into (a fact, its claims, their evidence lines), so
that few nodes are copied into a chunk that does not own them; such a node would be validated there
for nothing, with a result for every property it seems to lack. A node's triples may be copied
into several chunks (the type of a shared evidence line), but reach(f) is a few triples beyond
those of f, so the chunks together stay linear in the data.
For transfer to worker processes a chunk is packed into plain strings and integers
(:func:`pack`), which pickle quickly with any multiprocessing start method.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from rdflib import BNode, Graph, Literal, URIRef, Variable
from rdflib.collection import Collection
from rdflib.namespace import OWL, RDF, RDFS
from rdflib.paths import AlternativePath, MulPath, Path, SequencePath
from rdflib.plugins.sparql import prepareQuery
from rdflib.plugins.sparql.parserutils import CompValue
from rdflib.term import Node

from ..vocab import SH

Triple = tuple[Node, Node, Node]

# Constraint parameters that read only the value nodes themselves (terms, counts of them).
_VALUE_TERM = frozenset(
    SH[n]
    for n in (
        "datatype",
        "nodeKind",
        "pattern",
        "flags",
        "minLength",
        "maxLength",
        "languageIn",
        "uniqueLang",
        "in",
        "hasValue",
        "minInclusive",
        "maxInclusive",
        "minExclusive",
        "maxExclusive",
        "minCount",
        "maxCount",
    )
)
# Parameters that compare the value nodes with other triples of the same focus node.
_FOCUS_TRIPLES = frozenset(
    SH[n] for n in ("equals", "disjoint", "lessThan", "lessThanOrEquals", "closed", "ignoredProperties")
)
# Parameters that do not select or test anything.
_ANNOTATIONS = frozenset(
    SH[n]
    for n in (
        "message",
        "severity",
        "deactivated",
        "name",
        "description",
        "order",
        "group",
        "defaultValue",
        "path",
        "targetClass",
    )
)
_LOGICAL_LISTS = frozenset((SH["or"], SH["and"], SH.xone))
# Every SHACL term the analysis understands; anything else in the shapes refuses chunking.
_KNOWN = (
    _VALUE_TERM
    | _FOCUS_TRIPLES
    | _ANNOTATIONS
    | _LOGICAL_LISTS
    | {
        SH["not"],
        SH["class"],
        SH.property,
        SH.sparql,
        SH.select,
        SH.prefixes,
        SH.declare,
        SH.prefix,
        SH.namespace,
        SH.alternativePath,
    }
)
# SPARQL algebra nodes whose variables are all bound in one scope, reached from $this.
_SPARQL_SCOPE_NODES = frozenset(
    ("SelectQuery", "Project", "Distinct", "Filter", "BGP", "Join", "GroupGraphPatternSub", "TriplesBlock")
)
_SPARQL_EXISTS = frozenset(("Builtin_EXISTS", "Builtin_NOTEXISTS"))
# Expression nodes compute on bound values and read no triples (EXISTS aside).
_SPARQL_EXPRESSIONS = frozenset(
    (
        "ConditionalAndExpression",
        "ConditionalOrExpression",
        "RelationalExpression",
        "AdditiveExpression",
        "MultiplicativeExpression",
        "UnaryNot",
        "UnaryMinus",
        "UnaryPlus",
        "Function",
        "literal",
    )
)


class NotChunkable(Exception):
    """The shapes use something whose reach :func:`analyse_shapes` cannot bound; the message says what."""


@dataclass(frozen=True)
class Reach:
    """What validating one focus node can read, beyond its own triples (see the module docstring)."""

    target_classes: frozenset[URIRef]
    class_predicates: frozenset[URIRef]  # the rdf:type triples of the focus node's objects by these (sh:class)
    sparql_predicates: frozenset[URIRef]  # paths of these predicates from the focus node (SPARQL)


@dataclass
class _Analysis:
    shapes: Graph
    class_predicates: set[URIRef] = field(default_factory=set)
    sparql_predicates: set[URIRef] = field(default_factory=set)
    seen: set[tuple[Node, int, frozenset[URIRef]]] = field(default_factory=set)


def analyse_shapes(shapes: Graph) -> Reach:
    """Bound what validating a focus node reads under ``shapes``; raise :class:`NotChunkable` if it can't."""
    unknown = sorted({str(p) for p in shapes.predicates() if str(p).startswith(str(SH)) and p not in _KNOWN})
    if unknown:
        raise NotChunkable(f"the shapes use {', '.join(unknown)}")
    # pyshacl treats a shape that is also an rdfs:Class (or a subclass of it) as targeting itself.
    class_types = {OWL.Class} | set(shapes.transitive_subjects(RDFS.subClassOf, RDFS.Class))
    for class_type in class_types:
        for node in shapes.subjects(RDF.type, class_type):
            if any(str(p).startswith(str(SH)) for p in shapes.predicates(node)) or any(
                t in (SH.NodeShape, SH.PropertyShape) for t in shapes.objects(node, RDF.type)
            ):
                raise NotChunkable(f"{node} is a class and a shape (an implicit class target)")
    analysis = _Analysis(shapes)
    targets = set()
    for shape, cls in shapes.subject_objects(SH.targetClass):
        if not isinstance(cls, URIRef):
            raise NotChunkable(f"{shape} targets a class that is not an IRI")
        targets.add(cls)
        _check_shape(analysis, shape, 0, frozenset())
    return Reach(frozenset(targets), frozenset(analysis.class_predicates), frozenset(analysis.sparql_predicates))


def _check_shape(analysis: _Analysis, shape: Node, level: int, via: frozenset[URIRef]) -> None:
    """Check a shape applied to nodes ``level`` hops from the focus node (0: the focus node itself),
    reached from it by the predicates ``via``."""
    if (shape, level, via) in analysis.seen:  # shapes may share members; a cycle is checked once
        return
    analysis.seen.add((shape, level, via))
    shapes = analysis.shapes
    path = shapes.value(shape, SH.path)
    if path is not None:
        if level != 0:
            raise NotChunkable(f"property shape {shape} applies to nodes a path away from the focus node")
        value_level, value_via = level + 1, _check_path(shapes, shape, path)
    else:
        value_level, value_via = level, via
    for p, o in shapes.predicate_objects(shape):
        if not str(p).startswith(str(SH)) or p in _VALUE_TERM or p in _ANNOTATIONS:
            continue
        if p in _FOCUS_TRIPLES:
            if level != 0:
                raise NotChunkable(f"{shape} compares triples of a node other than the focus node")
        elif p == SH["class"]:
            # Value nodes are the focus node (its own types are in reach) or one hop away by value_via.
            analysis.class_predicates |= value_via
        elif p == SH.property:
            if path is not None:
                raise NotChunkable(f"property shape {shape} has property shapes (a second hop)")
            _check_shape(analysis, o, value_level, value_via)
        elif p in _LOGICAL_LISTS:
            for member in Collection(shapes, o):
                _check_shape(analysis, member, value_level, value_via)
        elif p == SH["not"]:
            _check_shape(analysis, o, value_level, value_via)
        elif p == SH.sparql:
            if value_level != 0:
                raise NotChunkable(f"SPARQL constraint on {shape} applies to nodes other than the focus node")
            analysis.sparql_predicates |= _sparql_predicates(shapes, o)
        else:
            raise NotChunkable(f"{shape} uses {p}")


def _check_path(shapes: Graph, shape: Node, path: Node) -> frozenset[URIRef]:
    """The predicates of a one-hop path; refuse longer or inverse paths."""
    if isinstance(path, URIRef):
        return frozenset((path,))
    alternatives = shapes.value(path, SH.alternativePath)
    if isinstance(path, BNode) and alternatives is not None and len(list(shapes.predicate_objects(path))) == 1:
        members = list(Collection(shapes, alternatives))
        predicates = [m for m in members if isinstance(m, URIRef)]
        if members and len(predicates) == len(members):
            return frozenset(predicates)
    raise NotChunkable(f"{shape} has a path other than a predicate or alternative predicates")


def _sparql_predicates(shapes: Graph, constraint: Node) -> set[URIRef]:
    """The predicates a SPARQL constraint can follow from $this; refuse queries that may leave those paths."""
    selects = list(shapes.objects(constraint, SH.select))
    if len(selects) != 1:
        raise NotChunkable(f"SPARQL constraint {constraint} has {len(selects)} sh:select")
    text = str(selects[0])
    if "$PATH" in text or "$shapesGraph" in text:
        raise NotChunkable(f"SPARQL constraint {constraint} uses $PATH or $shapesGraph")
    prefixes = {
        str(shapes.value(d, SH.prefix)): str(shapes.value(d, SH.namespace))
        for declarer in shapes.objects(constraint, SH.prefixes)
        for d in shapes.objects(declarer, SH.declare)
    }
    header = "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in prefixes.items())
    try:
        query = prepareQuery(header + text)
    except Exception as err:  # the parser raises several types; the whole-graph run reports it properly
        raise NotChunkable(f"SPARQL constraint {constraint} does not parse: {err}") from None
    predicates: set[URIRef] = set()
    _sparql_scope(query.algebra, {Variable("this")}, predicates)
    return predicates


def _sparql_scope(node: CompValue, reached: set[Node], predicates: set[URIRef]) -> None:
    """Check one group of patterns that share bindings, then the EXISTS groups inside it."""
    patterns: list[tuple] = []
    nested: list[CompValue] = []
    _collect(node, patterns, nested)
    reached = set(reached)
    pending = list(patterns)
    progress = True
    while pending and progress:  # a pattern is reachable once its subject is bound from $this
        progress = False
        for pattern in list(pending):
            s, p, o = pattern
            if s in reached:
                predicates.update(_path_predicates(p))
                if isinstance(o, Variable | BNode):
                    reached.add(o)
                pending.remove(pattern)
                progress = True
    if pending:
        raise NotChunkable(f"SPARQL pattern {pending[0]} does not start from $this")
    for group in nested:
        _sparql_scope(group, reached, predicates)


def _collect(value: object, patterns: list[tuple], nested: list[CompValue]) -> None:
    if isinstance(value, CompValue):
        name = value.name
        if name in _SPARQL_EXISTS:
            nested.append(value["graph"])
            return
        if name not in _SPARQL_SCOPE_NODES and name not in _SPARQL_EXPRESSIONS and not name.startswith("Builtin_"):
            raise NotChunkable(f"SPARQL constraint uses {name}")
        for key, item in value.items():
            if key == "triples":
                # Inside EXISTS rdflib keeps a `;`-joined run of patterns as one flat list: cut it in threes.
                patterns.extend(tuple(t[i : i + 3]) for t in item for i in range(0, len(t), 3))
            else:
                _collect(item, patterns, nested)
    elif isinstance(value, list | tuple):
        for item in value:
            _collect(item, patterns, nested)


def _path_predicates(p: object) -> set[URIRef]:
    if isinstance(p, URIRef):
        return {p}
    if isinstance(p, SequencePath | AlternativePath):
        return set().union(*(_path_predicates(a) for a in p.args))
    if isinstance(p, MulPath):
        return _path_predicates(p.path)
    kind = "variable" if isinstance(p, Variable) else type(p).__name__ if isinstance(p, Path) else repr(p)
    raise NotChunkable(f"SPARQL constraint uses a {kind} predicate")


# ---------------------------------------------------------------------------------------------- chunks


@dataclass
class Chunk:
    """Triples that hold the reach of every focus node in ``owned``."""

    owned: list[Node]
    triples: set[Triple]


def focus_nodes(data: Graph, reach: Reach) -> list[Node]:
    """Every focus node of the shapes in ``data``, sorted (instances of the target classes or their subclasses)."""
    found: set[Node] = set()
    for cls in reach.target_classes:
        for sub in data.transitive_subjects(RDFS.subClassOf, cls):  # includes cls itself
            found.update(data.subjects(RDF.type, sub))
    return sorted(found, key=lambda n: (isinstance(n, BNode), str(n)))


def chunks(data: Graph, reach: Reach, chunk_size: int, focus: list[Node] | None = None) -> Iterator[Chunk]:
    """Cut ``data`` into chunks of at most ``chunk_size`` owned focus nodes with their reach."""
    if chunk_size < 1:
        raise ValueError("chunk_size must be at least 1")
    focus = focus_nodes(data, reach) if focus is None else focus
    shared = set(data.triples((None, RDFS.subClassOf, None)))
    types: dict[Node, tuple[Node, ...]] = {}  # objects recur across focus nodes (statuses, evidence)
    ordered = _colocated(data, reach, focus)
    for start in range(0, len(ordered), chunk_size):
        owned = ordered[start : start + chunk_size]
        triples = set(shared)
        for node in owned:
            _add_reach(data, reach, node, triples, types)
        yield Chunk(owned, triples)


def _colocated(data: Graph, reach: Reach, focus: list[Node]) -> list[Node]:
    """The focus nodes, each followed by the focus nodes its reach reaches into (a fact by its claims
    and their evidence lines), so that a chunk mostly owns what its reach copies in.

    Copied in but owned elsewhere, such a node would be a focus node of the chunk with only its type
    triples: validated for nothing, with a result for every property it seems to lack.
    """
    members = set(focus)
    children: dict[Node, list[Node]] = {}
    referenced: set[Node] = set()
    for p in sorted(reach.class_predicates | reach.sparql_predicates):
        for s, o in data.subject_objects(p):
            if o in members and s in members and o != s:
                children.setdefault(s, []).append(o)
                referenced.add(o)
    ordered: list[Node] = []
    placed: set[Node] = set()
    roots = [n for n in focus if n not in referenced] + [n for n in focus if n in referenced]  # then cycles
    for root in roots:
        stack = [root]
        while stack:
            node = stack.pop()
            if node in placed:
                continue
            placed.add(node)
            ordered.append(node)
            stack.extend(sorted(children.get(node, ()), key=str, reverse=True))  # sorted, for a stable order
    return ordered


def _add_reach(data: Graph, reach: Reach, node: Node, out: set[Triple], types: dict[Node, tuple[Node, ...]]) -> None:
    own = list(data.predicate_objects(node))
    out.update((node, p, o) for p, o in own)
    for p, o in own:
        if p in reach.class_predicates and not isinstance(o, Literal):
            known = types.get(o)
            if known is None:
                known = types[o] = tuple(data.objects(o, RDF.type))
            out.update((o, RDF.type, t) for t in known)
    if reach.sparql_predicates:
        seen = {node}
        stack = [o for p, o in own if p in reach.sparql_predicates and not isinstance(o, Literal)]
        while stack:
            current = stack.pop()
            if current in seen:
                continue
            seen.add(current)
            for p in reach.sparql_predicates:
                for o in data.objects(current, p):
                    out.add((current, p, o))
                    if not isinstance(o, Literal) and o not in seen:
                        stack.append(o)


# ---------------------------------------------------------------------------------------------- transfer

# A term travels as a str (IRI), a 1-tuple (blank node id) or a 3-tuple (literal: lexical form,
# language, datatype); triples as indexes into the term table. Plain strings and an int array
# pickle far faster than rdflib terms, which go through Python-level __reduce__ per term.
PackedTerm = str | tuple[str] | tuple[str, str | None, str | None]


@dataclass(frozen=True)
class PackedChunk:
    terms: list[PackedTerm]
    triples: array  # 3 term indexes per triple
    owned: array  # term indexes of the owned focus nodes
    namespaces: list[tuple[str, str]]


def pack(chunk: Chunk, namespaces: Iterable[tuple[str, str]] = ()) -> PackedChunk:
    index: dict[Node, int] = {}
    terms: list[PackedTerm] = []

    def idx(term: Node) -> int:
        i = index.get(term)
        if i is None:
            i = index[term] = len(terms)
            terms.append(_pack_term(term))
        return i

    flat = array("q")
    for s, p, o in chunk.triples:
        flat.extend((idx(s), idx(p), idx(o)))
    owned = array("q", (idx(n) for n in chunk.owned))
    return PackedChunk(terms, flat, owned, [(str(p), str(ns)) for p, ns in namespaces])


def unpack(packed: PackedChunk, graph: Graph) -> set[Node]:
    """Add the packed triples to ``graph`` (binding its namespaces); return the owned focus nodes."""
    for prefix, ns in packed.namespaces:
        graph.bind(prefix, ns, override=True, replace=True)
    terms = [_unpack_term(t) for t in packed.terms]
    flat = packed.triples
    graph.addN((terms[flat[i]], terms[flat[i + 1]], terms[flat[i + 2]], graph) for i in range(0, len(flat), 3))
    return {terms[i] for i in packed.owned}


def _pack_term(term: Node) -> PackedTerm:
    if isinstance(term, URIRef):
        return str(term)
    if isinstance(term, BNode):
        return (str(term),)
    if isinstance(term, Literal):
        return (str(term), term.language, None if term.datatype is None else str(term.datatype))
    raise TypeError(f"cannot validate a graph holding {type(term).__name__} {term!r}")


def _unpack_term(packed: PackedTerm) -> Node:
    if isinstance(packed, str):
        return URIRef(packed)
    if len(packed) == 1:
        return BNode(packed[0])
    lexical, language, datatype = packed
    # normalize=False: the lexical form is already the one the original literal holds.
    return Literal(lexical, lang=language, datatype=None if datatype is None else URIRef(datatype), normalize=False)
