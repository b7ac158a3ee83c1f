"""Type the facts by rules over an ontology HermiT has already classified: linear in the facts.

HermiT realising every fact grows faster than the data (×100 → ×1000 facts: ×20 the time), because
the facts sit in one ABox. But the ontology only ever looks at one fact at a time: its defined
classes are intersections of named classes, ``some`` restrictions with a named filler and
``hasValue`` restrictions over the fact's own property values; lineages and process groups are
unions of named classes; the rest is named subclass links, domains, ranges, disjointness, functional
properties and distinct individuals. For such an ontology (the *fragment*, checked by
:func:`fragment_problems`) the entailed named types of an individual are the least fixpoint of the
rules below, taken over the class hierarchy HermiT computes for the ontology alone:

- an individual has the classes it is asserted to have, the domains of the properties it has and the
  ranges of the properties pointing to it, and every superclass HermiT entails for each of them;
- an individual has a defined class when it satisfies every conjunct of its definition: a named class
  it has, a value of the property that has the filler class, or the very individual of ``hasValue``
  (values have no property values, so only definitions of named classes alone can apply to them);
- two values of a functional property of one fact are one individual, with the classes of both;
- an individual with two disjoint classes, or one individual made of two distinct ones, is a
  contradiction.

Why nothing is missed: the axioms of the fragment are Horn (a least model exists) except the
``≡ A ⊔ B`` half of a union, and the fragment forbids every way of reaching a union class other than
through one of its members (it is never asserted, a domain or range, or a told superclass). ``some``
conjuncts never need an anonymous witness: only defined classes imply a ``some``, and a defined class
is only ever reached by satisfying a definition with explicit values. ``tests/test_fact_typing.py``
compares these rules with HermiT realising the whole ABox on the real dataset and on altered copies.
Anything outside the fragment makes :mod:`.reasoning` hand the whole ABox to HermiT instead.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS
from rdflib.term import Node

#: Types that declare an entity or an axiom's node rather than assert a class of an individual.
DECLARATIONS = frozenset(
    {
        OWL.Class,
        OWL.ObjectProperty,
        OWL.DatatypeProperty,
        OWL.AnnotationProperty,
        OWL.NamedIndividual,
        OWL.Ontology,
        OWL.FunctionalProperty,
        OWL.Restriction,
        OWL.AllDisjointClasses,
        OWL.AllDifferent,
        RDFS.Class,
        RDFS.Datatype,
    }
)
BUILT_IN_ANNOTATIONS = frozenset(
    {
        RDFS.label,
        RDFS.comment,
        RDFS.seeAlso,
        RDFS.isDefinedBy,
        OWL.versionInfo,
        OWL.versionIRI,
        OWL.imports,
        OWL.deprecated,
        OWL.priorVersion,
    }
)
_STRUCTURE = frozenset(
    {
        RDF.first,
        RDF.rest,
        OWL.onProperty,
        OWL.someValuesFrom,
        OWL.hasValue,
        OWL.intersectionOf,
        OWL.unionOf,
        OWL.members,
        OWL.distinctMembers,
    }
)
_BUILT_IN = (str(OWL), str(RDF), str(RDFS))

#: a value the rules compare: an individual, or a literal (a data property's value, matched by equality)
Value = URIRef | Literal
#: each fact's ``(property, value)`` pairs
Edges = Mapping[URIRef, list[tuple[URIRef, Value]]]


@dataclass(frozen=True)
class Definition:
    """``cls ≡ classes ⊓ (p some filler)… ⊓ (p value individual)…`` — all named."""

    cls: URIRef
    classes: frozenset[URIRef]
    some: tuple[tuple[URIRef, URIRef], ...]
    values: tuple[tuple[URIRef, Value], ...]


@dataclass
class Rules:
    """What the rule pass needs of the ontology; :func:`rules_of` reads it from the TBox."""

    definitions: list[Definition] = field(default_factory=list)
    unions: dict[URIRef, frozenset[URIRef]] = field(default_factory=dict)
    domains: dict[URIRef, set[URIRef]] = field(default_factory=dict)
    ranges: dict[URIRef, set[URIRef]] = field(default_factory=dict)
    functional: set[URIRef] = field(default_factory=set)
    disjoint: set[frozenset[URIRef]] = field(default_factory=set)
    different: set[frozenset[Value]] = field(default_factory=set)

    @property
    def defined(self) -> set[URIRef]:
        """Classes with a definition (intersection) or made of members (union)."""
        return {d.cls for d in self.definitions} | set(self.unions)


@dataclass(frozen=True)
class Contradiction:
    """Why a fact contradicts the ontology: it, or its value of ``prop``, would have two disjoint
    classes (``classes``), or its values of a functional property are distinct individuals
    (``individuals``)."""

    prop: URIRef | None = None
    value: Value | None = None
    classes: tuple[URIRef, URIRef] | None = None
    individuals: tuple[Value, Value] | None = None


@dataclass
class Typing:
    """The result of the rule pass: every fact's entailed named classes, and the contradictions."""

    types: dict[URIRef, set[URIRef]] = field(default_factory=dict)
    #: facts that contradict the ontology on their own, and why
    contradictions: dict[URIRef, list[Contradiction]] = field(default_factory=dict)
    #: when no fact contradicts on its own but some together do (through values they share): those
    together: list[URIRef] = field(default_factory=list)

    @property
    def consistent(self) -> bool:
        return not self.contradictions and not self.together


def _items(tbox: Graph, head: Node | None) -> list[Node] | None:
    if head is None:  # no list at all: as empty as rdf:nil
        return []
    try:
        return list(tbox.items(head))
    except Exception:  # a malformed RDF list
        return None


def _restriction(tbox: Graph, node: Node) -> tuple[str, URIRef, Value] | None:
    prop = tbox.value(node, OWL.onProperty)
    some, value = tbox.value(node, OWL.someValuesFrom), tbox.value(node, OWL.hasValue)
    others = {p for p in tbox.predicates(node, None)} - {RDF.type, OWL.onProperty, OWL.someValuesFrom, OWL.hasValue}
    if not isinstance(prop, URIRef) or others or (some is None) == (value is None):
        return None
    filler = some if some is not None else value
    # A value may be a literal (a data property's hasValue, e.g. contested true): matched by equality.
    if isinstance(filler, URIRef) or (value is not None and isinstance(filler, Literal)):
        return ("some" if some is not None else "value"), prop, filler
    return None


def rules_of(tbox: Graph) -> tuple[Rules, list[str], set[Node]]:
    """Read the rules from ``tbox``; also return what lies outside the fragment and the nodes used.

    >>> g = Graph().parse(data='''@prefix owl: <http://www.w3.org/2002/07/owl#> . @prefix : <urn:x:> .
    ...     :L owl:equivalentClass [ owl:unionOf (:A :B) ] .''', format="turtle")
    >>> rules, problems, _ = rules_of(g)
    >>> sorted(rules.unions[URIRef("urn:x:L")]), problems
    ([rdflib.term.URIRef('urn:x:A'), rdflib.term.URIRef('urn:x:B')], [])
    """
    rules = Rules()
    problems: list[str] = []
    used: set[Node] = set()
    for cls, expr in tbox.subject_objects(OWL.equivalentClass):
        if isinstance(cls, URIRef) and isinstance(expr, URIRef):
            continue  # a named equivalence: HermiT's hierarchy has it
        if not isinstance(cls, URIRef) or not isinstance(expr, BNode):
            problems.append(f"owl:equivalentClass between {cls} and {expr}")
            continue
        used.add(expr)
        members = tbox.value(expr, OWL.unionOf)
        conjuncts = tbox.value(expr, OWL.intersectionOf)
        if members is not None and conjuncts is None:
            items = _items(tbox, members)
            named = [m for m in items or () if isinstance(m, URIRef)]
            if items is None or len(named) != len(items):
                problems.append(f"{cls}: a union of anything but named classes")
                continue
            rules.unions[cls] = frozenset(named)
            used |= _list_nodes(tbox, members)
        elif conjuncts is not None and members is None:
            items = _items(tbox, conjuncts)
            if items is None:
                problems.append(f"{cls}: a malformed intersection")
                continue
            used |= _list_nodes(tbox, conjuncts)
            classes: set[URIRef] = set()
            some: list[tuple[URIRef, URIRef]] = []
            values: list[tuple[URIRef, Value]] = []
            for item in items:
                if isinstance(item, URIRef):
                    classes.add(item)
                    continue
                restriction = _restriction(tbox, item)
                if restriction is None:
                    problems.append(
                        f"{cls}: a conjunct other than a named class, `some` a named class "
                        f"or `value` a named individual or a literal"
                    )
                    break
                used.add(item)
                kind, prop, filler = restriction
                if kind == "some" and isinstance(filler, URIRef):  # _restriction: a literal is only a `value`
                    some.append((prop, filler))
                else:
                    values.append((prop, filler))
            else:
                definition = Definition(cls, frozenset(classes), tuple(sorted(some)), tuple(sorted(values)))
                rules.definitions.append(definition)
        else:
            problems.append(f"{cls}: an equivalent class expression other than an intersection or a union")
    # Axioms between anything but named entities are outside the fragment (read_fragment says so), and
    # the rule pass then never runs: only the named ones are rules.
    for p, domain in tbox.subject_objects(RDFS.domain):
        if isinstance(p, URIRef) and isinstance(domain, URIRef):
            rules.domains.setdefault(p, set()).add(domain)
    for p, range_ in tbox.subject_objects(RDFS.range):
        if isinstance(p, URIRef) and isinstance(range_, URIRef):
            rules.ranges.setdefault(p, set()).add(range_)
    rules.functional = {p for p in tbox.subjects(RDF.type, OWL.FunctionalProperty) if isinstance(p, URIRef)}
    for a, b in tbox.subject_objects(OWL.disjointWith):
        if isinstance(a, URIRef) and isinstance(b, URIRef):
            rules.disjoint.add(frozenset((a, b)))
    for axiom in tbox.subjects(RDF.type, OWL.AllDisjointClasses):
        used.add(axiom)
        head = tbox.value(axiom, OWL.members)
        disjoint = {m for m in _items(tbox, head) or () if isinstance(m, URIRef)}
        used |= _list_nodes(tbox, head)
        rules.disjoint |= {frozenset((a, b)) for a in disjoint for b in disjoint if a != b}
    for axiom in tbox.subjects(RDF.type, OWL.AllDifferent):
        used.add(axiom)
        head = tbox.value(axiom, OWL.distinctMembers) or tbox.value(axiom, OWL.members)
        individuals = {m for m in _items(tbox, head) or () if isinstance(m, URIRef | Literal)}
        used |= _list_nodes(tbox, head)
        rules.different |= {frozenset((a, b)) for a in individuals for b in individuals if a != b}
    for a, b in tbox.subject_objects(OWL.differentFrom):
        if isinstance(a, URIRef | Literal) and isinstance(b, URIRef | Literal):
            rules.different.add(frozenset((a, b)))
    return rules, problems, used


def _list_nodes(tbox: Graph, head: Node | None) -> set[Node]:
    nodes: set[Node] = set()
    while isinstance(head, BNode) and head not in nodes:
        nodes.add(head)
        head = tbox.value(head, RDF.rest)
    return nodes


def fragment_problems(
    tbox: Graph, fact_properties: Iterable[URIRef], asserted_classes: Iterable[URIRef] = ()
) -> list[str]:
    """Why the rule pass would not be exact for ``tbox``: one line per axiom outside the fragment
    (see :func:`read_fragment`)."""
    return read_fragment(tbox, fact_properties, asserted_classes)[1]


def read_fragment(
    tbox: Graph, fact_properties: Iterable[URIRef], asserted_classes: Iterable[URIRef] = ()
) -> tuple[Rules, list[str]]:
    """The rules of ``tbox``, and why the rule pass would not be exact for it: one line per axiom
    outside the fragment.

    ``fact_properties`` are the properties the reasoner's input gives facts; ``asserted_classes``
    are the classes the input asserts of facts and of class values. No lines means the rules give
    exactly HermiT's types.
    """
    rules, problems, used = rules_of(tbox)
    fact_properties = set(fact_properties)
    annotations = set(tbox.subjects(RDF.type, OWL.AnnotationProperty)) | BUILT_IN_ANNOTATIONS
    object_properties = {
        prop for kind in (OWL.ObjectProperty, OWL.DatatypeProperty) for prop in tbox.subjects(RDF.type, kind)
    }
    for s, p, o in tbox:
        if p in annotations:
            continue
        if p == RDF.type:
            if o in DECLARATIONS:
                continue
            if isinstance(o, URIRef) and not str(o).startswith(_BUILT_IN) and isinstance(s, URIRef):
                continue  # a class assertion of a named individual
            problems.append(f"{s} a {o}")
        elif p in (RDFS.subClassOf, OWL.disjointWith, RDFS.domain, RDFS.range, OWL.differentFrom):
            if not (isinstance(s, URIRef) and isinstance(o, URIRef)):
                problems.append(f"{s} {p} {o}: only between named entities")
        elif p == RDFS.subPropertyOf:
            if s in fact_properties or not isinstance(o, URIRef):
                problems.append(f"{s} rdfs:subPropertyOf {o}: a fact property's super-property")
        elif p == OWL.equivalentClass:
            continue  # read by rules_of
        elif p in _STRUCTURE:
            if s not in used:
                problems.append(f"{p} on {s}, outside an intersection, union or all-disjoint/different axiom")
        elif (
            p in object_properties
            and p not in fact_properties
            and not isinstance(o, BNode)
            and (p, RDFS.domain, None) not in tbox
            and (p, RDFS.range, None) not in tbox
        ):
            continue  # an assertion about an individual that types nothing
        else:
            problems.append(f"{s} {p} {o}: an axiom the rule pass does not read")
    defined = rules.defined
    told_supers = {o for o in tbox.objects(None, RDFS.subClassOf)}
    told_supers |= {o for s, o in tbox.subject_objects(OWL.equivalentClass) if isinstance(o, URIRef)}
    told_supers |= {s for s, o in tbox.subject_objects(OWL.equivalentClass) if isinstance(o, URIRef)}
    for cls in sorted(defined):
        if cls in told_supers:
            problems.append(f"{cls} is defined and also a told superclass or equivalent of a named class")
        if any(cls in v for v in rules.domains.values()) or any(cls in v for v in rules.ranges.values()):
            problems.append(f"{cls} is defined and also a domain or range")
        if any(isinstance(s, URIRef) for s in tbox.subjects(RDF.type, cls)):
            problems.append(f"{cls} is defined and also asserted of an individual of the ontology")
    for cls in sorted(set(asserted_classes) & defined):
        problems.append(f"{cls} is defined and also asserted of a fact or a class value")
    return rules, problems


class _Individuals:
    """Union-find over individuals: functional properties make two values one individual."""

    def __init__(self) -> None:
        self.parent: dict[Value, Value] = {}

    def find(self, node: Value) -> Value:
        root = node
        while self.parent.get(root, root) != root:
            root = self.parent[root]
        while node != root:
            self.parent[node], node = root, self.parent.get(node, node)
        return root

    def union(self, a: Value, b: Value) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


@dataclass
class Classified:
    """The ontology as the rule pass reads it: its rules and HermiT's classification of it."""

    rules: Rules
    #: each class's entailed superclasses (owl:Nothing among them for an unsatisfiable class)
    supers: Mapping[URIRef, set[URIRef]]
    #: each individual of the ontology's entailed classes
    individual_types: Mapping[URIRef, set[URIRef]]


def type_facts(
    ontology: Classified, facts: Mapping[URIRef, set[URIRef]], edges: Edges, value_types: Mapping[URIRef, set[URIRef]]
) -> Typing:
    """Apply the rules: each fact's entailed named classes, and the facts that contradict the ontology.

    ``facts`` maps each fact to its asserted classes, ``edges`` each fact to its ``(property, value)``
    pairs and ``value_types`` each individual standing for a class value to its asserted classes. A
    fact's classes are computed in full even when they clash, so that the clash can be named.

    Facts share value individuals, so a contradiction can come from several facts together (one
    types a value by a property's range, another gives it a disjoint class, or a functional property
    makes two values one). Each fact involved is therefore typed again on its own: those that still
    contradict are the culprits, as HermiT finds them by bisection.
    """
    typing = _type_together(ontology, facts, edges, value_types)
    involved = sorted(typing.contradictions)
    typing.contradictions = {}
    for fact in involved:
        own = edges.get(fact, [])
        alone = _type_together(
            ontology,
            {fact: facts[fact]},
            {fact: own},
            {v: value_types[v] for _, v in own if isinstance(v, URIRef) and v in value_types},
        )
        if alone.contradictions:
            typing.contradictions[fact] = alone.contradictions[fact]
    if involved and not typing.contradictions:
        typing.together = involved
    return typing


def _type_together(
    ontology: Classified, facts: Mapping[URIRef, set[URIRef]], edges: Edges, value_types: Mapping[URIRef, set[URIRef]]
) -> Typing:
    """The rules over ``facts`` at once; every fact touching a contradiction is in ``contradictions``."""
    rules, supers, individual_types = ontology.rules, ontology.supers, ontology.individual_types

    def closure(classes: Iterable[URIRef]) -> set[URIRef]:
        out: set[URIRef] = set()
        for cls in classes:
            out.add(cls)
            out |= supers.get(cls, set())
        return out

    same = _Individuals()
    for pairs in edges.values():
        by_prop: dict[URIRef, list[Value]] = {}
        for prop, value in pairs:
            by_prop.setdefault(prop, []).append(value)
        for prop, values in by_prop.items():
            if prop in rules.functional:
                for value in values[1:]:
                    same.union(values[0], value)
    told: dict[Value, set[URIRef]] = {}
    for node, classes in (*value_types.items(), *individual_types.items()):
        told.setdefault(same.find(node), set()).update(classes)
    for pairs in edges.values():
        for prop, value in pairs:
            told.setdefault(same.find(value), set()).update(rules.ranges.get(prop, ()))
    no_edges: list[tuple[URIRef, Value]] = []
    value_classes: dict[Value, set[URIRef]] = {}
    for value, classes in told.items():  # a definition of named classes alone can apply to a value
        value_classes[value] = _saturate(rules, closure, closure(classes), no_edges, value_classes, same)
    groups: dict[Value, list[Value]] = {}
    for individual in {*told, *same.parent}:
        groups.setdefault(same.find(individual), []).append(individual)
    value_problems: dict[Value, list[Contradiction]] = {}
    for root, group in groups.items():
        clashes = _clashes(rules, value_classes.get(root, set()), supers)
        found = [Contradiction(value=root, classes=pair) for pair in clashes]
        found += [
            Contradiction(value=root, individuals=(a, b))
            for a in sorted(group)
            for b in sorted(group)
            if a < b and frozenset((a, b)) in rules.different
        ]
        if found:
            value_problems[root] = found

    typing = Typing()
    for fact, asserted in facts.items():
        pairs = [(prop, same.find(value)) for prop, value in edges.get(fact, ())]
        classes = closure([*asserted, *(d for prop, _ in pairs for d in rules.domains.get(prop, ()))])
        classes = _saturate(rules, closure, classes, pairs, value_classes, same)
        typing.types[fact] = classes
        found = [Contradiction(classes=pair) for pair in _clashes(rules, classes, supers)]
        for prop, value in sorted(set(pairs)):
            if value in value_problems:
                found += [Contradiction(prop, c.value, c.classes, c.individuals) for c in value_problems[value]]
        if found:
            typing.contradictions[fact] = found
    return typing


def _saturate(
    rules: Rules,
    closure: Callable[[Iterable[URIRef]], set[URIRef]],
    classes: set[URIRef],
    pairs: list[tuple[URIRef, Value]],
    value_classes: Mapping[Value, set[URIRef]],
    same: _Individuals,
) -> set[URIRef]:
    """``classes`` with every defined class the individual's classes and ``pairs`` satisfy, to a fixpoint."""
    changed = True
    while changed:
        changed = False
        for definition in rules.definitions:
            if definition.cls not in classes and _satisfies(definition, classes, pairs, value_classes, same):
                classes |= closure([definition.cls])
                changed = True
    return classes


def _satisfies(
    definition: Definition,
    classes: set[URIRef],
    pairs: list[tuple[URIRef, Value]],
    value_classes: Mapping[Value, set[URIRef]],
    same: _Individuals,
) -> bool:
    if not definition.classes <= classes:
        return False
    for prop, filler in definition.some:
        if not any(p == prop and filler in value_classes.get(v, ()) for p, v in pairs):
            return False
    return all((prop, same.find(individual)) in pairs for prop, individual in definition.values)


def _clashes(rules: Rules, classes: set[URIRef], supers: Mapping[URIRef, set[URIRef]]) -> list[tuple[URIRef, URIRef]]:
    """Pairs of disjoint classes among ``classes``, and ``(C, owl:Nothing)`` for each unsatisfiable C."""
    empty = sorted((c, OWL.Nothing) for c in classes if c != OWL.Nothing and OWL.Nothing in supers.get(c, ()))
    return empty + sorted((min(pair), max(pair)) for pair in rules.disjoint if pair <= classes)
