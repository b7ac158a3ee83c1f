"""Cross-links from WikiPathways pathways (a folder of GPML files) to clastordf's entities.

Each data node's ``Xref`` is looked up among the dataset's entities: an Entrez Gene, Ensembl or
HGNC id through the entities' ``skos:exactMatch`` links, a UniProt, miRBase or MGI id as the entity
IRI itself (or an exactMatch), an HGNC symbol through the human gene products' labels, a ChEBI id
as the ChEBI PURL a fact uses. Every match becomes RDF, in plain existing vocabulary (no new
clastordf property):

* ``<entity> rdfs:seeAlso <https://identifiers.org/wikipathways/WP12>`` — the one-hop link a
  page or query follows, from the entity's own IRI (UniProt, ChEBI, miRBase);
* a link node ``<https://w3id.org/clastordf/links/WP12/{entity id}>`` with ``dcterms:source``
  the pathway, ``rdfs:seeAlso`` the entity, and one ``skos:note`` per way it matched
  (``"matched by Entrez Gene 6382"``), so one can tell an exact gene id match from a symbol match;
* the pathway IRI with its ``dcterms:title`` (from the GPML), to show a name without a lookup.

Xrefs that name a known data source with an id that does not fit its pattern (or an id without a
source) are reported as :class:`~clastordf.problems.Problem` s with file and line, and not used.
The WPID comes from ``WPnnn-info.json`` next to the file, else the file name, else ``Version``.
"""

from __future__ import annotations

import json
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS, SKOS

from ..problems import Problem, ProblemsFound
from ..vocab import CLASTO, HUMAN, IDENTIFIERS_ORG, IN_TAXON, LINKS, MIRNA, OBO, WIKIPATHWAYS
from .gpml_read import DataNode, GpmlError, Pathway, Xref, read_gpml
from .wprdf import node_iri

_WPID = re.compile(r"WP\d+")
_CHEBI_PROPS = (CLASTO.ligand, CLASTO.regulator, CLASTO.upregulates, CLASTO.downregulates, RDF.subject, RDF.object)


class GpmlXrefWarning(UserWarning):
    """A GPML data node's Xref could not be used (see the message for file, line and why)."""


@dataclass(frozen=True, order=True)
class Link:
    """One data node of one pathway matched to one dataset entity."""

    wpid: str
    entity: str
    kind: str  # the data source the match went through: "Entrez Gene", "HGNC symbol", …
    identifier: str
    graph_id: str
    label: str

    @property
    def note(self) -> str:
        return f"matched by {self.kind} {self.identifier}"


@dataclass
class LinkReport:
    """What :func:`scan` found: the RDF, the links behind it, and the problems met on the way."""

    graph: Graph
    links: list[Link] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    pathways: dict[str, str] = field(default_factory=dict)  # WPID → title


class EntityIndex:
    """The dataset's entities by every identifiers.org IRI that names them."""

    def __init__(self, graph: Graph):
        self.by_iri: dict[str, URIRef] = {}
        entities = {
            s for t in (CLASTO.GeneProduct, MIRNA) for s in graph.subjects(RDF.type, t) if isinstance(s, URIRef)
        }
        for e in sorted(entities):
            self.by_iri.setdefault(str(e), e)
        for e in sorted(entities):
            for m in graph.objects(e, SKOS.exactMatch):
                self.by_iri.setdefault(str(m), e)
            if (e, RDF.type, CLASTO.GeneProduct) in graph and HUMAN in set(graph.objects(e, IN_TAXON)):
                for label in graph.objects(e, RDFS.label):
                    self.by_iri.setdefault(f"{IDENTIFIERS_ORG}hgnc.symbol/{label}", e)
        for prop in _CHEBI_PROPS:
            for o in graph.objects(None, prop):
                if isinstance(o, URIRef) and str(o).startswith(str(OBO) + "CHEBI_"):
                    self.by_iri.setdefault(f"{IDENTIFIERS_ORG}chebi/CHEBI:" + str(o).rsplit("_", 1)[1], o)

    def lookup(self, xref: Xref) -> URIRef | None:
        source = xref.datasource
        iri = node_iri(Xref(xref.database, xref.id.strip()), source)
        if iri is None or source is None:
            return None
        text = str(iri)
        if source.namespace == "hgnc":  # HGNC accession numbers: the dataset writes hgnc/{number}
            text = text.replace("/hgnc/HGNC:", "/hgnc/")
        return self.by_iri.get(text)


def entity_key(entity: URIRef) -> str:
    """A path segment naming an entity: ``uniprot_O75094``, ``CHEBI_37550``, ``mirbase.mature_MIMAT0000271``."""
    text = str(entity)
    if text.startswith(IDENTIFIERS_ORG):
        text = text.removeprefix(IDENTIFIERS_ORG).replace("/", "_", 1)
    else:
        text = text.removeprefix(str(OBO))
    return re.sub(r"[^A-Za-z0-9._-]", "_", text)


def wpid_of(path: Path, pathway: Pathway) -> str | None:
    """The WikiPathways id of a GPML file: its info.json, else its name, else its Version."""
    info = path.with_name(f"{path.stem}-info.json")
    if info.is_file():
        try:
            wpid = json.loads(info.read_text(encoding="utf-8")).get("wpid")
        except (json.JSONDecodeError, AttributeError):
            wpid = None
        if isinstance(wpid, str) and _WPID.fullmatch(wpid):
            return wpid
    for text in (path.stem, pathway.version or ""):
        m = _WPID.match(text)
        if m:
            return m.group(0)
    return None


def _node_record(node: DataNode) -> str:
    return f"DataNode {node.graph_id or '(no GraphId)'} {node.text_label!r}"


def _link_pathway(path: Path, pathway: Pathway, wpid: str, index: EntityIndex, report: LinkReport) -> None:
    report.pathways[wpid] = pathway.title
    for node in pathway.data_nodes:
        problem = node.xref.problem()
        if problem:
            report.problems.append(
                Problem(str(path), node.xref.line or node.line, _node_record(node), "Xref", f"{problem}; not linked")
            )
            continue
        entity = index.lookup(node.xref)
        if entity is not None:
            source = node.xref.datasource
            kind = "HGNC symbol" if source is not None and source.code == "H" else node.xref.database.strip()
            report.links.append(
                Link(wpid, str(entity), kind, node.xref.id.strip(), node.graph_id or "", node.text_label)
            )


def _rdf(report: LinkReport) -> None:
    g = report.graph
    for prefix, ns in (("dcterms", DCTERMS), ("rdfs", RDFS), ("skos", SKOS)):
        g.bind(prefix, ns)
    for link in report.links:
        pathway = URIRef(WIKIPATHWAYS + link.wpid)
        entity = URIRef(link.entity)
        node = URIRef(f"{LINKS}{link.wpid}/{entity_key(entity)}")
        g.add((entity, RDFS.seeAlso, pathway))
        g.add((node, DCTERMS.source, pathway))
        g.add((node, RDFS.seeAlso, entity))
        g.add((node, SKOS.note, Literal(link.note)))
        if report.pathways.get(link.wpid):
            g.add((pathway, DCTERMS.title, Literal(report.pathways[link.wpid], lang="en")))


def scan(folder: Path, graph: Graph) -> LinkReport:
    """Read every ``*.gpml`` in ``folder`` (sorted) and link its data nodes to ``graph``'s entities."""
    index = EntityIndex(graph)
    report = LinkReport(Graph())
    for path in sorted(Path(folder).glob("*.gpml")):
        try:
            pathway = read_gpml(path)
        except GpmlError as exc:
            report.problems.append(
                Problem(exc.source, exc.line or 0, f"<{exc.element}>" if exc.element else "", "", exc.message)
            )
            continue
        wpid = wpid_of(path, pathway)
        if wpid is None:
            report.problems.append(
                Problem(
                    str(path),
                    0,
                    "",
                    "",
                    "no WikiPathways id (WPnnn) in the file name, an info.json or the pathway's Version; not linked",
                )
            )
            continue
        _link_pathway(path, pathway, wpid, index, report)
    report.links.sort()
    report.problems.sort()
    _rdf(report)
    return report


def cross_links(folder: Path, graph: Graph, *, strict: bool = False) -> Graph:
    """The cross-link RDF for the WikiPathways GPML files in ``folder``.

    Problems (a malformed Xref, an unreadable file) are warnings (:class:`GpmlXrefWarning`) so one
    bad node in one downloaded pathway does not stop the rest; with ``strict`` they raise
    :class:`~clastordf.problems.ProblemsFound`, all of them at once. :func:`scan` returns both.
    """
    report = scan(folder, graph)
    if report.problems and strict:
        raise ProblemsFound("gpml links", report.problems)
    for problem in report.problems:
        warnings.warn(str(problem), GpmlXrefWarning, stacklevel=2)
    return report.graph
