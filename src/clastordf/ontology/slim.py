"""The clastordf OWL ontology: the hand-edited ``clasto:`` vocabulary, its import slim and release forms.

The edit file ``ontology/clastordf-edit.ttl`` is Turtle (readable diffs); the import slim
``ontology/imports/external_import.owl`` is generated from the committed term index, MIREOT-style:
every external term the curation or the ontology uses, with its label and ``rdfs:subClassOf``
ancestry. Releases stamp a version IRI and are written as RDF/XML for OWL tools.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS

from ..problems import Problem
from ..terms.index import TermIndex
from ..vocab import CLASTO, IMPORT_IRI, RELEASES, VOCAB_IRI, expand

#: Prefixes of the OBO ontologies whose terms the import slim holds.
ONTOLOGY_PREFIXES = ("GO", "CL", "UBERON", "CHEBI", "ECO", "NCBITaxon", "SO", "RO", "BFO")
_RELATION_PREFIXES = ("RO", "BFO")

_OBO_TERM = re.compile(r"\bobo:([A-Za-z]+)_([A-Za-z0-9]+)\b")
_LABEL_COMMENT = re.compile(r"#\s*!\s*(.*?)\s*$")

#: Properties built into RDF, RDFS and OWL, which need no declaration.
BUILTIN_NAMESPACES = (str(RDF), str(RDFS), str(OWL))


def version_iri(version: str) -> URIRef:
    """The version IRI of a release.

    >>> str(version_iri("0.1.0"))
    'https://w3id.org/clastordf/releases/0.1.0/clastordf.owl'
    """
    return URIRef(f"{RELEASES}{version}/clastordf.owl")


@dataclass(frozen=True)
class ExternalRef:
    """An external OBO term written in the edit file, with the ``# ! label`` beside it."""

    curie: str
    line: int
    label: str | None
    terms_on_line: int


def external_refs(path: Path) -> list[ExternalRef]:
    """Every ``obo:`` term written in the Turtle edit file, line by line.

    Prefix declarations and comment-only lines are skipped.
    """
    refs = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        code, _, comment = line.partition("#")
        if line.lstrip().startswith(("@prefix", "#")):
            continue
        found = [f"{a}:{b}" for a, b in _OBO_TERM.findall(code)]
        label_match = _LABEL_COMMENT.match("#" + comment) if comment else None
        for curie in found:
            refs.append(ExternalRef(curie, number, label_match.group(1) if label_match else None, len(found)))
    return refs


def ontology_curies(path: Path) -> set[str]:
    """The external terms the ontology refers to, for refreshing the term index."""
    declared = _declared(Graph().parse(path, format="turtle"))
    return {r.curie for r in external_refs(path) if URIRef(expand(r.curie)) not in declared}


def _declared(graph: Graph) -> set[URIRef]:
    return {s for s in graph.subjects(RDF.type, None) if isinstance(s, URIRef)}


def check_ontology(path: Path, index: TermIndex) -> list[Problem]:
    """The identifier checks of the curation, applied to the edit file, plus the ontology's own rules.

    External OBO terms must be in the term index, not obsolete, and carry their label as a
    ``# ! label`` comment (one term per line); terms the file declares itself (IAO's definition
    property) are its own. Every ``clasto:`` IRI used must be declared, and labels must be unique.
    """
    file = str(path)
    try:
        graph = Graph().parse(path, format="turtle")
    except Exception as err:  # rdflib raises several parser error types
        return [Problem(file, 0, "", "", f"not valid Turtle: {err}")]
    declared = _declared(graph)
    problems = []
    for ref in external_refs(path):
        iri = URIRef(expand(ref.curie))
        term = index.get(ref.curie)
        if term is None:
            if iri not in declared:
                problems.append(
                    Problem(file, ref.line, ref.curie, "term", "not in the term index; run `clastordf terms refresh`")
                )
            continue
        if term.obsolete:
            hint = f"; use {term.replaced_by}" if term.replaced_by else ""
            problems.append(Problem(file, ref.line, ref.curie, "term", f"obsolete term{hint}"))
        if ref.terms_on_line > 1:
            problems.append(
                Problem(
                    file, ref.line, ref.curie, "label", "write one external term per line, each with its `# ! label`"
                )
            )
        elif ref.label is None:
            problems.append(Problem(file, ref.line, ref.curie, "label", f"missing `# ! {term.label}` comment"))
        elif ref.label != term.label:
            problems.append(
                Problem(file, ref.line, ref.curie, "label", f"label {ref.label!r} does not match {term.label!r}")
            )
    lines = _subject_lines(path)
    for s, p, o in graph:
        for node in (s, p, o):
            if isinstance(node, URIRef) and str(node).startswith(str(CLASTO)) and node not in declared:
                problems.append(
                    Problem(
                        file,
                        lines.get(node, 0),
                        str(node),
                        "declaration",
                        "used but not declared (give it an rdf:type)",
                    )
                )
    seen: dict[str, URIRef] = {}
    for s, label in sorted(graph.subject_objects(RDFS.label)):
        if not isinstance(s, URIRef):
            continue
        key = str(label).lower()
        if key in seen and seen[key] != s:
            problems.append(
                Problem(
                    file,
                    lines.get(s, 0),
                    str(s),
                    "rdfs:label",
                    f"label {str(label)!r} is also the label of {seen[key]}",
                )
            )
        seen.setdefault(key, s)
    return sorted(set(problems), key=lambda p: (p.line, p.record, p.message))


def _subject_lines(path: Path) -> dict[URIRef, int]:
    """The line where each ``clasto:`` term is first written, for error messages."""
    out: dict[URIRef, int] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        for local in re.findall(r"\bclasto:([A-Za-z0-9_]+)", line.partition("#")[0]):
            out.setdefault(CLASTO[local], number)
    return out


def term_slim(index: TermIndex, curies: Iterable[str]) -> Graph:
    """Labels and ``rdfs:subClassOf`` ancestry of the given OBO terms (relations as object properties).

    >>> from clastordf.terms.index import Term
    >>> index = TermIndex([Term("CL:0000092", "osteoclast", "cell", parents=("CL:0000000",)),
    ...                    Term("CL:0000000", "cell", "cell")])
    >>> len(term_slim(index, ["CL:0000092"]))
    5
    """
    closure = set(curies)
    for curie in list(closure):
        closure.update(index.ancestors(curie))
    graph = Graph()
    for curie in sorted(closure):
        term = index.get(curie)
        if term is None:
            continue
        node = URIRef(expand(curie))
        is_relation = curie.split(":", 1)[0] in _RELATION_PREFIXES
        graph.add((node, RDF.type, OWL.ObjectProperty if is_relation else OWL.Class))
        graph.add((node, RDFS.label, Literal(term.label)))
        if not is_relation:
            for parent in term.parents:
                if parent in index:
                    graph.add((node, RDFS.subClassOf, URIRef(expand(parent))))
    return graph


def import_slim(index: TermIndex) -> Graph:
    """The import ontology: every OBO term of the term index with its label and ancestry."""
    curies = [c for c in index.terms if c.split(":", 1)[0] in ONTOLOGY_PREFIXES]
    graph = term_slim(index, curies)
    graph.add((IMPORT_IRI, RDF.type, OWL.Ontology))
    graph.add(
        (
            IMPORT_IRI,
            RDFS.comment,
            Literal(
                "MIREOT-style import slim of the clastordf ontology: the external GO, CL, UBERON, ChEBI, ECO, "
                "NCBITaxon, SO, RO and BFO terms the curation and the ontology use, with labels and rdfs:subClassOf "
                "ancestry, generated by `clastordf terms refresh` from ontology/imports/term-index.tsv.",
                lang="en",
            ),
        )
    )
    return graph


def versioned(edit: Graph, version: str, inferred_subclasses: Iterable[tuple[URIRef, URIRef]] = ()) -> Graph:
    """The vocabulary of one release: the edit file with its version IRI and inferred subclass axioms."""
    graph = Graph()
    graph += edit
    graph.add((VOCAB_IRI, OWL.versionIRI, version_iri(version)))
    graph.add((VOCAB_IRI, OWL.versionInfo, Literal(version)))
    for sub, sup in inferred_subclasses:
        graph.add((sub, RDFS.subClassOf, sup))
    return graph


def merged(vocabulary: Graph, slim: Graph) -> Graph:
    """The ontology with its import merged in (ODK's full release): no ``owl:imports`` left to fetch."""
    graph = Graph()
    graph += vocabulary
    graph.remove((VOCAB_IRI, OWL.imports, None))
    for s, p, o in slim:
        if s != IMPORT_IRI:
            graph.add((s, p, o))
    graph.add(
        (
            VOCAB_IRI,
            RDFS.comment,
            Literal(
                f"This release merges its import {IMPORT_IRI} (the external terms the ontology and data use).",
                lang="en",
            ),
        )
    )
    return graph


def external_properties(graph: Graph) -> set[URIRef]:
    """Predicates used in ``graph`` that are neither built in nor declared as a property in it."""
    kinds = (OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty)
    declared = {s for kind in kinds for s in graph.subjects(RDF.type, kind)}
    return {
        p
        for p in graph.predicates()
        if isinstance(p, URIRef) and not str(p).startswith(BUILTIN_NAMESPACES) and p not in declared
    }
