"""The build: curation + ontology -> checks -> derived layer -> RDF graph -> reasoning -> SHACL -> files.

Each stage is timed; any problem stops the build before anything is written, and the files are
published as one set (:mod:`.outputs`), so ``build/`` holds the previous build or this one, never
half of one, even when the build is killed.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from importlib.metadata import version as package_version
from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, PROV, RDF, RDFS, XSD
from rdflib.term import Identifier

from .curation.derive import check_facts, derive_all
from .curation.model import Curation, Loc
from .curation.reader import read_curation
from .files import build_date
from .graph.builder import build_graph
from .ontology.page import render_ontology_page
from .ontology.reasoning import METHODS, Inference, ReasoningError, classify
from .ontology.slim import check_ontology, import_slim, merged, version_iri, versioned
from .outputs import publish, write_files
from .problems import Problem, ProblemsFound, Reported
from .progress import Progress, stderr_progress
from .project import Project
from .rdfio.rdfxml import serialize_rdfxml
from .rdfio.turtle import serialize
from .terms.identifiers import check_identifiers
from .terms.index import TermIndex
from .validate.shacl import Violation, load_shapes, validate_graph
from .vocab import CE, CF, CX, DATASET_IRI, INFERRED_IRI, PREFIXES, REASONING_IRI, VOID
from .wikipathways.gmt import gene_sets
from .wikipathways.gpml_write import gpml_outputs
from .wikipathways.wprdf import WP_PREFIXES, dataset_wp


@dataclass
class Timings:
    stages: dict[str, float] = field(default_factory=dict)

    @contextmanager
    def stage(self, name: str, progress: Progress) -> Iterator[None]:
        start = time.perf_counter()
        progress(f"[{name}] …")
        yield
        self.stages[name] = time.perf_counter() - start
        progress(f"[{name}] done in {self.stages[name]:.2f}s")


class ShapesViolated(Reported):
    def __init__(self, violations: list[Violation]):
        self.violations = violations
        super().__init__(f"{len(violations)} SHACL violation(s)")

    def report(self) -> str:
        lines = [f"SHACL validation failed with {len(self.violations)} violation(s):"]
        lines += [f"  {v}" for v in self.violations]
        return "\n".join(lines)


@dataclass
class BuildResult:
    graph: Graph
    curation: Curation
    timings: Timings
    outputs: list[Path]
    inference: Inference


def checked_curation(project: Project, timings: Timings, progress: Progress) -> tuple[Curation, TermIndex, dict]:
    """Read and check the curation; raise :class:`ProblemsFound` with every problem found."""
    with timings.stage("parse", progress):
        curation = read_curation(project.curation)
    with timings.stage("check", progress):
        if not project.term_index.exists():
            raise ProblemsFound(
                "identifier checks",
                [
                    Problem(
                        str(project.term_index),
                        0,
                        "",
                        "",
                        "missing; run `clastordf terms refresh --reference ../shared/reference`",
                    )
                ],
            )
        index = TermIndex.read(project.term_index)
        problems = check_identifiers(curation, index)
        derived = derive_all(curation)
        problems += check_facts(curation, derived)
        problems += check_ontology(project.ontology_edit, index)
        problems += check_import_slim(project, index)
        if problems:
            raise ProblemsFound("identifier and fact checks", problems)
    return curation, index, derived


def import_slim_text(index: TermIndex) -> str:
    """The import ontology as committed in ``ontology/imports/external_import.owl``."""
    return serialize_rdfxml(import_slim(index), PREFIXES)


def check_import_slim(project: Project, index: TermIndex) -> list[Problem]:
    """The committed import slim must be what the committed term index gives."""
    path = project.import_slim
    if not path.exists() or path.read_text(encoding="utf-8") != import_slim_text(index):
        return [
            Problem(
                str(path),
                0,
                "",
                "",
                "missing or out of date with the term index; "
                "run `clastordf terms refresh --reference ../shared/reference`",
            )
        ]
    return []


def origins(curation: Curation) -> dict[str, Loc]:
    """Which curation record each minted IRI came from, for readable SHACL reports."""
    out: dict[str, Loc] = {}
    for fact in curation.facts:
        out[str(CF[fact.id])] = fact.loc
        for claim in fact.claims:
            out[str(CF[f"{fact.id}-{claim.id}"])] = claim.loc
    for ev in curation.evidence.values():
        out[str(CE[ev.id])] = ev.loc
    for entity in curation.entities.values():
        out[str(CX[entity.key])] = entity.loc
    return out


def subject_rank(subject: Identifier) -> int:
    """Order of sections in the Turtle file: dataset, facts, evidence, complexes, the rest."""
    text = str(subject)
    for rank, ns in enumerate((DATASET_IRI, str(CF), str(CE), str(CX))):
        if text.startswith(ns):
            return rank
    return 4


def inference_provenance(version: str, method: str) -> Graph:
    """Where the inferred types come from: a subset of the dataset generated by a reasoning activity."""
    graph = Graph()
    graph.add((URIRef(DATASET_IRI), VOID.subset, INFERRED_IRI))
    graph.add((INFERRED_IRI, RDF.type, VOID.Dataset))
    graph.add((INFERRED_IRI, RDFS.label, Literal("inferred types", lang="en")))
    graph.add(
        (
            INFERRED_IRI,
            DCTERMS.description,
            Literal(
                "rdf:type triples inferred by classifying the facts with the clastordf ontology; each is marked "
                "with clasto:inferredType on the same node.",
                lang="en",
            ),
        )
    )
    graph.add((INFERRED_IRI, PROV.wasGeneratedBy, REASONING_IRI))
    graph.add((REASONING_IRI, RDF.type, PROV.Activity))
    graph.add(
        (
            REASONING_IRI,
            RDFS.label,
            Literal(f"{method}; HermiT run by owlready2 {package_version('owlready2')}", lang="en"),
        )
    )
    graph.add((REASONING_IRI, PROV.used, version_iri(version)))
    return graph


@dataclass
class Outputs:
    """Every file of a build, rendered in memory before any is written."""

    files: dict[str, str] = field(default_factory=dict)

    def write(self, out_dir: Path) -> list[Path]:
        """Publish every file in ``out_dir`` as one set (:func:`.outputs.publish`); the ``clastordf*``
        files an earlier build left that this one does not make (the inferred types after
        ``--no-reason``, the GPML of a mechanism gone) go with the switch."""
        return publish(self.files, out_dir)


def wikipathways_links(project: Project) -> Graph:
    """The committed cross-links to WikiPathways (``clastordf gpml links``), if any."""
    path = project.wikipathways_links
    if not path.exists():
        return Graph()
    try:
        return Graph().parse(path, format="turtle")
    except Exception as err:  # rdflib raises several parser error types; the message has the line
        raise ProblemsFound("read cross-links", [Problem(str(path), 0, "", "", f"not valid Turtle: {err}")]) from None


def wikipathways_outputs(graph: Graph, version: str) -> dict[str, str]:
    """The files for WikiPathways/GPML pipelines: the pathway (GPML, checked), its picture, its wp: RDF
    and the GMT gene sets."""
    files = gpml_outputs(graph, version, by_mechanism=True)
    files["clastordf-wp.ttl"] = serialize(dataset_wp(graph, files["clastordf.gpml"], version), WP_PREFIXES)
    files["clastordf.gmt"] = gene_sets(graph, version)
    return files


def reasoning_method(requested: str | None = None) -> str:
    """The reasoning method a build uses: ``requested``, else ``CLASTORDF_REASONING``, else ``auto``."""
    method = requested or os.environ.get("CLASTORDF_REASONING") or "auto"
    if method not in METHODS:
        source = "reasoning" if requested else "CLASTORDF_REASONING"
        raise ReasoningError(f"{source}={method!r} is not a reasoning method", [f"use one of: {', '.join(METHODS)}"])
    return method


def build(
    project: Project,
    out_dir: Path,
    progress: Progress = stderr_progress,
    reason: bool = True,
    modified: date | None = None,
    reasoning: str | None = None,
    *,
    as_set: bool = True,
) -> BuildResult:
    """Run the whole build and write the dataset, the ontology release and the inferred types to ``out_dir``.

    ``reason=False`` skips HermiT (for machines without Java); the build then publishes no inferred
    classes and says so. ``reasoning`` is how the facts are typed, one of
    :data:`~clastordf.ontology.reasoning.METHODS` (default: ``CLASTORDF_REASONING``, else ``auto``).
    ``modified`` (default: ``SOURCE_DATE_EPOCH``'s date, if set) is stated as the
    dataset's ``dcterms:modified``; without either the dataset carries no build date, so rebuilding
    the same sources gives the same bytes. ``as_set=False`` writes the files as plain files into
    ``out_dir``, a new folder the caller publishes whole (the release builds into a hidden folder
    that it renames into place).
    """
    method = reasoning_method(reasoning) if reason else None  # a bad setting fails before any work
    timings = Timings()
    curation, index, derived = checked_curation(project, timings, progress)
    version = curation.dataset.version
    with timings.stage("graph", progress):
        graph = build_graph(curation, derived, index)
        modified = modified or build_date()
        if modified:
            graph.add((URIRef(DATASET_IRI), DCTERMS.modified, Literal(modified.isoformat(), datatype=XSD.date)))
        graph += wikipathways_links(project)
        edit = Graph().parse(project.ontology_edit, format="turtle")
        slim = import_slim(index)
    inference = Inference()
    if method is not None:  # reasoning is on
        with timings.stage("reason", progress):
            inference = classify(merged(edit, slim), graph, method=method)
            if inference.outside_fragment:
                progress(
                    f"[reason] the ontology is outside the rule pass's fragment "
                    f"({'; '.join(inference.outside_fragment[:3])}); HermiT realises every fact instead"
                )
            inferred = Graph()
            for triple in inference.triples():
                inferred.add(triple)
            inferred += inference_provenance(version, inference.method)
            graph += inferred
        progress(
            f"[reason] {sum(len(v) for v in inference.types.values())} inferred types on {len(inference.types)} facts"
        )
    else:
        inferred = None
        progress("WARNING: reasoning skipped (--no-reason): no inferred classes (clasto:Clastokine …) are published")
    with timings.stage("shacl", progress):
        violations = validate_graph(graph, load_shapes(project.shapes), origins(curation))
        if violations:
            raise ShapesViolated(violations)
    with timings.stage("serialize", progress):
        vocabulary = versioned(edit, version, inference.subclasses)
        ontology = merged(vocabulary, slim)
        outputs = Outputs()
        outputs.files["clastordf.ttl"] = serialize(graph + ontology, PREFIXES, subject_rank)
        outputs.files["clastordf.owl"] = serialize_rdfxml(ontology, PREFIXES)
        outputs.files["clastordf-vocab.ttl"] = serialize(vocabulary, PREFIXES)
        outputs.files["clastordf-ontology.html"] = render_ontology_page(ontology, version)
        if inferred is not None:
            outputs.files["clastordf-inferred.ttl"] = serialize(inferred, PREFIXES, subject_rank)
    with timings.stage("exports", progress):
        outputs.files.update(wikipathways_outputs(graph + ontology, version))
    with timings.stage("write", progress):
        if as_set:
            written = outputs.write(out_dir)
        else:
            out_dir.mkdir(parents=True, exist_ok=True)
            written = write_files(outputs.files, out_dir)
    progress(
        f"wrote {', '.join(p.name for p in written)} to {out_dir} "
        f"({len(graph) + len(ontology)} triples, {len(curation.facts)} facts)"
    )
    return BuildResult(graph, curation, timings, written, inference)
