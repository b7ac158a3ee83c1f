"""The ``clastordf`` command line."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from . import __version__
from .curation import read_curation
from .ontology import ontology_curies
from .pipeline import (
    ShapesViolated,
    Timings,
    build,
    check_import_slim,
    checked_curation,
    import_slim_text,
    stderr_progress,
)
from .problems import ProblemsFound
from .project import Project
from .reasoning import ReasoningError
from .reference import Reference
from .termindex import TermIndex
from .terms import build_index, snapshot_sources, write_atomic
from .turtle import serialize
from .validation import load_shapes, validate_graph
from .vocab import PREFIXES


def _project(args: argparse.Namespace) -> Project:
    return Project(Path(args.project).resolve()) if args.project else Project.find()


def _build_dir(args: argparse.Namespace, project: Project) -> Path:
    """The build folder a command reads or writes (``--out`` of build, ``--build-dir`` elsewhere)."""
    return Path(args.build_dir) if args.build_dir else project.root / "build"


def cmd_build(args: argparse.Namespace) -> int:
    project = _project(args)
    build(project, _build_dir(args, project), reason=not args.no_reason)
    return 0


def build_is_stale(project: Project, out: Path) -> bool:
    """Whether ``out`` lacks a build or is older than any source it is made from."""
    data = out / "clastordf.ttl"
    if not data.exists():
        return True
    sources = [project.curation, project.ontology_edit.parent, project.shapes.parent]
    newest = max((p.stat().st_mtime for root in sources for p in root.rglob("*") if p.is_file()), default=0)
    return newest > data.stat().st_mtime


def cmd_serve(args: argparse.Namespace) -> int:
    from .server.config import ServerConfig
    from .server.run import serve
    from .server.store import prepare_store

    project = _project(args)
    out = _build_dir(args, project)
    if build_is_stale(project, out):
        if args.no_build:
            print(f"error: {out} is missing or older than its sources (drop --no-build to build it)", file=sys.stderr)
            return 2
        print(f"building the dataset into {out} first …", file=sys.stderr)
        build(project, out, reason=not args.no_reason)
    config = ServerConfig.from_env(
        out, base=args.base, query_timeout=args.query_timeout, result_limit=args.result_limit,
        service_allowlist=tuple(args.service_allow) if args.service_allow else None)
    print("preparing the store …", file=sys.stderr)
    prepare_store(config.build_dir)
    print(f"serving {config.build_dir} at http://{args.host}:{args.port}/ (SPARQL: /sparql)", file=sys.stderr)
    serve(config, args.host, args.port, args.workers, args.threads)
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    project = _project(args)
    curation, _, _ = checked_curation(project, Timings(), stderr_progress)
    print(f"ok: {len(curation.facts)} facts, {len(curation.evidence)} evidence lines, "
          f"{len(curation.entities)} entities")
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    from rdflib import Graph

    path = Path(args.file)
    graph = Graph()
    try:
        graph.parse(path, format="turtle")
    except Exception as exc:  # rdflib raises several parser-specific types
        print(f"{path}: not valid Turtle: {exc}", file=sys.stderr)
        return 1
    shapes_path = Path(args.shapes) if args.shapes else _project(args).shapes
    violations = validate_graph(graph, load_shapes(shapes_path))
    if violations:
        print(f"{path}: {len(violations)} SHACL violation(s):", file=sys.stderr)
        for v in violations:
            print(f"  {v}", file=sys.stderr)
        return 1
    print(f"{path}: conforms to {shapes_path.name} ({len(graph)} triples)")
    return 0


def cmd_terms_refresh(args: argparse.Namespace) -> int:
    project = _project(args)
    reference = Reference(Path(args.reference))
    if args.sources:
        for path in snapshot_sources(Path(args.sources), project.curation):
            print(f"wrote {path}")
    curation = read_curation(project.curation)
    result = build_index(curation, reference, ontology_curies(project.ontology_edit))
    write_atomic(project.term_index, result.index.to_tsv())
    print(f"wrote {project.term_index} ({len(result.index)} identifiers)")
    write_atomic(project.import_slim, import_slim_text(result.index))
    print(f"wrote {project.import_slim}")
    if result.missing:
        print("not found in the reference (fix these ids in the curation):", file=sys.stderr)
        for curie in result.missing:
            print(f"  {curie}", file=sys.stderr)
        return 1
    return 0


def cmd_terms_check(args: argparse.Namespace) -> int:
    """Compare the committed index with what the reference says today."""
    project = _project(args)
    reference = Reference(Path(args.reference))
    committed = TermIndex.read(project.term_index)
    expected = build_index(read_curation(project.curation), reference, ontology_curies(project.ontology_edit)).index
    stale = sorted(set(committed.terms) ^ set(expected.terms))
    changed = sorted(c for c in set(committed.terms) & set(expected.terms) if committed.terms[c] != expected.terms[c])
    if stale or changed:
        for c in stale:
            print(f"  {c}: {'not used any more' if c in committed else 'missing from the index'}", file=sys.stderr)
        for c in changed:
            print(f"  {c}: differs from the reference", file=sys.stderr)
        print("the term index is out of date: run `clastordf terms refresh`", file=sys.stderr)
        return 1
    slim = check_import_slim(project, committed)
    if slim:
        print(f"  {slim[0]}", file=sys.stderr)
        return 1
    print(f"{project.term_index}: up to date ({len(committed)} identifiers), {project.import_slim.name} too")
    return 0


def cmd_gpml_links(args: argparse.Namespace) -> int:
    """Link the entities of the built dataset to the WikiPathways pathways of a folder of GPML files."""
    from rdflib import Graph

    from .gpml_links import scan

    project = _project(args)
    data = _build_dir(args, project)
    if not (data / "clastordf.ttl").exists():
        print(f"error: {data / 'clastordf.ttl'} is missing: run `clastordf build` first", file=sys.stderr)
        return 2
    report = scan(Path(args.folder), Graph().parse(data / "clastordf.ttl", format="turtle"))
    for problem in report.problems:
        print(f"warning: {problem}", file=sys.stderr)
    if report.problems and args.strict:
        raise ProblemsFound("gpml links", report.problems)
    text = serialize(report.graph, PREFIXES)
    if args.out:
        write_atomic(Path(args.out), text)
        print(f"wrote {args.out}: {len(report.links)} links to {len(report.pathways)} pathways", file=sys.stderr)
    else:
        print(text, end="")
    return 0


def cmd_gpml_check(args: argparse.Namespace) -> int:
    """Check GPML files: XSD, references, Xref patterns, arrowheads (and layout with --layout)."""
    from .gpml_check import check_gpml

    bad = 0
    for name in args.files:
        report = check_gpml(Path(name).read_text(encoding="utf-8"), check_layout=args.layout, strict=not args.lenient)
        for message in report.errors:
            print(f"{name}: error: {message}", file=sys.stderr)
        for message in report.warnings:
            print(f"{name}: warning: {message}", file=sys.stderr)
        bad += bool(report.errors)
        if not report.errors:
            print(f"{name}: valid GPML 2013a ({len(report.warnings)} warning(s))")
    return 1 if bad else 0


def cmd_report_coverage(args: argparse.Namespace) -> int:
    import json
    from dataclasses import asdict

    from .reports import coverage, coverage_markdown

    project = _project(args)
    curation, _, _ = checked_curation(project, Timings(), lambda _: None)
    report = coverage(curation)
    if args.format == "json":
        print(json.dumps({**asdict(report), "table1_gaps": report.table1_gaps}, indent=2))
    else:
        print(coverage_markdown(report, curation), end="")
    return 1 if report.table1_gaps else 0


def cmd_report_pfocr(args: argparse.Namespace) -> int:
    from . import pfocr

    project = _project(args)
    curation, index, derived = checked_curation(project, Timings(), lambda _: None)
    hits, missed = pfocr.compare(curation, derived, index, project.curation / "pfocr")
    if args.format == "turtle":
        print(pfocr.figure_graph(hits, curation).serialize(format="turtle"), end="")
    else:
        print(pfocr.markdown(hits, missed), end="")
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="clastordf", description="Publish curated clastokine facts as linked data.")
    p.add_argument("--version", action="version", version=f"clastordf {__version__}")
    p.add_argument("--project", help="project root (default: the folder above with curation/ and shapes/)")
    sub = p.add_subparsers(dest="command", required=True)

    b = sub.add_parser("build", help="check the curation and ontology, reason, validate, and write build/: "
                                     "clastordf.ttl, clastordf.owl, clastordf-vocab.ttl, clastordf-inferred.ttl, "
                                     "clastordf-ontology.html")
    b.add_argument("--out", dest="build_dir", help="output folder (default: build/)")
    b.add_argument("--no-reason", action="store_true",
                   help="skip HermiT (no Java needed); no inferred classes are published")
    b.set_defaults(func=cmd_build)

    env = os.environ
    s = sub.add_parser("serve", help="build if needed, then serve the dataset: SPARQL endpoint, pages, downloads")
    s.add_argument("--host", default=env.get("CLASTORDF_HOST", "127.0.0.1"), help="default 127.0.0.1 ($CLASTORDF_HOST)")
    s.add_argument("--port", type=int, default=int(env.get("CLASTORDF_PORT", "8000")),
                   help="default 8000 ($CLASTORDF_PORT)")
    s.add_argument("--workers", type=int, default=int(env.get("CLASTORDF_WORKERS", "2")),
                   help="gunicorn worker processes, default 2 ($CLASTORDF_WORKERS)")
    s.add_argument("--threads", type=int, default=int(env.get("CLASTORDF_THREADS", "4")),
                   help="threads per worker, default 4 ($CLASTORDF_THREADS)")
    s.add_argument("--build-dir", help="the build folder to serve (default: build/)")
    s.add_argument("--base", help="IRI base served here (default https://w3id.org/clastordf/; $CLASTORDF_BASE)")
    s.add_argument("--query-timeout", type=float,
                   help="seconds per SPARQL query (default 10; $CLASTORDF_QUERY_TIMEOUT)")
    s.add_argument("--result-limit", type=int,
                   help="rows/triples per response (default 10000; $CLASTORDF_RESULT_LIMIT)")
    s.add_argument("--service-allow", action="append", metavar="IRI",
                   help="an endpoint SERVICE may reach (repeatable; default none; $CLASTORDF_SERVICE_ALLOWLIST)")
    s.add_argument("--no-build", action="store_true", help="serve build/ as it is; fail if it is missing or stale")
    s.add_argument("--no-reason", action="store_true", help="if building, skip HermiT (no Java needed)")
    s.set_defaults(func=cmd_serve)

    c = sub.add_parser("check", help="check the curation and its identifiers, write nothing")
    c.set_defaults(func=cmd_check)

    v = sub.add_parser("validate", help="validate a Turtle file against the SHACL shapes")
    v.add_argument("file")
    v.add_argument("--shapes", help="shapes file (default: shapes/clastordf.shacl.ttl)")
    v.set_defaults(func=cmd_validate)

    rep = sub.add_parser("report", help="curation reports")
    rsub = rep.add_subparsers(dest="report_command", required=True)
    cov = rsub.add_parser("coverage", help="Table 1 rows, facts per mechanism/status, in-vivo gaps, "
                                           "bibliography use, terms per ontology (exit 1 on Table 1 gaps)")
    cov.add_argument("--format", choices=("markdown", "json"), default="markdown")
    cov.set_defaults(func=cmd_report_coverage)

    pf = rsub.add_parser("pfocr", help="the PFOCR Figure 2 gene/chemical lists against the curated entities")
    pf.add_argument("--format", choices=("markdown", "turtle"), default="markdown")
    pf.set_defaults(func=cmd_report_pfocr)

    gp = sub.add_parser("gpml", help="GPML files: check them, or cross-link WikiPathways pathways to the dataset")
    gsub = gp.add_subparsers(dest="gpml_command", required=True)
    gl = gsub.add_parser("links", help="rdfs:seeAlso from the dataset's entities to the WikiPathways pathways "
                                       "(GPML files in FOLDER) that contain them, matched through Xrefs")
    gl.add_argument("folder")
    gl.add_argument("-o", "--out", help="write the RDF here (e.g. curation/wikipathways-links.ttl, which the "
                                        "build includes); default: standard output")
    gl.add_argument("--build-dir", help="the build to link (default: build/)")
    gl.add_argument("--strict", action="store_true", help="fail on any unreadable file or malformed Xref")
    gl.set_defaults(func=cmd_gpml_links)
    gc = gsub.add_parser("check", help="validate GPML files (XSD and the checks the XSD cannot make)")
    gc.add_argument("files", nargs="+")
    gc.add_argument("--layout", action="store_true", help="also check that nodes do not overlap")
    gc.add_argument("--lenient", action="store_true", help="legacy Xref names are warnings (real WikiPathways files)")
    gc.set_defaults(func=cmd_gpml_check)

    t = sub.add_parser("terms", help="the committed term index")
    tsub = t.add_subparsers(dest="terms_command", required=True)
    r = tsub.add_parser("refresh", help="rewrite ontology/imports/term-index.tsv and external_import.owl "
                                        "from the reference files")
    r.add_argument("--reference", required=True, help="the pinned reference folder (../shared/reference)")
    r.add_argument("--sources", help="the shared folder (../shared): also snapshot the review's bibliography "
                                     "and the PFOCR Figure 2 tables into curation/")
    r.set_defaults(func=cmd_terms_refresh)
    k = tsub.add_parser("check", help="compare the committed term index with the reference files")
    k.add_argument("--reference", required=True)
    k.set_defaults(func=cmd_terms_check)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except (ProblemsFound, ShapesViolated, ReasoningError) as exc:
        print(exc.report(), file=sys.stderr)
        return 1
    except FileNotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
