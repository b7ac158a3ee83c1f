"""SHACL validation of the dataset graph with pyshacl, reported in terms a curator can act on."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pyshacl import validate as pyshacl_validate
from rdflib import Graph, Namespace, URIRef
from rdflib.namespace import RDF

from .model import Loc
from .vocab import PREFIXES

SH = Namespace("http://www.w3.org/ns/shacl#")


@dataclass(frozen=True, order=True)
class Violation:
    focus: str
    path: str
    message: str
    value: str
    origin: str  # "file:line record" of the curation record the focus node came from, if known

    def __str__(self) -> str:
        where = f" [from {self.origin}]" if self.origin else ""
        value = f" (value: {self.value})" if self.value else ""
        return f"{self.focus} {self.path}: {self.message}{value}{where}"


def _short(node) -> str:
    if node is None:
        return ""
    if isinstance(node, URIRef):
        text = str(node)
        for prefix, ns in sorted(PREFIXES.items(), key=lambda kv: -len(kv[1])):
            if text.startswith(ns) and "/" not in text[len(ns):]:
                return f"{prefix}:{text[len(ns):]}"
        return f"<{text}>"
    return str(node)


def _path_text(report: Graph, path) -> str:
    if path is None:
        return "(node)"
    if isinstance(path, URIRef):
        return _short(path)
    alternatives = report.value(path, SH.alternativePath)
    if alternatives is not None:
        items = list(report.items(alternatives))
        return " | ".join(_short(i) for i in items)
    return "(complex path)"


def load_shapes(path: Path) -> Graph:
    shapes = Graph()
    shapes.parse(path, format="turtle")
    return shapes


def validate_graph(data: Graph, shapes: Graph, origins: dict[str, Loc] | None = None) -> list[Violation]:
    """Validate ``data`` against ``shapes``; return every violation (empty list = conforms)."""
    conforms, report, _ = pyshacl_validate(
        data, shacl_graph=shapes, inference="none", advanced=True, allow_warnings=False
    )
    if conforms:
        return []
    origins = origins or {}
    out = []
    for result in report.subjects(RDF.type, SH.ValidationResult):
        focus = report.value(result, SH.focusNode)
        message = report.value(result, SH.resultMessage)
        loc = origins.get(str(focus))
        out.append(
            Violation(
                focus=_short(focus),
                path=_path_text(report, report.value(result, SH.resultPath)),
                message=str(message) if message else "constraint violated",
                value=_short(report.value(result, SH.value)),
                origin=f"{loc.file}:{loc.line} {loc.record}" if loc else "",
            )
        )
    return sorted(set(out))
