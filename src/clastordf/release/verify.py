"""``clastordf verify DIR``: check that a release folder is complete, intact and readable by software
other than the software that wrote it.

Why independent parsers: the release is written with rdflib and pyoxigraph; reading it back with
the same libraries would pass a file they mis-serialise and every other consumer rejects. So RDF goes
through rapper (raptor2) or serdi (serd), XML through xmllint, JSON-LD through PyLD; the command-line
tools run as subprocesses with a time limit. Only their N-Triples output is read in-process, to compare
the three dumps triple by triple. When a tool is missing, the check falls back to an in-process parser
(pyoxigraph, lxml) and says so: a warning, or a problem with ``strict_tools``.

The checks, in order:

1. ``SHA256SUMS`` is well formed, every listed file exists and matches, every file of the folder is
   listed, and the folder holds regular files only (no sub-folders or links).
2. Each file parses: Turtle, gzipped N-Triples and RDF/XML (counted), GPML against the GPML 2013a XSD,
   SVG as XML, JSON-LD to RDF (offline: a remote ``@context`` is a problem, never a download),
   ``dataset.jsonld`` as a schema.org ``Dataset``, ``clastordf.gmt`` and ``facts.tsv`` as tables.
3. Across files: the Turtle, N-Triples and JSON-LD dumps hold the same triples; ``clastordf.jsonld``
   embeds ``clastordf.context.jsonld``; ``void.ttl`` states the Turtle dump's size; ``facts.tsv`` has one
   row per fact; ``clastordf.ttl`` conforms to the release's own SHACL shapes.

HTML is not parsed: xmllint's HTML parser knows HTML 4 only, reports every HTML5 element as invalid
and still exits 0, so it can neither fail a broken page nor pass a good one quietly. The page is
checked to be UTF-8 text from ``<!doctype html>`` to ``</html>`` (which catches a truncated or wrong
file); its bytes are covered by the checksum like every other file's.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import shutil
import signal
import subprocess
import threading
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from importlib.resources import as_file, files
from pathlib import Path

import pyoxigraph as ox
from lxml import etree
from pyld import jsonld
from rdflib import Graph

from .. import vocab
from ..validate.shacl import load_shapes, validate_graph
from ..vocab import DATASET_IRI
from ..wikipathways.gpml_check import gpml_schema
from .layout import (
    CHANGELOG_FILE,
    CONTEXT_FILE,
    DATASET_FILE,
    FACTS_FILE,
    JSONLD_DUMP,
    NTRIPLES_DUMP,
    README_FILE,
    SHAPES_FILE,
    SUMS_FILE,
    TURTLE_DUMP,
    VOID_FILE,
    BadSums,
    read_sums,
    sha256_file,
)

GMT_FILE = "clastordf.gmt"
#: Files without which a folder is not a release.
REQUIRED_FILES = (
    TURTLE_DUMP,
    NTRIPLES_DUMP,
    JSONLD_DUMP,
    VOID_FILE,
    DATASET_FILE,
    SUMS_FILE,
    README_FILE,
    CHANGELOG_FILE,
    FACTS_FILE,
    SHAPES_FILE,
)
#: What ``dataset.jsonld`` must state for dataset search engines.
DATASET_KEYS = ("name", "description", "license", "version", "distribution")
#: Seconds one tool may run on one file before it is stopped (and the file reported).
TOOL_TIMEOUT = 300.0

FACT_CLASSES = frozenset(vocab.FACT_CLASSES)
_RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
_VOID_TRIPLES = ox.NamedNode("http://rdfs.org/ns/void#triples")
_VOID_DATA_DUMP = ox.NamedNode("http://rdfs.org/ns/void#dataDump")
_SCHEMA_ORG_CONTEXT = re.compile(r"^https?://schema\.org/?$")
_SCHEMA_DATASET = {"Dataset", "schema:Dataset", "https://schema.org/Dataset", "http://schema.org/Dataset"}
_RDF_FORMATS = {"turtle": ox.RdfFormat.TURTLE, "ntriples": ox.RdfFormat.N_TRIPLES, "rdfxml": ox.RdfFormat.RDF_XML}
_SYNTAX_NAMES = {"turtle": "Turtle", "ntriples": "N-Triples", "rdfxml": "RDF/XML"}
_RAPPER_COUNT = re.compile(r"Parsing returned (\d+) triples?")
# rapper's progress lines (and its closing "Failed to parse", which repeats the errors before it).
_RAPPER_INFO = re.compile(r"^rapper: (Parsing URI|Parsing file|Serializing with|Parsing returned|Failed to parse)")
_ERROR_LINES = 5  # tool messages quoted per problem: enough to locate the fault, short enough to read
_EXAMPLES = 5  # triples, rows or IRIs quoted per difference


@dataclass
class VerifyReport:
    """The outcome of :func:`verify_release`: one line per problem, warning and check done."""

    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when no check found a problem (warnings do not count)."""
        return not self.problems


@dataclass
class _Parsed:
    """What a parser made of an RDF file."""

    statements: int  # as the parser counted them: a file may state a triple twice
    triples: set[ox.Triple] | None  # None when the file was only counted
    parser: str


@dataclass
class _Run:
    """The state of one verification: where to look, what was found, what was parsed."""

    folder: Path
    report: VerifyReport
    progress: Callable[[str], None]
    strict_tools: bool
    timeout: float
    reported_tools: set[str] = field(default_factory=set)
    dumps: dict[str, _Parsed] = field(default_factory=dict)
    jsonld_read: bool = False  # clastordf.jsonld was read as a JSON object; its @context is then:
    jsonld_context: object = None

    def problem(self, message: str) -> None:
        self.report.problems.append(message)

    def warn(self, message: str) -> None:
        if message not in self.report.warnings:
            self.report.warnings.append(message)

    def checked(self, message: str) -> None:
        self.report.checked.append(message)

    def missing_tool(self, key: str, message: str) -> None:
        """Report a missing tool once per run: a problem with ``strict_tools``, else a warning."""
        if key in self.reported_tools:
            return
        self.reported_tools.add(key)
        if self.strict_tools:
            self.problem(f"{message} (a missing tool is a problem with --strict-tools)")
        else:
            self.warn(message)


@dataclass(frozen=True)
class _ToolResult:
    """A finished (or stopped) tool process."""

    returncode: int | None  # None: stopped at the time limit
    stdout: bytes
    stderr: str
    feed_error: str | None = None  # what went wrong decompressing the input fed to the tool


def verify_release(
    folder: Path,
    progress: Callable[[str], None] = lambda _: None,
    strict_tools: bool = False,
    *,
    timeout: float = TOOL_TIMEOUT,
) -> VerifyReport:
    """Check the release folder ``folder``; see the module documentation for what is checked.

    ``progress`` is called once per check with what is being checked. ``timeout`` bounds each tool
    process (seconds). Problems and warnings name the file, and the line where the tool gives one.
    """
    # Absolute: the parsers take file URIs, which a relative path cannot be (`verify build/release/V`).
    run = _Run(Path(folder).absolute(), VerifyReport(), progress, strict_tools, timeout)
    if not run.folder.is_dir():
        run.problem(f"{run.folder}: not a folder")
        return run.report
    _check_required(run)
    names = _check_entries(run)
    _check_sums(run, names)
    for name in names:
        _check_file(run, name)
    _compare_dumps(run)
    _check_context(run)
    _check_void(run)
    _check_facts(run)
    _check_shacl(run)
    return run.report


# ------------------------------------------------------------------ folder and checksums


def _check_required(run: _Run) -> None:
    """One problem per missing file of :data:`REQUIRED_FILES`."""
    for name in REQUIRED_FILES:
        if not (run.folder / name).is_file():
            run.problem(f"{name}: missing (every release has it)")


def _check_entries(run: _Run) -> list[str]:
    """The names of the folder's regular files; anything else in the folder is a problem."""
    regular = []
    for path in sorted(run.folder.iterdir()):
        # A link could point anywhere and change after release: a release holds its own bytes.
        if path.is_symlink():
            run.problem(f"{path.name}: a symbolic link; a release holds plain files only")
        elif path.is_dir():
            run.problem(f"{path.name}/: a sub-folder; a release holds plain files only")
        elif not path.is_file():
            run.problem(f"{path.name}: not a regular file; a release holds plain files only")
        else:
            regular.append(path.name)
    return regular


def _check_sums(run: _Run, names: list[str]) -> None:
    """Every listed file exists and matches its digest; every other file is listed."""
    run.progress(f"checking {SUMS_FILE}")
    path = run.folder / SUMS_FILE
    if not path.is_file():
        return  # reported as a missing required file
    try:
        sums = read_sums(path)
    except BadSums as err:
        run.problem(str(err))
        return
    except UnicodeDecodeError as err:
        run.problem(f"{SUMS_FILE}: not UTF-8 text ({err.reason} at byte {err.start})")
        return
    present = set(names)
    bad = 0
    for name, digest in sums.items():
        if name == SUMS_FILE:
            run.problem(f"{SUMS_FILE} lists itself (it lists every other file)")
            bad += 1
        elif name not in present:
            run.problem(f"{SUMS_FILE} lists {name}, which is not in the release")
            bad += 1
        elif (actual := sha256_file(run.folder / name)) != digest:
            run.problem(f"{name}: SHA-256 {actual} does not match {SUMS_FILE} ({digest}): the file changed")
            bad += 1
    for name in names:
        if name != SUMS_FILE and name not in sums:
            run.problem(f"{name}: not listed in {SUMS_FILE} (a release must not carry unverified files)")
            bad += 1
    if not bad:
        run.checked(f"{SUMS_FILE}: {len(sums)} files, every checksum matches and every file is listed")


# ------------------------------------------------------------------ one file at a time


def _check_file(run: _Run, name: str) -> None:
    """Parse or read one file with the check its kind calls for."""
    if name == SUMS_FILE:
        return
    if name == NTRIPLES_DUMP:
        _remember_dump(run, name, _parse_rdf(run, name, "ntriples", keep_triples=True))
    elif name.endswith(".ttl"):
        parsed = _parse_rdf(run, name, "turtle", keep_triples=name == TURTLE_DUMP)
        if name == TURTLE_DUMP:
            _remember_dump(run, name, parsed)
    elif name.endswith(".owl"):
        _parse_rdf(run, name, "rdfxml", keep_triples=False)
    elif name.endswith(".gpml"):
        _check_xml(run, name, schema=True)
    elif name.endswith(".svg"):
        _check_xml(run, name, schema=False)
    elif name.endswith(".html"):
        _check_html(run, name)
    elif name == JSONLD_DUMP:
        _remember_dump(run, name, _parse_jsonld_dump(run, name))
    elif name == CONTEXT_FILE:
        _check_context_file(run, name)
    elif name == DATASET_FILE:
        _check_dataset(run, name)
    elif name == GMT_FILE:
        _check_gmt(run, name)
    elif name == FACTS_FILE:
        pass  # needs the facts of clastordf.ttl: checked with the other cross-file checks
    elif name.endswith(".md"):
        _check_text(run, name)
    else:
        run.checked(f"{name}: checksum only (no parser for this kind of file)")


def _remember_dump(run: _Run, name: str, parsed: _Parsed | None) -> None:
    """Keep a parsed dump for the cross-file checks, noting triples stated more than once."""
    if parsed is None or parsed.triples is None:
        return
    run.dumps[name] = parsed
    repeated = parsed.statements - len(parsed.triples)
    if repeated > 0:
        run.warn(f"{name}: {_n(repeated, 'triple')} stated more than once ({len(parsed.triples):,} distinct)")


def _tool(name: str) -> str | None:
    """The path of a command-line tool, looked up at each call so PATH changes apply."""
    return shutil.which(name)


def _rdf_tool(run: _Run, syntax: str) -> tuple[str, str] | None:
    """(name, path) of the independent parser for ``syntax``: rapper first (it counts), else serdi."""
    candidates = ("rapper",) if syntax == "rdfxml" else ("rapper", "serdi")
    for name in candidates:
        path = _tool(name)
        if path:
            return name, path
    if syntax == "rdfxml":
        run.missing_tool(
            "rdfxml",
            "rapper (raptor2-utils) is not on PATH and serdi cannot read RDF/XML: "
            "RDF/XML was parsed in-process with pyoxigraph",
        )
    else:
        run.missing_tool(
            "rdf",
            "neither rapper (raptor2-utils) nor serdi (serd) is on PATH: "
            "Turtle and N-Triples were parsed in-process with pyoxigraph",
        )
    return None


def _parse_rdf(run: _Run, name: str, syntax: str, keep_triples: bool) -> _Parsed | None:
    """Parse an RDF file (gzipped if its name ends in .gz) with an independent parser; None on failure."""
    run.progress(f"parsing {name}")
    tool = _rdf_tool(run, syntax)
    if tool is None:
        parsed = _parse_in_process(run, name, syntax)
    else:
        parsed = _parse_with_tool(run, name, syntax, tool, keep_triples)
    if parsed is not None:
        run.checked(f"{name}: {parsed.statements:,} triples ({parsed.parser})")
        if not keep_triples:
            parsed.triples = None
    return parsed


def _rdf_command(tool: str, path: str, syntax: str, source: str, base: str, keep_triples: bool) -> list[str]:
    """The command line that parses ``source`` (``-``: standard input) and counts or prints N-Triples."""
    if tool == "rapper":
        output = ["-o", "ntriples"] if keep_triples else ["-c"]
        return [path, "-i", syntax, *output, source, base]
    # serdi cannot count; its N-Triples output has one triple per line.
    return [path, "-i", syntax, "-o", "ntriples", source]


def _parse_with_tool(run: _Run, name: str, syntax: str, tool: tuple[str, str], keep_triples: bool) -> _Parsed | None:
    """Parse with rapper or serdi; with ``keep_triples``, read its N-Triples output into triples."""
    tool_name, tool_path = tool
    path = run.folder / name
    gzipped = name.endswith(".gz")
    args = _rdf_command(
        tool_name, tool_path, syntax, "-" if gzipped else name, path.as_uri(), keep_triples or tool_name == "serdi"
    )
    result = _run_tool(run, name, args, gzipped=path if gzipped else None)
    if result is None:
        return None
    if result.feed_error:
        run.problem(f"{name}: {result.feed_error}")
    if result.returncode != 0 and not (tool_name == "rapper" and result.returncode == 2):
        messages = _tool_messages(result.stderr, run.folder)
        run.problem(f"{name}: not valid {_SYNTAX_NAMES[syntax]} ({tool_name}): {messages}")
        return None
    if result.returncode == 2:  # rapper's exit code for warnings
        run.warn(f"{name}: {tool_name} warns: {_tool_messages(result.stderr, run.folder)}")
    if result.feed_error:
        return None
    triples = None
    if keep_triples:
        try:
            triples = {q.triple for q in ox.parse(result.stdout, format=ox.RdfFormat.N_TRIPLES)}
        except SyntaxError as err:
            run.problem(f"{name}: {tool_name} read it, but its N-Triples output does not parse: {err}")
            return None
    if tool_name == "rapper" and (count := _RAPPER_COUNT.search(result.stderr)):
        statements = int(count.group(1))
    else:
        statements = result.stdout.count(b"\n")
    return _Parsed(statements, triples, tool_name)


def _parse_in_process(run: _Run, name: str, syntax: str) -> _Parsed | None:
    """The fallback parser when no independent tool is installed."""
    path = run.folder / name
    try:
        with gzip.open(path, "rb") if name.endswith(".gz") else path.open("rb") as fh:
            # pyoxigraph reads any binary file object; its stub asks for typing.IO, which GzipFile is not
            quads = ox.parse(fh, format=_RDF_FORMATS[syntax], base_iri=path.as_uri())  # type: ignore[arg-type]
            triples = [q.triple for q in quads]
    except SyntaxError as err:
        run.problem(f"{name}: not valid {_SYNTAX_NAMES[syntax]} (pyoxigraph): {err}")
        return None
    except (EOFError, zlib.error, gzip.BadGzipFile) as err:
        # The words the tool path uses for the same damage (see _feed_gunzipped): one message either way.
        run.problem(f"{name}: not a complete gzip file: {err}")
        return None
    except OSError as err:
        run.problem(f"{name}: cannot be read: {err}")
        return None
    return _Parsed(len(triples), set(triples), "pyoxigraph, in-process")


def _run_tool(run: _Run, name: str, args: list[str], gzipped: Path | None = None) -> _ToolResult | None:
    """Run a tool in the release folder with the run's time limit; None (and a problem) if it could
    not run or was stopped. ``gzipped``: a file decompressed into the tool's standard input."""
    try:
        result = _run_process(args, run.folder, run.timeout, gzipped)
    except OSError as err:
        run.problem(f"{name}: could not run {Path(args[0]).name}: {err}")
        return None
    if result.returncode is None:
        run.problem(f"{name}: {Path(args[0]).name} did not finish within {run.timeout:g} s (stopped)")
        return None
    return result


def _run_process(args: list[str], cwd: Path, timeout: float, gzipped: Path | None) -> _ToolResult:
    """Run ``args``; stdout and stderr are captured, stdin is ``gzipped`` decompressed (or nothing)."""
    read_end, write_end = os.pipe() if gzipped is not None else (None, None)
    try:
        # A session of its own: at the time limit the tool and anything it started are stopped together.
        proc = subprocess.Popen(
            args,
            cwd=cwd,
            stdin=subprocess.DEVNULL if read_end is None else read_end,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
    except OSError:
        if write_end is not None:
            os.close(write_end)
        raise
    finally:
        # The parent must not hold the read end: when the tool exits, the feeder's writes must fail.
        if read_end is not None:
            os.close(read_end)
    feed_errors: list[str] = []
    feeder = None
    if gzipped is not None and write_end is not None:
        feeder = threading.Thread(target=_feed_gunzipped, args=(gzipped, write_end, feed_errors), daemon=True)
        feeder.start()
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
        returncode: int | None = proc.returncode
    except subprocess.TimeoutExpired:
        _stop(proc)
        stdout, stderr = proc.communicate()
        returncode = None
    if feeder is not None:
        feeder.join()
    return _ToolResult(returncode, stdout, _text(stderr), feed_errors[0] if feed_errors else None)


def _stop(proc: subprocess.Popen) -> None:
    """Kill a tool's process group (it leads its own session)."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass  # it ended meanwhile


def _feed_gunzipped(path: Path, fd: int, errors: list[str]) -> None:
    """Decompress ``path`` into the pipe ``fd`` (closing it at the end); record a gzip failure."""
    try:
        with os.fdopen(fd, "wb") as sink, gzip.open(path, "rb") as source:
            shutil.copyfileobj(source, sink, 1 << 16)
    except BrokenPipeError:
        pass  # the tool stopped reading (it failed or was stopped); its own exit says why
    except (OSError, EOFError, zlib.error) as err:
        errors.append(f"not a complete gzip file: {err}")


def _text(data: bytes | None) -> str:
    """A tool's output as text, whatever bytes it wrote."""
    return (data or b"").decode("utf-8", "replace")


def _tool_messages(stderr: str, folder: Path) -> str:
    """The first few lines a tool wrote about the file, on one line, with file names relative to
    ``folder`` (rapper names files by absolute URI)."""
    stderr = stderr.replace(folder.as_uri() + "/", "").replace(f"{folder}/", "")
    lines = [
        line.strip()
        for line in stderr.splitlines()
        if line.strip() and not _RAPPER_INFO.match(line) and not line.strip().startswith("^")
    ]
    # xmllint echoes the offending source line under each message; keep the messages themselves.
    flagged = [line for line in lines if re.search(r"error|warning|fail", line, re.IGNORECASE)]
    lines = flagged or lines
    if not lines:
        return "(no message)"
    more = f" (+{len(lines) - _ERROR_LINES} more)" if len(lines) > _ERROR_LINES else ""
    return " | ".join(lines[:_ERROR_LINES]) + more


def _check_xml(run: _Run, name: str, schema: bool) -> None:
    """Well-formed XML; with ``schema``, valid GPML 2013a."""
    run.progress(f"checking {name}")
    what = "valid GPML 2013a" if schema else "well-formed XML"
    tool = _tool("xmllint")
    if tool is None:
        run.missing_tool("xmllint", "xmllint (libxml2-utils) is not on PATH: XML was checked in-process with lxml")
        errors = _lxml_errors(run.folder / name, schema)
        parser = "lxml, in-process"
    else:
        with as_file(files("clastordf") / "data" / "GPML2013a.xsd") as xsd:
            # --nonet: an XML file must not make verify fetch anything (DTDs, entities, schemas).
            args = [tool, "--nonet", "--noout", *(["--schema", str(xsd)] if schema else []), name]
            result = _run_tool(run, name, args)
        if result is None:
            return
        errors = [_tool_messages(result.stderr, run.folder)] if result.returncode != 0 else []
        parser = "xmllint --schema GPML2013a.xsd" if schema else "xmllint"
    if errors:
        run.problem(f"{name}: not {what} ({parser}): {'; '.join(errors)}")
    else:
        run.checked(f"{name}: {what} ({parser})")


def _lxml_errors(path: Path, schema: bool) -> list[str]:
    """The fallback XML check: syntax errors, then (for GPML) schema errors, with line numbers."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    try:
        document = etree.parse(str(path), parser)
    except etree.XMLSyntaxError as err:
        return [str(err)]
    if not schema:
        return []
    xsd = gpml_schema()
    if xsd.validate(document):
        return []
    errors = [f"line {e.line}: {e.message}" for e in xsd.error_log]
    more = [f"(+{len(errors) - _ERROR_LINES} more)"] if len(errors) > _ERROR_LINES else []
    return errors[:_ERROR_LINES] + more


def _check_html(run: _Run, name: str) -> None:
    """UTF-8 from doctype to closing tag (see the module documentation for why no more)."""
    run.progress(f"checking {name}")
    text = _read_text(run, name)
    if text is None:
        return
    body = text.lstrip("\ufeff \t\r\n")
    if not body[:15].lower().startswith("<!doctype html"):
        run.problem(f"{name}:1: does not start with <!doctype html>")
    elif not body.rstrip().lower().endswith("</html>"):
        run.problem(f"{name}:{text.count(chr(10)) + 1}: does not end with </html> (truncated?)")
    else:
        run.checked(f"{name}: UTF-8 HTML from doctype to </html> (not parsed: xmllint knows no HTML5)")


def _read_text(run: _Run, name: str) -> str | None:
    """A file's UTF-8 text, or None (and a problem naming the byte) if it is not UTF-8."""
    try:
        return (run.folder / name).read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        run.problem(f"{name}: not UTF-8 text ({err.reason} at byte {err.start})")
        return None


def _check_text(run: _Run, name: str) -> None:
    """README and CHANGELOG: non-empty UTF-8 text."""
    text = _read_text(run, name)
    if text is None:
        return
    if not text.strip():
        run.problem(f"{name}: empty")
    else:
        run.checked(f"{name}: {len(text.splitlines()):,} lines of UTF-8 text")


# ------------------------------------------------------------------ JSON and JSON-LD


def _read_json(run: _Run, name: str) -> object | None:
    """A JSON file's value, or None (and a problem naming line and column) if it is not JSON."""
    text = _read_text(run, name)
    if text is None:
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        run.problem(f"{name}:{err.lineno}:{err.colno}: not JSON: {err.msg}")
        return None


def _offline_loader(url: str, options: dict | None = None) -> dict:
    """PyLD's document loader for verify: it never fetches, so a remote context fails fast instead
    of depending on (or hanging on) the network."""
    raise jsonld.JsonLdError(
        f"{url} was not fetched: verify works offline, contexts must be inline",
        "jsonld.LoadDocumentError",
        {"url": url},
        code="loading document failed",
    )


def _jsonld_error_text(error: BaseException) -> str:
    """PyLD's error and its causes on one line: outer messages are generic, the inner ones say why."""
    parts: list[str] = []
    current: BaseException | None = error
    while current is not None and len(parts) < 4:
        if isinstance(current, jsonld.JsonLdError):
            message = str(current.args[0]) if current.args else ""
            # Some of PyLD's messages are paragraphs of possible causes; its error code is then clearer.
            text = message if message and (len(message) <= 120 or not current.code) else current.code or current.type
            url = current.details.get("url") if isinstance(current.details, dict) else None
            parts.append(f"{text} ({url})" if url and url not in text else text)
        else:
            parts.append(str(current))
        current = current.__cause__
    return ": ".join(dict.fromkeys(parts))


def _to_rdf(doc: object) -> str:
    """N-Quads from a JSON-LD document, offline."""
    return jsonld.to_rdf(doc, {"format": "application/n-quads", "documentLoader": _offline_loader})


def _parse_jsonld_dump(run: _Run, name: str) -> _Parsed | None:
    """The JSON-LD dump through PyLD (an independent JSON-LD processor); its triples for comparison."""
    run.progress(f"converting {name} to RDF (PyLD)")
    doc = _read_json(run, name)
    if doc is None:
        return None
    if isinstance(doc, dict):
        run.jsonld_read, run.jsonld_context = True, doc.get("@context")
    try:
        nquads = _to_rdf(doc)
    except jsonld.JsonLdError as err:
        run.problem(f"{name}: not convertible to RDF (PyLD): {_jsonld_error_text(err)}")
        return None
    try:
        quads = list(ox.parse(nquads, format=ox.RdfFormat.N_QUADS))
    except SyntaxError as err:
        run.problem(f"{name}: PyLD's N-Quads output does not parse: {err}")
        return None
    named = [q for q in quads if not isinstance(q.graph_name, ox.DefaultGraph)]
    if named:
        graphs = sorted({str(q.graph_name) for q in named})
        run.problem(
            f"{name}: {_n(len(named), 'triple')} in named graphs ({_some(graphs)}); the dump is one default graph"
        )
    triples = [q.triple for q in quads if isinstance(q.graph_name, ox.DefaultGraph)]
    run.checked(f"{name}: {len(triples):,} triples (PyLD, offline)")
    return _Parsed(len(triples), set(triples), "PyLD")


def _check_context_file(run: _Run, name: str) -> None:
    """The published context: ``{"@context": {...}}`` that a JSON-LD processor accepts offline."""
    doc = _read_json(run, name)
    if doc is None:
        return
    if not isinstance(doc, dict) or not isinstance(doc.get("@context"), dict):
        run.problem(f'{name}: not a JSON object with an "@context" object')
        return
    try:
        jsonld.expand({"@context": doc["@context"]}, {"documentLoader": _offline_loader})
    except jsonld.JsonLdError as err:
        run.problem(f"{name}: not a usable JSON-LD context (PyLD): {_jsonld_error_text(err)}")
        return
    run.checked(f"{name}: a JSON-LD context of {len(doc['@context']):,} terms (PyLD, offline)")


def _check_dataset(run: _Run, name: str) -> None:
    """``dataset.jsonld``: a schema.org Dataset with the keys search engines need, readable offline."""
    run.progress(f"checking {name}")
    doc = _read_json(run, name)
    if doc is None:
        return
    if not isinstance(doc, dict):
        run.problem(f"{name}: not a JSON object")
        return
    found = 0
    types = doc.get("@type")
    if not (set(types if isinstance(types, list) else [types]) & _SCHEMA_DATASET):
        run.problem(f'{name}: "@type" is {types!r}, not "Dataset"')
        found += 1
    for key in DATASET_KEYS:
        if doc.get(key) in (None, "", [], {}):
            run.problem(f'{name}: no "{key}" (a schema.org Dataset states {", ".join(DATASET_KEYS)})')
            found += 1
    found += _check_dataset_context(run, name, doc)
    if not found:
        run.checked(f"{name}: a schema.org Dataset with {', '.join(DATASET_KEYS)}")


def _check_dataset_context(run: _Run, name: str, doc: dict) -> int:
    """The context must be schema.org (known, so never fetched) or inline; returns the problems found."""
    context = doc.get("@context")
    if context is None:
        run.problem(f'{name}: no "@context" (use "https://schema.org/")')
        return 1
    remote = [c for c in (context if isinstance(context, list) else [context]) if isinstance(c, str)]
    foreign = [c for c in remote if not _SCHEMA_ORG_CONTEXT.match(c)]
    if foreign:
        run.problem(
            f"{name}: remote @context {_some(foreign)}: only schema.org or an inline context (verify never fetches)"
        )
        return 1
    if remote:
        return 0  # schema.org: known to every consumer; fetching it would make verify need the network
    try:
        jsonld.expand(doc, {"documentLoader": _offline_loader})
    except jsonld.JsonLdError as err:
        run.problem(f"{name}: not valid JSON-LD (PyLD): {_jsonld_error_text(err)}")
        return 1
    return 0


# ------------------------------------------------------------------ tables


def _check_gmt(run: _Run, name: str) -> None:
    """Gene sets: name, description, then one or more numeric gene ids, tab-separated."""
    run.progress(f"checking {name}")
    text = _read_text(run, name)
    if text is None:
        return
    lines = text.splitlines()
    before = len(run.report.problems)
    for number, line in enumerate(lines, start=1):
        columns = line.split("\t")
        if len(columns) < 3:
            run.problem(
                f"{name}:{number}: {len(columns)} tab-separated columns; a gene set needs a name, "
                "a description and at least one gene id"
            )
            continue
        bad = [c for c in columns[2:] if not c.isascii() or not c.isdigit()]
        if bad:
            run.problem(f"{name}:{number}: gene ids must be NCBI Gene numbers, not {_some(repr(b) for b in bad)}")
    if not lines:
        run.problem(f"{name}: no gene sets")
    if len(run.report.problems) == before:
        run.checked(f"{name}: {len(lines):,} gene sets")


def _check_facts(run: _Run) -> None:
    """``facts.tsv``: a header, rows as wide as it, and one row per fact of ``clastordf.ttl``."""
    path = run.folder / FACTS_FILE
    if not path.is_file():
        return
    run.progress(f"checking {FACTS_FILE}")
    text = _read_text(run, FACTS_FILE)
    if text is None:
        return
    lines = text.splitlines()
    header = lines[0].split("\t") if lines else []
    if not header or header[0] != "fact":
        run.problem(f'{FACTS_FILE}:1: the header must start with the column "fact"')
        return
    before = len(run.report.problems)
    rows: dict[str, int] = {}
    for number, line in enumerate(lines[1:], start=2):
        columns = line.split("\t")
        if len(columns) != len(header):
            run.problem(f"{FACTS_FILE}:{number}: {len(columns)} columns, the header has {len(header)}")
        iri = columns[0].strip().removeprefix("<").removesuffix(">")
        if not iri:
            run.problem(f"{FACTS_FILE}:{number}: no fact IRI in the first column")
        elif iri in rows:
            run.problem(f"{FACTS_FILE}:{number}: {iri} already has a row (line {rows[iri]})")
        else:
            rows[iri] = number
    _compare_fact_rows(run, rows)
    if len(run.report.problems) == before:
        run.checked(f"{FACTS_FILE}: {len(rows):,} rows of {len(header)} columns, one per fact of {TURTLE_DUMP}")


def _compare_fact_rows(run: _Run, rows: dict[str, int]) -> None:
    """The rows' fact IRIs against the facts typed in the Turtle dump."""
    dump = run.dumps.get(TURTLE_DUMP)
    if dump is None or dump.triples is None:
        run.warn(f"{FACTS_FILE}: rows not compared with the facts ({TURTLE_DUMP} was not read)")
        return
    facts = {
        t.subject.value
        for t in dump.triples
        if t.predicate == _RDF_TYPE
        and isinstance(t.subject, ox.NamedNode)
        and isinstance(t.object, ox.NamedNode)
        and t.object.value in FACT_CLASSES
    }
    for iri in sorted(set(rows) - facts):
        run.problem(
            f"{FACTS_FILE}:{rows[iri]}: {iri} is not a clasto:ClastokineFact or clasto:RegulationFact in {TURTLE_DUMP}"
        )
    missing = sorted(facts - set(rows))
    if missing:
        run.problem(f"{FACTS_FILE}: no row for {_n(len(missing), 'fact')} of {TURTLE_DUMP}: {_some(missing)}")


# ------------------------------------------------------------------ across files


def _has_blank_node(triple: ox.Triple) -> bool:
    """True if the subject or object is a blank node (whose label each parser chooses)."""
    return isinstance(triple.subject, ox.BlankNode) or isinstance(triple.object, ox.BlankNode)


def _compare_dumps(run: _Run) -> None:
    """The N-Triples, Turtle and JSON-LD dumps hold the same triples.

    Parsers label blank nodes as they like, so triples without blank nodes are compared exactly and
    those with blank nodes by number.
    """
    names = [n for n in (NTRIPLES_DUMP, TURTLE_DUMP, JSONLD_DUMP) if n in run.dumps]
    if len(names) < 2:
        return
    run.progress(f"comparing {', '.join(names)}")
    reference = names[0]
    same = [_compare_pair(run, reference, other) for other in names[1:]]
    if all(same):
        triples = run.dumps[reference].triples or set()
        blank = sum(1 for t in triples if _has_blank_node(t))
        run.checked(
            f"{', '.join(names)}: the same {len(triples):,} triples ({blank:,} with blank nodes, compared by number)"
        )


def _compare_pair(run: _Run, reference: str, other: str) -> bool:
    """Report how ``other``'s triples differ from ``reference``'s; True if they do not."""
    ours, theirs = run.dumps[reference].triples or set(), run.dumps[other].triples or set()
    before = len(run.report.problems)
    if len(ours) != len(theirs):
        run.problem(f"{other}: {_n(len(theirs), 'triple')}, but {reference} has {len(ours):,}")
    ground_ours = {t for t in ours if not _has_blank_node(t)}
    ground_theirs = {t for t in theirs if not _has_blank_node(t)}
    lacking, extra = ground_ours - ground_theirs, ground_theirs - ground_ours
    if lacking:
        run.problem(f"{other}: lacks {_n(len(lacking), 'triple')} of {reference}: {_some(_sorted_text(lacking))}")
    if extra:
        run.problem(f"{other}: {_n(len(extra), 'triple')} that {reference} does not have: {_some(_sorted_text(extra))}")
    blank_ours, blank_theirs = len(ours) - len(ground_ours), len(theirs) - len(ground_theirs)
    if blank_ours != blank_theirs:
        run.problem(f"{other}: {blank_theirs:,} triples with blank nodes, but {reference} has {blank_ours:,}")
    return len(run.report.problems) == before


def _sorted_text(triples: Iterable[ox.Triple]) -> list[str]:
    """Triples as sorted N-Triples lines, for messages."""
    return sorted(f"{t} ." for t in triples)


def _check_context(run: _Run) -> None:
    """``clastordf.jsonld`` carries the published context inline, unchanged."""
    path = run.folder / CONTEXT_FILE
    if not run.jsonld_read or not path.is_file():
        return
    try:
        published = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return  # reported by the file's own check
    if isinstance(published, dict) and run.jsonld_context != published.get("@context"):
        run.problem(f"{JSONLD_DUMP}: its @context is not the one in {CONTEXT_FILE}")
    elif isinstance(published, dict):
        run.checked(f"{JSONLD_DUMP}: its @context is the one in {CONTEXT_FILE}")


def _check_void(run: _Run) -> None:
    """``void.ttl`` states, as ``void:triples`` of the dataset, the size of the Turtle dump."""
    path = run.folder / VOID_FILE
    dump = run.dumps.get(TURTLE_DUMP)
    if not path.is_file():
        return
    run.progress(f"checking void:triples in {VOID_FILE}")
    try:
        triples = [q.triple for q in ox.parse(path=str(path), format=ox.RdfFormat.TURTLE, base_iri=path.as_uri())]
    except (SyntaxError, OSError) as err:
        run.problem(f"{VOID_FILE}: cannot be read for void:triples: {err}")
        return
    datasets = _void_datasets(triples)
    stated = [(s, t.object) for s in datasets for t in triples if t.subject == s and t.predicate == _VOID_TRIPLES]
    if not stated:
        run.problem(
            f"{VOID_FILE}: no void:triples for the dataset (the node whose void:dataDump is "
            f"{TURTLE_DUMP} or {NTRIPLES_DUMP}, or <{DATASET_IRI}>)"
        )
        return
    if dump is None or dump.triples is None:
        run.warn(f"{VOID_FILE}: void:triples not compared ({TURTLE_DUMP} was not read)")
        return
    actual = len(dump.triples)
    found = 0
    for subject, value in stated:
        number = value.value if isinstance(value, ox.Literal) else str(value)
        if not number.isdigit() or int(number) != actual:
            run.problem(f"{VOID_FILE}: void:triples of {subject} is {number}, but {TURTLE_DUMP} has {actual:,} triples")
            found += 1
    if not found:
        run.checked(f"{VOID_FILE}: void:triples {actual:,} is the size of {TURTLE_DUMP}")


def _void_datasets(triples: list[ox.Triple]) -> set[ox.NamedNode | ox.BlankNode]:
    """The nodes that describe the dumped dataset: those with a ``void:dataDump`` of a dump file (by
    the last segment of its URL, wherever it is published), else the dataset IRI."""
    dumps = {TURTLE_DUMP, NTRIPLES_DUMP, JSONLD_DUMP}
    found = {
        t.subject
        for t in triples
        if t.predicate == _VOID_DATA_DUMP
        and isinstance(t.subject, ox.NamedNode | ox.BlankNode)
        and isinstance(t.object, ox.NamedNode)
        and t.object.value.split("#")[0].split("?")[0].rstrip("/").rsplit("/", 1)[-1] in dumps
    }
    return found or {ox.NamedNode(DATASET_IRI)}


class ShaclFailed(Exception):
    """The shapes or the data could not be used for validation; the message names the file."""


def _check_shacl(run: _Run) -> None:
    """``clastordf.ttl`` conforms to the shapes shipped in the release."""
    shapes_path, data_path = run.folder / SHAPES_FILE, run.folder / TURTLE_DUMP
    if not shapes_path.is_file() or not data_path.is_file():
        return
    if TURTLE_DUMP not in run.dumps:
        run.warn(f"{TURTLE_DUMP}: SHACL shapes not run ({TURTLE_DUMP} was not read)")
        return
    run.progress(f"validating {TURTLE_DUMP} against {SHAPES_FILE} (pyshacl)")
    try:
        violations = shacl_violations(data_path, shapes_path)
    except ShaclFailed as err:
        run.problem(str(err))
        return
    for violation in violations:
        run.problem(f"{TURTLE_DUMP}: SHACL ({SHAPES_FILE}): {violation}")
    if not violations:
        run.checked(f"{TURTLE_DUMP}: conforms to {SHAPES_FILE} (pyshacl)")


def shacl_violations(data_path: Path, shapes_path: Path) -> list[str]:
    """Each violation of the shapes in ``shapes_path`` by the Turtle in ``data_path``, as text
    (empty: it conforms); :class:`ShaclFailed` if either file cannot be used."""
    try:
        shapes = load_shapes(shapes_path)
    except Exception as err:  # rdflib raises many kinds of error on bad Turtle; any one is a problem
        raise ShaclFailed(f"{shapes_path.name}: cannot be loaded as shapes: {err}") from err
    try:
        data = Graph().parse(data_path, format="turtle")
    except Exception as err:  # as above: rdflib may reject what the independent parser accepted
        raise ShaclFailed(f"{data_path.name}: rdflib cannot read it for SHACL validation: {err}") from err
    try:
        return [str(v) for v in validate_graph(data, shapes)]
    except Exception as err:  # a malformed shapes graph can make pyshacl fail in many ways
        raise ShaclFailed(f"{data_path.name}: SHACL validation with {shapes_path.name} failed: {err}") from err


def _some(items: Iterable[str]) -> str:
    """The first few items, and how many more there are."""
    items = list(items)
    more = f" … (+{len(items) - _EXAMPLES} more)" if len(items) > _EXAMPLES else ""
    return ", ".join(items[:_EXAMPLES]) + more


def _n(count: int, noun: str) -> str:
    """``1 triple``, ``2 triples``, ``7,571 triples``."""
    return f"{count:,} {noun}{'' if count == 1 else 's'}"
