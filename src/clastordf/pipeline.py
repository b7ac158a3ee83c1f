"""The build: curation -> checked model -> derived layer -> RDF graph -> SHACL -> Turtle.

Each stage is timed; any problem stops the build before anything is written, and outputs are
written through temporary files so ``build/`` never holds half a result.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, XSD

from .curation import read_curation
from .derive import check_facts, derive_all
from .graph import build_graph
from .identifiers import check_identifiers
from .model import Curation, Loc
from .problems import Problem, ProblemsFound
from .project import Project
from .termindex import TermIndex
from .terms import write_atomic
from .turtle import serialize
from .validation import Violation, load_shapes, validate_graph
from .vocab import CE, CF, CX, DATASET_IRI, PREFIXES

Progress = Callable[[str], None]


def stderr_progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


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


class ShapesViolated(Exception):
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


def checked_curation(project: Project, timings: Timings, progress: Progress) -> tuple[Curation, TermIndex, dict]:
    """Read and check the curation; raise :class:`ProblemsFound` with every problem found."""
    with timings.stage("parse", progress):
        curation = read_curation(project.curation)
    with timings.stage("check", progress):
        if not project.term_index.exists():
            raise ProblemsFound("identifier checks", [Problem(
                str(project.term_index), 0, "", "",
                "missing; run `clastordf terms refresh --reference ../shared/reference`")])
        index = TermIndex.read(project.term_index)
        problems = check_identifiers(curation, index)
        derived = derive_all(curation)
        problems += check_facts(curation, derived)
        if problems:
            raise ProblemsFound("identifier and fact checks", problems)
    return curation, index, derived


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


def subject_rank(subject: URIRef) -> int:
    """Order of sections in the Turtle file: dataset, facts, evidence, complexes, the rest."""
    text = str(subject)
    for rank, ns in enumerate((DATASET_IRI, str(CF), str(CE), str(CX))):
        if text.startswith(ns):
            return rank
    return 4


def build(project: Project, out_dir: Path, progress: Progress = stderr_progress) -> BuildResult:
    """Run the whole build and write ``out_dir/clastordf.ttl``."""
    timings = Timings()
    curation, index, derived = checked_curation(project, timings, progress)
    with timings.stage("graph", progress):
        graph = build_graph(curation, derived, index)
        epoch = os.environ.get("SOURCE_DATE_EPOCH")
        if epoch:
            modified = datetime.fromtimestamp(int(epoch), tz=UTC).date().isoformat()
            graph.add((URIRef(DATASET_IRI), DCTERMS.modified, Literal(modified, datatype=XSD.date)))
    with timings.stage("shacl", progress):
        violations = validate_graph(graph, load_shapes(project.shapes), origins(curation))
        if violations:
            raise ShapesViolated(violations)
    with timings.stage("serialize", progress):
        vocabulary = Graph().parse(project.vocabulary, format="turtle")
        text = serialize(graph + vocabulary, PREFIXES, subject_rank)
        target = out_dir / "clastordf.ttl"
        write_atomic(target, text)
    progress(f"wrote {target} ({len(graph) + len(vocabulary)} triples, {len(curation.facts)} facts)")
    return BuildResult(graph, curation, timings, [target])
