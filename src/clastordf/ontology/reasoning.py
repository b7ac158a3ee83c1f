"""Classify the facts with HermiT (through owlready2) and return the types it infers.

HermiT classifies the ontology (with its import slim) once; a rule pass (:mod:`.fact_typing`) then
types every fact from that hierarchy, in time linear in the facts. The rule pass is exact for the
ontology's fragment of OWL; if an edit takes the ontology outside it, HermiT realises the whole ABox
instead (slower, superlinear), and the build says so.

The dataset publishes class IRIs as the values of class-valued properties (``clasto:sourceCellType
obo:CL_0000092``). For reasoning, each such value becomes a representative individual of that class,
so that restrictions such as ``sourceCellType some OsteoclastLineageCell`` see the CL hierarchy of
the import slim. Only the inferred types of facts and the inferred hierarchy of ``clasto:`` classes
come back; the published graph is never rewritten by the reasoner.
"""

from __future__ import annotations

import ctypes
import io
import itertools
import os
import shutil
import signal
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS
from rdflib.term import Identifier, Node

from ..problems import Reported
from ..vocab import CLASTO, REASONING, compact
from .fact_typing import Classified, Contradiction, Rules, Typing, Value, read_fragment, type_facts

#: Properties whose values are ontology classes; the reasoner sees an instance of each.
CLASS_VALUED = (
    CLASTO.sourceCellType,
    CLASTO.producingCellType,
    CLASTO.releasingCellType,
    CLASTO.targetCellType,
    CLASTO.promotes,
    CLASTO.inhibits,
    CLASTO.pathway,
    CLASTO.carrier,
    CLASTO.cellType,
)
#: Properties copied to the reasoner as they are (their values are individuals).
INDIVIDUAL_VALUED = (CLASTO.mechanism, CLASTO.reviewCategory, CLASTO.evidenceLevel)
#: Properties copied as they are whose values are literals (the rule pass compares them by value).
LITERAL_VALUED = (CLASTO.contested,)
FACT_PROPERTIES = (*CLASS_VALUED, *INDIVIDUAL_VALUED, *LITERAL_VALUED)
FACT_TYPES = (CLASTO.ClastokineFact, CLASTO.RegulationFact)
INSTANCE_BASE = REASONING + "instance-of/"

#: How :func:`classify` types the facts: "auto" (the rule pass when exact, else HermiT on the ABox),
#: "rules" (the rule pass, or an error naming what the rules cannot read) or "abox" (HermiT only).
METHODS = ("auto", "rules", "abox")
RULES_METHOD = (
    "classification of the ontology by HermiT, then a rule pass typing the facts (clastordf.ontology.fact_typing)"
)
ABOX_METHOD = "realisation of the facts by HermiT"


class ReasoningError(Reported):
    """The ontology and the facts cannot be reasoned over; ``explanation`` says why."""

    def __init__(self, summary: str, explanation: list[str]):
        self.summary, self.explanation = summary, explanation
        super().__init__(summary)

    def report(self) -> str:
        return "\n".join([f"reasoning failed: {self.summary}", *(f"  {line}" for line in self.explanation)])


class JavaMissing(ReasoningError):
    def __init__(self) -> None:
        super().__init__(
            "Java was not found; HermiT needs a Java runtime",
            [
                "install one (Debian: `apt-get install default-jre-headless`) or set JAVA_HOME,",
                "or build without reasoning: `clastordf build --no-reason` (no inferred classes are published).",
            ],
        )


@dataclass
class Inference:
    """What HermiT inferred: new ``rdf:type``s of facts and new subclass links between clasto: classes."""

    types: dict[URIRef, set[URIRef]] = field(default_factory=dict)
    subclasses: set[tuple[URIRef, URIRef]] = field(default_factory=set)
    #: how the facts were typed (:data:`RULES_METHOD` or :data:`ABOX_METHOD`), for the provenance
    method: str = RULES_METHOD
    #: why the rule pass was not used (axioms outside its fragment); empty when it was
    outside_fragment: list[str] = field(default_factory=list)

    def triples(self) -> Iterable[tuple[URIRef, URIRef, URIRef]]:
        """The inferred types as triples, with the ``clasto:inferredType`` mark beside each."""
        for node in sorted(self.types):
            for cls in sorted(self.types[node]):
                yield node, RDF.type, cls
                yield node, CLASTO.inferredType, cls


def java_executable() -> str | None:
    """The Java runtime HermiT will use: ``$JAVA_HOME/bin/java`` or ``java`` on the PATH."""
    home = os.environ.get("JAVA_HOME")
    if home and os.access(os.path.join(home, "bin", "java"), os.X_OK):
        return os.path.join(home, "bin", "java")
    return shutil.which("java")


#: ``prctl`` option: the signal the kernel sends a process when the thread that started it ends.
PR_SET_DEATHSIG = 1


def dies_with_parent() -> Callable[[], None] | None:
    """A ``preexec_fn`` that has Linux SIGKILL the child when the thread starting it (the build's)
    ends, however it ends (``None`` elsewhere).

    A build killed while HermiT runs would otherwise leave the JVM running (and holding up to 2 GB)
    until it finishes on its own. The death signal survives the ``exec`` of an ordinary binary; the
    child checks its parent is still this process, in case it died between the fork and the call.
    """
    if not sys.platform.startswith("linux"):
        return None
    prctl = ctypes.CDLL(None, use_errno=True).prctl  # looked up here: the child only calls it
    parent = os.getpid()

    def preexec() -> None:
        prctl(PR_SET_DEATHSIG, signal.SIGKILL)
        if os.getppid() != parent:
            os._exit(1)

    return preexec


@contextmanager
def _jvm_dies_with_build(owlready2_reasoning: Any) -> Iterator[None]:
    """owlready2 starts HermiT with ``subprocess`` and the extra arguments of its ``reasoning``
    module (``owlready2_reasoning``); add ours to them while the build reasons."""
    preexec = dies_with_parent()
    extra = owlready2_reasoning._subprocess_kargs
    saved = dict(extra)
    if preexec is not None:
        extra["preexec_fn"] = preexec
    try:
        yield
    finally:
        extra.clear()
        extra.update(saved)


def instance_of(cls: URIRef) -> URIRef:
    """The representative individual of a class value.

    >>> str(instance_of(URIRef("http://purl.obolibrary.org/obo/CL_0000092")))
    'https://w3id.org/clastordf/reasoning/instance-of/CL_0000092'
    """
    return URIRef(INSTANCE_BASE + str(cls).rsplit("/", 1)[-1].rsplit("#", 1)[-1])


@dataclass
class Descriptions:
    """What the reasoner reads of each fact: its asserted classes and its ``(property, value)`` pairs,
    class values replaced by their representative individuals (``value_types``)."""

    facts: dict[URIRef, set[URIRef]] = field(default_factory=dict)
    edges: dict[URIRef, list[tuple[URIRef, Value]]] = field(default_factory=dict)
    value_types: dict[URIRef, set[URIRef]] = field(default_factory=dict)


def fact_descriptions(data: Graph, facts: Iterable[URIRef] | None = None) -> Descriptions:
    """Read the facts (all of them, or ``facts``) of the dataset as the reasoner sees them."""
    out = Descriptions()
    # The builder makes every fact, type and class value an IRI (the shapes check it): the isinstance
    # tests below only tell the type checker so.
    nodes = set(facts) if facts is not None else _facts(data)
    for node in sorted(nodes):
        out.facts[node] = {t for t in data.objects(node, RDF.type) if isinstance(t, URIRef)}
        pairs = out.edges.setdefault(node, [])
        for prop in (*INDIVIDUAL_VALUED, *LITERAL_VALUED):
            values = (v for v in data.objects(node, prop) if isinstance(v, URIRef | Literal))
            pairs.extend((prop, value) for value in sorted(values))
        for prop in CLASS_VALUED:
            for value in sorted(v for v in data.objects(node, prop) if isinstance(v, URIRef)):
                inst = instance_of(value)
                pairs.append((prop, inst))
                out.value_types.setdefault(inst, set()).add(value)
    return out


def _facts(data: Graph) -> set[URIRef]:
    return {s for t in FACT_TYPES for s in data.subjects(RDF.type, t) if isinstance(s, URIRef)}


def facts_abox(data: Graph, facts: Iterable[URIRef] | None = None) -> Graph:
    """The part of the dataset the reasoner needs: facts' types, mechanism, category, evidence level,
    contest and class values."""
    described = fact_descriptions(data, facts)
    abox = Graph()
    for node, types in described.facts.items():
        for t in types:
            abox.add((node, RDF.type, t))
        abox.add((node, RDF.type, OWL.NamedIndividual))
        for prop, value in described.edges[node]:
            abox.add((node, prop, value))
    for inst, classes in described.value_types.items():
        for cls in classes:
            abox.add((inst, RDF.type, cls))
        abox.add((inst, RDF.type, OWL.NamedIndividual))
    return abox


def _without_restrictions(tbox: Graph) -> Graph:
    """``tbox`` without the axioms that can make facts inconsistent (disjointness, distinctness,
    functionality), so a culprit fact can be classified and its clashing classes named."""
    out = Graph()
    out += tbox
    out.remove((None, OWL.disjointWith, None))
    out.remove((None, RDF.type, OWL.FunctionalProperty))
    for kind in (OWL.AllDisjointClasses, OWL.AllDifferent):
        for axiom in list(out.subjects(RDF.type, kind)):
            out.remove((axiom, None, None))
    return out


Runner = Callable[[Graph], "_Result"]


@dataclass
class _Result:
    consistent: bool
    message: str = ""
    types: dict[URIRef, set[URIRef]] = field(default_factory=dict)
    subclasses: set[tuple[URIRef, URIRef]] = field(default_factory=set)
    unsatisfiable: list[URIRef] = field(default_factory=list)
    #: every named class's entailed named superclasses (itself and owl:Thing left out)
    supers: dict[URIRef, set[URIRef]] = field(default_factory=dict)
    #: every named individual's entailed named classes
    individual_types: dict[URIRef, set[URIRef]] = field(default_factory=dict)


def _run_hermit(graph: Graph) -> _Result:
    """Load ``graph`` into a fresh owlready2 world and run HermiT on it."""
    import owlready2

    java = java_executable()
    if java is None:
        raise JavaMissing()
    owlready2.JAVA_EXE = java
    world = owlready2.World()
    data = graph.serialize(format="nt", encoding="utf-8")
    onto = world.get_ontology(REASONING + "input.owl")
    onto.load(fileobj=io.BytesIO(data), format="ntriples")
    try:
        with onto, _jvm_dies_with_build(owlready2.reasoning):
            owlready2.sync_reasoner_hermit(world, infer_property_values=False, debug=0)
    except owlready2.OwlReadyInconsistentOntologyError as err:
        return _Result(False, str(err).strip().splitlines()[-1] if str(err).strip() else "inconsistent")
    unsatisfiable = sorted(URIRef(c.iri) for c in world.inconsistent_classes())
    types: dict[URIRef, set[URIRef]] = {}
    for t in FACT_TYPES:
        for node in graph.subjects(RDF.type, t):
            ind = world[str(node)]
            if ind is None or not isinstance(node, URIRef):
                continue
            types[node] = {URIRef(c.iri) for c in ind.INDIRECT_is_a if hasattr(c, "iri")}
    subclasses, supers = set(), {}
    for cls in world.classes():
        # ancestors(include_self=False) leaves out the equivalent classes as well as the class itself
        named = {URIRef(sup.iri) for sup in cls.ancestors() if hasattr(sup, "iri")} - {URIRef(cls.iri), OWL.Thing}
        supers[URIRef(cls.iri)] = named
        if cls.iri.startswith(str(CLASTO)):
            subclasses |= {
                (URIRef(cls.iri), URIRef(sup.iri))
                for sup in cls.ancestors(include_self=False)
                if hasattr(sup, "iri") and sup.iri.startswith(str(CLASTO))
            }
    individual_types = {
        URIRef(ind.iri): {URIRef(c.iri) for c in ind.INDIRECT_is_a if hasattr(c, "iri")} - {OWL.Thing}
        for ind in world.individuals()
    }
    return _Result(True, "", types, subclasses, unsatisfiable, supers, individual_types)


def classify(tbox: Graph, data: Graph, runner: Runner = _run_hermit, method: str = "auto") -> Inference:
    """Reason over the ontology (``tbox``, imports merged) and the dataset's facts.

    ``method`` is one of :data:`METHODS`. Raises :class:`ReasoningError` with the facts responsible
    when the whole is inconsistent, and with the class names when a class is unsatisfiable.
    """
    if method not in METHODS:
        raise ValueError(f"unknown reasoning method {method!r}; expected one of {', '.join(METHODS)}")
    described = fact_descriptions(data)
    asserted = {c for types in (*described.facts.values(), *described.value_types.values()) for c in types}
    rules, outside = read_fragment(tbox, FACT_PROPERTIES, asserted)
    if method != "abox":
        if outside and method == "rules":
            raise ReasoningError("the ontology is outside the rule pass's fragment", outside)
    if method == "abox" or outside:
        result = _realise(tbox, data, runner)
        inference = _new_types(tbox, data, result.types)
        inference.method, inference.outside_fragment = ABOX_METHOD, outside
    else:
        typing, result = rule_typing(tbox, rules, described, runner)
        if typing.contradictions:
            raise ReasoningError(
                f"the ontology and the facts are inconsistent ({len(typing.contradictions)} fact(s) contradict it)",
                _explain_contradictions(typing.contradictions, described, rules.functional, data),
            )
        if typing.together:
            raise ReasoningError(
                "the ontology and the facts are inconsistent (facts contradict it together)",
                [
                    "no single fact is inconsistent on its own; the combination of these facts is "
                    "(they share a value that would get disjoint classes):",
                    *(f"  {fact} ({data.value(fact, RDFS.label)})" for fact in typing.together),
                ],
            )
        inference = _new_types(tbox, data, typing.types)
    if result.unsatisfiable:
        raise ReasoningError(
            f"{len(result.unsatisfiable)} unsatisfiable class(es)",
            [f"{c} can have no member; check its equivalence and disjointness axioms" for c in result.unsatisfiable],
        )
    direct = {(s, o) for s, o in tbox.subject_objects(RDFS.subClassOf)}
    inference.subclasses = _transitive_reduction(result.subclasses) - direct
    return inference


def rule_typing(
    tbox: Graph, rules: Rules, described: Descriptions, runner: Runner = _run_hermit
) -> tuple[Typing, _Result]:
    """HermiT classifies ``tbox`` alone; the rule pass then types the ``described`` facts by ``rules``
    (read from ``tbox`` by :func:`~clastordf.ontology.fact_typing.read_fragment`).

    Exact only when ``read_fragment`` finds nothing outside the fragment; :func:`classify` checks that
    first.
    """
    result = runner(tbox)
    if not result.consistent:
        raise ReasoningError(
            f"the ontology and the facts are inconsistent ({result.message})",
            ["the ontology is inconsistent on its own, before any fact is added"],
        )
    supers = {cls: set(sups) for cls, sups in result.supers.items()}
    for cls in result.unsatisfiable:
        supers.setdefault(cls, set()).add(OWL.Nothing)
    ontology = Classified(rules, supers, result.individual_types)
    typing = type_facts(ontology, described.facts, described.edges, described.value_types)
    return typing, result


def _realise(tbox: Graph, data: Graph, runner: Runner) -> _Result:
    """HermiT on the ontology and every fact at once (the way when the rule pass is not exact)."""
    result = runner(tbox + facts_abox(data))
    if not result.consistent:
        raise ReasoningError(
            f"the ontology and the facts are inconsistent ({result.message})", explain_inconsistency(tbox, data, runner)
        )
    return result


def _new_types(tbox: Graph, data: Graph, entailed_types: dict[URIRef, set[URIRef]]) -> Inference:
    """The entailed clasto: types of each fact that its asserted types do not already imply."""
    asserted_closure = _asserted_superclasses(tbox)
    inference = Inference()
    for node, entailed in entailed_types.items():
        asserted = {t for t in data.objects(node, RDF.type) if isinstance(t, URIRef)}
        implied = set(asserted)
        for a in asserted:
            implied |= asserted_closure.get(a, set())
        new = {c for c in entailed if str(c).startswith(str(CLASTO)) and c not in implied}
        if new:
            inference.types[node] = new
    return inference


def _explain_contradictions(
    contradictions: dict[URIRef, list[Contradiction]], described: Descriptions, functional: set[URIRef], data: Graph
) -> list[str]:
    """The rule pass's contradictions, worded as :func:`explain_inconsistency` words HermiT's."""
    lines = []
    for fact in sorted(contradictions):
        lines.append(f"{fact} ({data.value(fact, RDFS.label)}) contradicts the ontology")
        for c in contradictions[fact]:
            where = (
                "it"
                if c.prop is None or c.value is None
                else f"its {_short(c.prop)} value ({_value_names(c.value, described)})"
            )
            if c.classes is not None and c.classes[1] == OWL.Nothing:
                lines.append(f"  {where} would be a member of {_short(c.classes[0])}, which can have no member")
            elif c.classes is not None:
                lines.append(
                    f"  {where} would be both {_short(c.classes[0])} and {_short(c.classes[1])}, which are disjoint"
                )
            elif c.prop is not None and c.individuals is not None:
                lines.append(
                    f"  its values of {_short(c.prop)} would be one individual, but "
                    f"{_short(c.individuals[0])} and {_short(c.individuals[1])} are distinct"
                )
        lines += _value_lines(data, fact, sorted(functional))
    return lines


def _value_lines(data: Graph, fact: URIRef, functional: Iterable[URIRef]) -> list[str]:
    """A culprit's values: those of functional properties it has more than one of, and its class values."""
    lines = []
    for prop in functional:
        values = sorted(v for v in data.objects(fact, prop) if isinstance(v, Identifier))
        if len(values) > 1:
            lines.append(
                f"  it has {len(values)} values of the functional property {_short(prop)}: "
                + ", ".join(_short(v) for v in values)
            )
    for prop in CLASS_VALUED:
        values = sorted(v for v in data.objects(fact, prop) if isinstance(v, Identifier))
        if values:
            lines.append(f"  {_short(prop)}: " + ", ".join(_short(v) for v in values))
    return lines


def _asserted_superclasses(tbox: Graph) -> dict[URIRef, set[URIRef]]:
    parents: dict[URIRef, set[URIRef]] = {}
    for s, o in tbox.subject_objects(RDFS.subClassOf):
        if isinstance(s, URIRef) and isinstance(o, URIRef):
            parents.setdefault(s, set()).add(o)
    closure: dict[URIRef, set[URIRef]] = {}
    for cls in parents:
        seen: set[URIRef] = set()
        stack = list(parents[cls])
        while stack:
            cur = stack.pop()
            if cur not in seen:
                seen.add(cur)
                stack.extend(parents.get(cur, ()))
        closure[cls] = seen
    return closure


def _transitive_reduction(pairs: set[tuple[URIRef, URIRef]]) -> set[tuple[URIRef, URIRef]]:
    supers: dict[URIRef, set[URIRef]] = {}
    for s, o in pairs:
        if s != o:
            supers.setdefault(s, set()).add(o)
    return {
        (s, o) for s, os in supers.items() for o in os if not any(o in supers.get(mid, ()) for mid in os if mid != o)
    }


def explain_inconsistency(tbox: Graph, data: Graph, runner: Runner) -> list[str]:
    """Name the facts that are inconsistent with the ontology and the disjoint classes they fall into.

    Facts are independent of each other in the reasoner's input, so halving the set of facts finds
    each culprit in a logarithmic number of reasoner runs; reasoning a culprit again without
    disjointness and functionality axioms shows which disjoint classes it would belong to.
    """
    facts = sorted(_facts(data))
    if runner(tbox).consistent is False:
        return ["the ontology is inconsistent on its own, before any fact is added"]
    culprits = _culprits(tbox, data, facts, runner)
    if not culprits:
        return ["no single fact is inconsistent on its own; the combination of facts is"]
    relaxed = _without_restrictions(tbox)
    disjoint = _disjoint_pairs(tbox)
    lines = []
    for fact in culprits:
        label = data.value(fact, RDFS.label)
        lines.append(f"{fact} ({label}) contradicts the ontology")
        types = runner(relaxed + facts_abox(data, [fact])).types.get(fact, set())
        for a, b in sorted(disjoint):
            if a in types and b in types:
                lines.append(f"  it would be both {_short(a)} and {_short(b)}, which are disjoint")
        functional = (p for p in tbox.subjects(RDF.type, OWL.FunctionalProperty) if isinstance(p, URIRef))
        lines += _value_lines(data, fact, sorted(functional))
    return lines


def _value_names(value: Value, described: Descriptions) -> str:
    """A value individual by the class (or classes, once merged) it stands for."""
    classes = described.value_types.get(value) if isinstance(value, URIRef) else None
    return ", ".join(_short(c) for c in sorted(classes)) if classes else _short(value)


def _culprits(tbox: Graph, data: Graph, facts: list[URIRef], runner: Runner) -> list[URIRef]:
    if not facts or runner(tbox + facts_abox(data, facts)).consistent:
        return []
    if len(facts) == 1:
        return facts
    half = len(facts) // 2
    found = _culprits(tbox, data, facts[:half], runner) + _culprits(tbox, data, facts[half:], runner)
    return found


def _disjoint_pairs(tbox: Graph) -> set[tuple[URIRef, URIRef]]:
    pairs = {(a, b) for a, b in tbox.subject_objects(OWL.disjointWith)}
    for axiom in tbox.subjects(RDF.type, OWL.AllDisjointClasses):
        head = tbox.value(axiom, OWL.members)
        members = list(tbox.items(head)) if head is not None else []
        pairs |= set(itertools.combinations(members, 2))
    return {(min(a, b), max(a, b)) for a, b in pairs if isinstance(a, URIRef) and isinstance(b, URIRef)}


def _short(node: Node) -> str:
    return compact(str(node)) or str(node)
