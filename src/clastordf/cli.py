"""The ``clastordf`` command line."""

from __future__ import annotations

import argparse
import os
import sys
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

from . import __version__
from .problems import Reported
from .progress import stderr_progress
from .project import Project

# The pipeline's stages are imported by the commands that run them: `clastordf serve` forks its web
# workers from this process, which should hold the server and not the pipeline (rdflib, owlready2, …).

if TYPE_CHECKING:
    import socket

    from .server import ServerConfig


def _project(args: argparse.Namespace) -> Project:
    return Project(Path(args.project).resolve()) if args.project else Project.find()


def _build_dir(args: argparse.Namespace, project: Project) -> Path:
    """The build folder a command reads or writes (``--out`` of build, ``--build-dir`` elsewhere)."""
    return Path(args.build_dir) if args.build_dir else project.root / "build"


def cmd_build(args: argparse.Namespace) -> int:
    from .build import build

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
    from .server import PortInUse, ServerConfig, listen, prepare_pages, prepare_store, serve

    # A release is not built, a remote backend is not built for, and --no-build builds nothing: with
    # --build-dir they need no project, a copy of build/ (or of build/release) is enough.
    remote = args.backend or os.environ.get("CLASTORDF_BACKEND")
    if (args.release or remote) and args.build_dir:
        project = None
    elif args.no_build and args.build_dir and not args.project:
        # outside a checkout there are no sources to be stale against: serve the folder as it is
        try:
            project = _project(args)
        except FileNotFoundError:
            project = None
    else:
        project = _project(args)
    out = _build_dir(args, project) if project is not None else Path(args.build_dir)
    config = ServerConfig.from_env(
        out,
        base=args.base,
        query_timeout=args.query_timeout,
        result_limit=args.result_limit,
        service_allowlist=tuple(args.service_allow) if args.service_allow else None,
        release=args.release,
        backend=args.backend,
        backend_graph=args.backend_graph,
        workers=args.workers,
        threads=args.threads,
    )
    # The port first: a server already there (or one still stopping) is told at once, before a build.
    try:
        config.check_memory()
        listener = listen(args.host, args.port)
    except (ValueError, PortInUse) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if config.backend:
        return _serve_remote(args, config, listener)
    if config.release:
        # A release is served as it was published: no build; an unknown one is an UnknownRelease
        # (a FileNotFoundError: exit 2) naming the releases there are. Resolved here, not per worker,
        # so `latest` means the same release in every worker.
        config = config.resolve_release()
        what = f"release {config.release} ({config.data_dir})"
    elif project is None:  # --no-build --build-dir DIR: serve DIR as it is, wherever it came from
        if not (out / "clastordf.ttl").is_file():
            print(
                f"error: {out} holds no build (no clastordf.ttl); build one with `clastordf build --out {out}`",
                file=sys.stderr,
            )
            return 2
        what = str(config.build_dir)
    else:
        if build_is_stale(project, out):
            if args.no_build:
                print(
                    f"error: {out} is missing or older than its sources (drop --no-build to build it)", file=sys.stderr
                )
                return 2
            from .build import build

            print(f"building the dataset into {out} first …", file=sys.stderr)
            build(project, out, reason=not args.no_reason)
        what = str(config.build_dir)
    print("preparing the store …", file=sys.stderr)
    prepare_store(config.data_dir, config.store_location)
    # Once per build (then checked and reused): every resource page, so a dereference is a file read.
    prepare_pages(config, stderr_progress)
    print(f"serving {what} at http://{args.host}:{args.port}/ (SPARQL: /sparql)", file=sys.stderr)
    serve(config, listener)
    return 0


def _serve_remote(args: argparse.Namespace, config: ServerConfig, listener: socket.socket) -> int:
    """``serve --backend sparql:URL``: no build and no store; the build (or release) folder gives the
    downloads, the ontology page and the version, whose graph the backend is asked for."""
    from .server import check_backend, serve

    config = config.resolve_release()  # an unknown release: exit 2, naming the releases there are
    if not config.data_dir.is_dir():
        print(
            f"error: {config.data_dir} is missing: with a backend the server still serves the downloads, the "
            f"ontology page and the version from the build (or --release) folder",
            file=sys.stderr,
        )
        return 2
    try:
        backend = check_backend(config)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    graph = f"graph <{backend.graph}>" if backend.graph else "its default graph"
    if backend.triples is None:  # a backend that is down now may be up later: say so, but serve
        print(
            f"warning: {backend.error}; serving anyway (pages answer 503 and /health says so until it answers)",
            file=sys.stderr,
        )
    else:
        print(f"backend {backend.endpoint}: {graph} holds {backend.triples} triples", file=sys.stderr)
        if backend.triples == 0:
            print(
                f"warning: {graph} is empty on the backend: load the release into it (`clastordf virtuoso load "
                f"--release VERSION`) or name the graph that holds the data with --backend-graph",
                file=sys.stderr,
            )
    what = f"release {config.release} ({config.data_dir})" if config.release else str(config.data_dir)
    print(
        f"serving {what} from {backend.endpoint} at http://{args.host}:{args.port}/ (SPARQL: /sparql)",
        file=sys.stderr,
    )
    serve(config, listener)
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from .build import Timings, checked_curation

    project = _project(args)
    curation, _, _ = checked_curation(project, Timings(), stderr_progress)
    kinds = Counter(_ENTITY_KINDS.get(type(e).__name__, type(e).__name__) for e in curation.entities.values())
    breakdown = ", ".join(f"{n} {kind}" for kind, n in sorted(kinds.items(), key=lambda kv: (-kv[1], kv[0])))
    # The curated entity list, not what the home page counts (the entities facts name as ligand,
    # receptor or regulator, complexes by their parts): say which, so the two numbers never look alike.
    print(
        f"ok: {len(curation.facts)} facts, {len(curation.evidence)} evidence lines, "
        f"{len(curation.entities)} curated entities ({breakdown})"
    )
    return 0


#: How ``clastordf check`` names each kind of curated entity.
_ENTITY_KINDS = {"GeneProduct": "gene products", "Chemical": "chemicals", "Complex": "complexes", "MiRNA": "miRNAs"}


def cmd_validate(args: argparse.Namespace) -> int:
    from rdflib import Graph

    from .validate.shacl import load_shapes, validate_graph

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
    from .build import import_slim_text
    from .curation.reader import read_curation
    from .files import write_atomic
    from .ontology.slim import ontology_curies
    from .terms.reference import Reference
    from .terms.refresh import build_index, snapshot_sources

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
    from .build import check_import_slim
    from .curation.reader import read_curation
    from .ontology.slim import ontology_curies
    from .terms.index import TermIndex
    from .terms.reference import Reference
    from .terms.refresh import build_index

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

    from .files import write_atomic
    from .problems import ProblemsFound
    from .rdfio.turtle import serialize
    from .vocab import PREFIXES
    from .wikipathways.links import scan

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
    from .wikipathways.gpml_check import check_gpml

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
    """Table 1 rows, text mechanisms and their fates, facts per mechanism × category and evidence level.

    Exit 1 on a Table 1 gap or a problem (a text mechanism whose fate names an unknown fact, …).
    """
    import json
    from dataclasses import asdict

    from .build import Timings, checked_curation
    from .reports.coverage import TEXT_MECHANISMS, coverage, coverage_markdown

    project = _project(args)
    curation, _, derived = checked_curation(project, Timings(), lambda _: None)
    path = project.curation / TEXT_MECHANISMS
    report = coverage(curation, derived, path, str(Path(project.curation.name) / TEXT_MECHANISMS))
    if args.format == "json":
        print(
            json.dumps(
                {
                    **asdict(report),
                    "table1_gaps": report.table1_gaps,
                    "text_mechanism_gaps": report.text_mechanism_gaps,
                    "problems": [str(p) for p in report.problems],
                },
                indent=2,
                ensure_ascii=False,
            )
        )
    else:
        print(coverage_markdown(report, curation), end="")
    for problem in report.problems:
        print(f"problem: {problem}", file=sys.stderr)
    return 0 if report.ok else 1


def cmd_report_pfocr(args: argparse.Namespace) -> int:
    """The PFOCR Figure 2 rows with their reconciled fates; exit 1 when the reconciliation has problems."""
    from .build import Timings, checked_curation
    from .reports import pfocr

    project = _project(args)
    curation, index, derived = checked_curation(project, Timings(), lambda _: None)
    folder = project.curation / "pfocr"
    hits, missed = pfocr.compare(curation, derived, index, folder)
    fates, problems = pfocr.reconcile(
        hits, curation, index, folder, str(Path(project.curation.name) / "pfocr" / pfocr.RECONCILIATION)
    )
    if args.format == "turtle":
        print(pfocr.figure_graph(hits, curation).serialize(format="turtle"), end="")
    else:
        print(pfocr.markdown(hits, missed, fates, problems), end="")
    for problem in problems:
        print(f"problem: {problem}", file=sys.stderr)
    return 1 if problems else 0


def cmd_release(args: argparse.Namespace) -> int:
    from .build import build
    from .release.make import ReleaseError, make_release

    project = _project(args)
    try:
        make_release(project, args.release_version, _build_dir(args, project), build=build, force=args.force)
    except ReleaseError as err:
        print(err.report(), file=sys.stderr)
        return 1
    return 0


def cmd_diff(args: argparse.Namespace) -> int:
    from .release.diff import ReleaseDiffError, diff_releases

    try:
        result = diff_releases(Path(args.old), Path(args.new))
    except ReleaseDiffError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(result.to_json() if args.format == "json" else result.to_markdown(), end="")
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    from .release.verify import verify_release

    folder = Path(args.folder)
    if not folder.is_dir():
        print(f"error: {folder} is not a folder", file=sys.stderr)
        return 2
    report = verify_release(
        folder, stderr_progress if args.verbose else (lambda _: None), strict_tools=args.strict_tools
    )
    for line in report.checked:
        print(f"ok: {line}")
    for line in report.warnings:
        print(f"warning: {line}", file=sys.stderr)
    for line in report.problems:
        print(f"problem: {line}", file=sys.stderr)
    verdict = "verified" if report.ok else f"NOT verified: {len(report.problems)} problem(s)"
    print(f"{folder}: {verdict}", file=sys.stderr if not report.ok else sys.stdout)
    return 0 if report.ok else 1


def cmd_virtuoso_load(args: argparse.Namespace) -> int:
    from .release.layout import find_release, releases_root, unknown_release_message
    from .release.virtuoso import VirtuosoConnection, VirtuosoError, load_release

    project = _project(args)
    root = releases_root(_build_dir(args, project))
    release = find_release(root, args.release)
    if release is None:
        print(f"error: {unknown_release_message(root, args.release)}", file=sys.stderr)
        return 2
    try:
        conn = VirtuosoConnection.from_env(host=args.host, port=args.port, user=args.user, isql=args.isql)
        result = load_release(release.path, release.version, conn, progress=stderr_progress)
    except VirtuosoError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    print(result)
    return 0


def _whole_number(option: str, variable: str):
    """An argparse type for a positive whole number that may come from ``$variable``.

    >>> _whole_number("--port", "CLASTORDF_PORT")("8080")
    8080
    >>> _whole_number("--port", "CLASTORDF_PORT")("abc")
    Traceback (most recent call last):
    argparse.ArgumentTypeError: 'abc' is not a positive whole number (give --port N, or set $CLASTORDF_PORT to one)
    """

    def convert(text: str) -> int:
        if not text.strip().isdigit() or int(text) < 1:
            raise argparse.ArgumentTypeError(
                f"{text!r} is not a positive whole number (give {option} N, or set ${variable} to one)"
            )
        return int(text)

    convert.__name__ = "whole number"
    return convert


def _listing(names: list[tuple[str, str]]) -> str:
    width = max(len(name) for name, _ in names)
    return "\n".join(f"  {name.ljust(width)}  {what}" for name, what in names)


def _file_listing(folder: str, names: tuple[str, ...]) -> str:
    from .release.layout import describe_file

    return _listing([(f"{folder}{name}", describe_file(name)) for name in names])


def _outputs() -> dict[tuple[str, ...], str]:
    """What each command writes (the epilog of its ``--help``): files named from the lists the build
    and the release themselves use, so the help cannot drift from what they write."""
    from .outputs import MECHANISM_GPML, OUTPUT_FILES
    from .project import SNAPSHOTS
    from .release.layout import FILE_DESCRIPTIONS

    build_files = (*OUTPUT_FILES, MECHANISM_GPML)
    release_files = (*FILE_DESCRIPTIONS, MECHANISM_GPML)
    nothing = "writes: nothing; the report goes to standard output, problems to standard error"
    return {
        ("build",): "writes (published together: a failed or killed build leaves the previous set):\n"
        + _file_listing("BUILD/", build_files),
        ("serve",): "writes: the build (as `clastordf build`, when it is missing or stale, unless --no-build or\n"
        "--release/--backend) and BUILD/oxigraph/ (the store loaded from clastordf.ttl); serves / (pages),\n"
        "/sparql, /downloads, /vocab, /.well-known/void, /health",
        ("check",): "writes: nothing; problems as FILE:LINE: RECORD FIELD: MESSAGE on standard error (exit 1)",
        ("validate",): "writes: nothing; the violations on standard error (exit 1)",
        ("report", "coverage"): nothing,
        ("report", "pfocr"): nothing + " (--format turtle: RDF)",
        ("gpml", "links"): "writes: the cross-links as Turtle to --out (atomically), else to standard output",
        ("gpml", "check"): "writes: nothing; one line per problem on standard output (exit 1)",
        ("release",): "writes BUILD/release/VERSION/ (made in a hidden folder, verified, then renamed into place):\n"
        + _file_listing("", release_files),
        ("diff",): nothing,
        ("verify",): "writes: nothing; one line per check (-v) and per problem (exit 1)",
        ("virtuoso", "load"): "writes: nothing here; the release's triples into the Virtuoso graph\n"
        "https://w3id.org/clastordf/graph/VERSION (replacing what an earlier load put there)",
        ("terms", "refresh"): "writes:\n"
        + _listing(
            [
                ("ontology/imports/term-index.tsv", "every term the curation and the ontology use"),
                ("ontology/imports/external_import.owl", "the import slim built from the index"),
            ]
            + [(f"curation/{dest}", f"with --sources: a copy of shared/{source}") for source, dest in SNAPSHOTS]
        ),
        ("terms", "check"): "writes: nothing; says whether the committed index is out of date (exit 1)",
    }


def _describe(parser: argparse.ArgumentParser, outputs: dict[tuple[str, ...], str], path: tuple[str, ...] = ()) -> None:
    """Give every command its one-line help as its ``--help`` description, and what it writes as the
    epilog (argparse shows a subcommand's ``help`` only in the parent's list)."""
    for action in parser._actions:
        if not isinstance(action, argparse._SubParsersAction):
            continue
        helps = {choice.dest: choice.help for choice in action._choices_actions}
        for name, sub in action.choices.items():
            if sub.description is None:
                sub.description = helps.get(name)
            if path + (name,) in outputs:
                sub.epilog = outputs[path + (name,)]
                sub.formatter_class = argparse.RawDescriptionHelpFormatter
            _describe(sub, outputs, path + (name,))


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="clastordf", description="Publish curated clastokine facts as linked data.")
    p.add_argument("--version", action="version", version=f"clastordf {__version__}")
    p.add_argument("--project", help="project root (default: the folder above with curation/ and shapes/)")
    sub = p.add_subparsers(dest="command", required=True)

    b = sub.add_parser(
        "build",
        help="check the curation and ontology, reason, validate, and write build/: "
        "clastordf.ttl, clastordf.owl, clastordf-vocab.ttl, clastordf-inferred.ttl, "
        "clastordf-ontology.html",
    )
    b.add_argument("--out", dest="build_dir", help="output folder (default: build/)")
    b.add_argument(
        "--no-reason", action="store_true", help="skip HermiT (no Java needed); no inferred classes are published"
    )
    b.set_defaults(func=cmd_build)

    env = os.environ
    s = sub.add_parser(
        "serve",
        help="build if needed (or take a release), then serve the dataset: SPARQL endpoint, "
        "pages, downloads of the build and of every release",
    )
    s.add_argument("--host", default=env.get("CLASTORDF_HOST", "127.0.0.1"), help="default 127.0.0.1 ($CLASTORDF_HOST)")
    # Defaults stay text: argparse converts them only when serve runs, so a bad $CLASTORDF_PORT is a
    # clear error of `serve` and never breaks `--help` or another command.
    s.add_argument(
        "--port",
        type=_whole_number("--port", "CLASTORDF_PORT"),
        default=env.get("CLASTORDF_PORT", "8000"),
        help="default 8000 ($CLASTORDF_PORT)",
    )
    s.add_argument(
        "--workers",
        type=_whole_number("--workers", "CLASTORDF_WORKERS"),
        default=env.get("CLASTORDF_WORKERS", "2"),
        help="worker processes, each with its own query executors; default 2 ($CLASTORDF_WORKERS)",
    )
    s.add_argument(
        "--threads",
        type=_whole_number("--threads", "CLASTORDF_THREADS"),
        default=env.get("CLASTORDF_THREADS", "4"),
        help="threads per worker for pages, downloads and /health (SPARQL queries have their own: "
        "$CLASTORDF_QUERY_SLOTS + 2); default 4 ($CLASTORDF_THREADS)",
    )
    s.add_argument("--build-dir", help="the build folder to serve (default: build/)")
    s.add_argument(
        "--release",
        metavar="VERSION",
        help="serve the release BUILD/release/VERSION/ as published, without building "
        "('latest': the newest; $CLASTORDF_RELEASE)",
    )
    s.add_argument("--base", help="IRI base served here (default https://w3id.org/clastordf/; $CLASTORDF_BASE)")
    s.add_argument(
        "--query-timeout", type=float, help="seconds per SPARQL query (default 10; $CLASTORDF_QUERY_TIMEOUT)"
    )
    s.add_argument(
        "--result-limit", type=int, help="rows/triples per response (default 10000; $CLASTORDF_RESULT_LIMIT)"
    )
    s.add_argument(
        "--service-allow",
        action="append",
        metavar="IRI",
        help="an endpoint SERVICE may reach (repeatable; default none; $CLASTORDF_SERVICE_ALLOWLIST)",
    )
    s.add_argument(
        "--backend",
        metavar="sparql:URL",
        help="answer /sparql and the pages from this SPARQL 1.1 endpoint (Virtuoso, QLever, Fuseki, "
        "Oxigraph ...) instead of the embedded store; nothing is built or loaded here "
        "($CLASTORDF_BACKEND)",
    )
    s.add_argument(
        "--backend-graph",
        metavar="IRI",
        help="the backend's graph holding the data (default: the served version's, "
        "https://w3id.org/clastordf/graph/VERSION; 'default': the engine's default graph; "
        "$CLASTORDF_BACKEND_GRAPH)",
    )
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
    cov = rsub.add_parser(
        "coverage",
        help="Table 1 rows and categories, the text mechanisms and their fates "
        "(curation/coverage/text-mechanisms.tsv), facts per mechanism × review "
        "category and evidence level, contested facts, in-vivo gaps, bibliography "
        "use, terms per ontology (exit 1 on a Table 1 gap or a problem)",
    )
    cov.add_argument("--format", choices=("markdown", "json"), default="markdown")
    cov.set_defaults(func=cmd_report_coverage)

    pf = rsub.add_parser(
        "pfocr",
        help="the PFOCR Figure 2 gene/chemical lists against the curated entities, "
        "with each row's fate from curation/pfocr/fig2-reconciliation.tsv (exit 1 "
        "when a row has no fate or a curated fate names no matching entity)",
    )
    pf.add_argument("--format", choices=("markdown", "turtle"), default="markdown")
    pf.set_defaults(func=cmd_report_pfocr)

    gp = sub.add_parser("gpml", help="GPML files: check them, or cross-link WikiPathways pathways to the dataset")
    gsub = gp.add_subparsers(dest="gpml_command", required=True)
    gl = gsub.add_parser(
        "links",
        help="rdfs:seeAlso from the dataset's entities to the WikiPathways pathways "
        "(GPML files in FOLDER) that contain them, matched through Xrefs",
    )
    gl.add_argument("folder")
    gl.add_argument(
        "-o",
        "--out",
        help="write the RDF here (e.g. curation/wikipathways-links.ttl, which the "
        "build includes); default: standard output",
    )
    gl.add_argument("--build-dir", help="the build to link (default: build/)")
    gl.add_argument("--strict", action="store_true", help="fail on any unreadable file or malformed Xref")
    gl.set_defaults(func=cmd_gpml_links)
    gc = gsub.add_parser("check", help="validate GPML files (XSD and the checks the XSD cannot make)")
    gc.add_argument("files", nargs="+")
    gc.add_argument("--layout", action="store_true", help="also check that nodes do not overlap")
    gc.add_argument("--lenient", action="store_true", help="legacy Xref names are warnings (real WikiPathways files)")
    gc.set_defaults(func=cmd_gpml_check)

    rl = sub.add_parser(
        "release",
        help="make build/release/VERSION/: every dump, descriptions, CHANGELOG and "
        "SHA256SUMS, verified before it is put in place",
    )
    rl.add_argument(
        "--version",
        dest="release_version",
        required=True,
        help="the release version; must equal version in curation/dataset.yaml",
    )
    rl.add_argument("--build-dir", help="the build folder whose release/ gets the release (default: build/)")
    rl.add_argument("--force", action="store_true", help="replace an existing release of this version")
    rl.set_defaults(func=cmd_release)

    df = sub.add_parser(
        "diff",
        help="facts and evidence added, removed and changed between two releases "
        "(release folders or clastordf.ttl files)",
    )
    df.add_argument("old")
    df.add_argument("new")
    df.add_argument("--format", choices=("markdown", "json"), default="markdown")
    df.set_defaults(func=cmd_diff)

    vf = sub.add_parser(
        "verify",
        help="check a release folder: checksums, independent parsers (rapper/serdi, "
        "xmllint, a JSON-LD processor), counts, SHACL shapes; exit 1 on any problem",
    )
    vf.add_argument("folder")
    vf.add_argument(
        "--strict-tools", action="store_true", help="a missing independent parser is a problem, not a warning"
    )
    vf.add_argument("-v", "--verbose", action="store_true", help="show each check as it runs")
    vf.set_defaults(func=cmd_verify)

    vt = sub.add_parser("virtuoso", help="load releases into a Virtuoso server")
    vsub = vt.add_subparsers(dest="virtuoso_command", required=True)
    vl = vsub.add_parser(
        "load",
        help="bulk-load a release into the graph https://w3id.org/clastordf/graph/VERSION "
        "(replacing what an earlier load put there)",
    )
    vl.add_argument("--release", required=True, help="the release version, or latest")
    vl.add_argument("--build-dir", help="the build folder holding release/ (default: build/)")
    vl.add_argument("--host", help="Virtuoso host (default localhost; $CLASTORDF_VIRTUOSO_HOST)")
    vl.add_argument("--port", type=int, help="Virtuoso SQL port (default 1111; $CLASTORDF_VIRTUOSO_PORT)")
    vl.add_argument(
        "--user",
        help="Virtuoso user (default dba; $CLASTORDF_VIRTUOSO_USER); "
        "the password comes from $CLASTORDF_VIRTUOSO_PASSWORD",
    )
    vl.add_argument("--isql", help="Virtuoso's isql program (default: isql-vt or isql on PATH)")
    vl.set_defaults(func=cmd_virtuoso_load)

    t = sub.add_parser("terms", help="the committed term index")
    tsub = t.add_subparsers(dest="terms_command", required=True)
    r = tsub.add_parser(
        "refresh", help="rewrite ontology/imports/term-index.tsv and external_import.owl from the reference files"
    )
    r.add_argument("--reference", required=True, help="the pinned reference folder (../shared/reference)")
    r.add_argument(
        "--sources",
        help="the shared folder (../shared): also snapshot the review's bibliography "
        "and the PFOCR Figure 2 tables into curation/",
    )
    r.set_defaults(func=cmd_terms_refresh)
    k = tsub.add_parser("check", help="compare the committed term index with the reference files")
    k.add_argument("--reference", required=True)
    k.set_defaults(func=cmd_terms_check)
    _describe(p, _outputs())
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except Reported as exc:  # problems found, SHACL violations, an ontology the reasoner rejects
        print(exc.report(), file=sys.stderr)
        return 1
    except FileNotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
