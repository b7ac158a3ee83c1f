"""A reader for GPML 2013a, the XML format of WikiPathways and PathVisio pathways.

The reader turns a file into small frozen dataclasses and judges nothing beyond what it needs to
build them: it keeps every element a converter or a checker may want (data nodes, states,
interactions and graphical lines with their points and anchors, labels, shapes, groups, comments,
publication xrefs, ontology tags), with the source line of each, so later checks can point at
``file:line``. It raises :class:`GpmlError` (file, line, element) only when the XML cannot be read
as GPML 2013a at all (not XML, another root or GPML version, a coordinate that is not a number,
a line with fewer than two points).

It also knows the BridgeDb data sources WikiPathways uses (:data:`DATASOURCES`), so an ``Xref``'s
``Database`` name (with the aliases GPML files use, e.g. ``Uniprot-TrEMBL``) resolves to one data
source with its identifiers.org namespace, linkout and identifier pattern. That is shared by the
wp: RDF converter, the cross-linker and the GPML checks.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from importlib.resources import files
from pathlib import Path

from lxml import etree

from ..vocab import BIOPAX_NS, GPML_NS, IDENTIFIERS_ORG, NAMESPACES

RDF_NS = NAMESPACES["rdf"]
_OTHER_GPML = re.compile(r"^http://(pathvisio|genmapp)\.org/GPML/")
_REVISION = re.compile(r"_r(\d+)$")


class GpmlError(ValueError):
    """A GPML file that cannot be read; says which file, line and element.

    >>> str(GpmlError("Point X is not a number: 'abc'", source="WP1.gpml", line=12, element="Point"))
    "WP1.gpml:12: <Point>: Point X is not a number: 'abc'"
    """

    def __init__(self, message: str, *, source: str, line: int | None = None, element: str | None = None):
        self.message = message
        self.source = source
        self.line = line
        self.element = element
        where = f"{source}:{line}" if line else source
        what = f" <{element}>:" if element else ""
        super().__init__(f"{where}:{what} {message}")


# --- BridgeDb data sources -------------------------------------------------------------------


@dataclass(frozen=True)
class DataSource:
    """One BridgeDb data source (a row of bridgedb/datasources ``datasources.tsv``).

    ``name`` is BridgeDb's full name, which WikiPathways RDF writes as ``dc:source``; ``namespace``
    is the identifiers.org prefix (``None`` when identifiers.org has none, and the converter then
    skips the node); ``linkout`` has ``$id`` where the identifier goes.
    """

    name: str
    code: str
    namespace: str | None
    linkout: str | None
    pattern: str
    aliases: tuple[str, ...] = ()

    def identifiers_org(self, identifier: str) -> str | None:
        """The identifiers.org IRI (https form, as WikiPathways RDF writes it), if there is one."""
        return None if self.namespace is None else f"{IDENTIFIERS_ORG}{self.namespace}/{identifier}"

    def page(self, identifier: str) -> str | None:
        return None if self.linkout is None else self.linkout.replace("$id", identifier)

    def matches(self, identifier: str) -> bool:
        """Whether the whole identifier fits BridgeDb's pattern (a pattern Python cannot read judges nothing)."""
        pattern = _compiled(self.pattern)
        return pattern is None or pattern.fullmatch(identifier) is not None


@lru_cache(maxsize=256)
def _compiled(regex: str) -> re.Pattern[str] | None:
    try:
        return re.compile(regex) if regex else None
    except re.error:  # a Java-only construct
        return None


#: Other names GPML files use for a BridgeDb data source (older BridgeDb names and informal ones).
ALIASES: dict[str, str] = {
    "NCBI Gene": "Entrez Gene",
    "GeneID": "Entrez Gene",
    "EntrezGene": "Entrez Gene",
    "Entrez": "Entrez Gene",
    "Ensembl Human": "Ensembl",
    "Ensembl Mouse": "Ensembl",
    "Uniprot-TrEMBL": "UniProtKB",
    "Uniprot-SwissProt": "UniProtKB",
    "UniProt": "UniProtKB",
    "UniProtKB/TrEMBL": "UniProtKB",
    "UniProtKB/Swiss-Prot": "UniProtKB",
    "SwissProt": "UniProtKB",
    "TrEMBL": "UniProtKB",
    "HGNC Symbol": "HGNC",
    "HGNC Accession": "HGNC Accession number",
    "miRBase mature": "miRBase mature sequence",
    "miRBase": "miRBase Sequence",
    "PubChem Compound": "PubChem-compound",
    "PubChem": "PubChem-compound",
    "ChemSpider": "Chemspider",
    "Gene Ontology": "GeneOntology",
}


def _read_datasources() -> tuple[DataSource, ...]:
    """Every row of BridgeDb's ``datasources.tsv`` (shipped in the package): name, system code, linkout,
    identifiers.org namespace (from the ``urn:miriam:`` column) and identifier regex."""
    text = files("clastordf").joinpath("data", "bridgedb-datasources.tsv").read_text(encoding="utf-8")
    sources = []
    for line in text.splitlines():
        row = line.split("\t")
        if len(row) < 10 or not row[0]:
            continue
        namespace = row[8].removeprefix("urn:miriam:") if row[8].startswith("urn:miriam:") else None
        aliases = tuple(sorted(a for a, name in ALIASES.items() if name == row[0]))
        sources.append(DataSource(row[0], row[1], namespace, row[3] or None, row[9], aliases))
    return tuple(sources)


#: The BridgeDb data sources, as WikiPathways names them.
DATASOURCES: tuple[DataSource, ...] = _read_datasources()

_BY_NAME: dict[str, DataSource] = {name.casefold(): ds for ds in DATASOURCES for name in (ds.name, *ds.aliases)}


def datasource(database: str) -> DataSource | None:
    """The data source a GPML ``Xref/@Database`` names (case and known aliases ignored), if known."""
    return _BY_NAME.get(database.strip().casefold())


# --- the model -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Xref:
    """A ``<Xref Database=… ID=…>``; both empty means "not annotated", which is normal."""

    database: str
    id: str
    line: int = 0

    @property
    def is_empty(self) -> bool:
        return not self.database.strip() and not self.id.strip()

    @property
    def datasource(self) -> DataSource | None:
        return datasource(self.database)

    def problem(self) -> str | None:
        """Why this xref cannot be used as it stands, or ``None`` (empty xrefs are fine).

        >>> Xref("Entrez Gene", "6382").problem() is None
        True
        >>> Xref("Entrez Gene", "SDC1").problem()
        "ID 'SDC1' does not match the Entrez Gene pattern ^\\\\d+$"
        """
        db, ident = self.database.strip(), self.id.strip()
        if not db and not ident:
            return None
        if not ident:
            return f"Database {db!r} but no ID"
        if not db:
            return f"ID {ident!r} but no Database"
        if ident != self.id:
            return f"ID {self.id!r} has leading or trailing white space"
        ds = self.datasource
        if ds is None:
            return None  # an unknown source is not malformed; WikiPathways RDF just skips it
        if not ds.matches(ident):
            return f"ID {ident!r} does not match the {ds.name} pattern {ds.pattern}"
        return None


@dataclass(frozen=True)
class Comment:
    text: str
    source: str | None = None


@dataclass(frozen=True)
class Box:
    """The rectangle of a data node, label, shape (``Graphics`` CenterX/CenterY/Width/Height)."""

    center_x: float
    center_y: float
    width: float
    height: float

    @property
    def left(self) -> float:
        return self.center_x - self.width / 2

    @property
    def top(self) -> float:
        return self.center_y - self.height / 2


@dataclass(frozen=True)
class Element:
    """What every GPML element has: its id, the group it belongs to, comments, refs, attributes."""

    graph_id: str | None
    line: int
    group_ref: str | None = None
    comments: tuple[Comment, ...] = ()
    biopax_refs: tuple[str, ...] = ()
    attributes: tuple[tuple[str, str], ...] = ()
    graphics: tuple[tuple[str, str], ...] = ()  # every Graphics attribute as written

    def graphic(self, name: str, default: str | None = None) -> str | None:
        return dict(self.graphics).get(name, default)

    def attribute(self, key: str) -> str | None:
        return dict(self.attributes).get(key)


@dataclass(frozen=True)
class DataNode(Element):
    text_label: str = ""
    type: str = "Unknown"
    xref: Xref = field(default_factory=lambda: Xref("", ""))
    box: Box | None = None


@dataclass(frozen=True)
class State(Element):
    graph_ref: str | None = None
    text_label: str = ""
    state_type: str = "Unknown"
    xref: Xref | None = None


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    graph_ref: str | None = None
    arrowhead: str = "Line"
    rel_x: float | None = None
    rel_y: float | None = None
    graph_id: str | None = None
    line: int = 0


@dataclass(frozen=True)
class Anchor:
    graph_id: str | None
    position: float
    shape: str = "ReceptorRound"
    line: int = 0


@dataclass(frozen=True)
class Interaction(Element):
    """An ``<Interaction>`` (or, with ``graphical=True``, a ``<GraphicalLine>``)."""

    points: tuple[Point, ...] = ()
    anchors: tuple[Anchor, ...] = ()
    xref: Xref | None = None
    type: str | None = None
    graphical: bool = False

    @property
    def start(self) -> Point:
        return self.points[0]

    @property
    def end(self) -> Point:
        return self.points[-1]


@dataclass(frozen=True)
class Label(Element):
    text_label: str = ""
    href: str | None = None
    box: Box | None = None


@dataclass(frozen=True)
class Shape(Element):
    text_label: str = ""
    shape_type: str | None = None
    box: Box | None = None


@dataclass(frozen=True)
class Group(Element):
    group_id: str = ""
    style: str = "None"
    text_label: str | None = None


@dataclass(frozen=True)
class PublicationXref:
    """A ``bp:PublicationXref`` in the ``<Biopax>`` block; ``rdf_id`` is what ``BiopaxRef`` cites."""

    rdf_id: str
    id: str
    db: str
    title: str = ""
    source: str = ""
    year: str = ""
    authors: tuple[str, ...] = ()
    line: int = 0

    @property
    def pubmed(self) -> str | None:
        """The PubMed id, when this is a PubMed reference with a numeric id."""
        ident = self.id.strip()
        return ident if ident.isdigit() and self.db.strip().casefold() in ("pubmed", "") else None

    @property
    def doi(self) -> str | None:
        """The DOI, when the id (or, failing that, the source) holds one (``10.…``)."""
        for text in (self.id, self.source):
            text = text.strip()
            for prefix in ("DOI:", "doi:", "https://doi.org/", "http://doi.org/"):
                text = text.removeprefix(prefix).strip()
            if text.startswith("10.") and " " not in text:
                return text
        return None


@dataclass(frozen=True)
class OntologyTag:
    """A ``bp:openControlledVocabulary``: ``id`` is a CURIE such as ``PW:0000650`` or ``CL:0000092``."""

    term: str
    id: str
    ontology: str
    line: int = 0


@dataclass(frozen=True)
class Pathway:
    source: str
    title: str
    organism: str | None = None
    version: str | None = None
    data_source: str | None = None
    author: str | None = None
    maintainer: str | None = None
    email: str | None = None
    license: str | None = None
    last_modified: str | None = None
    board_width: float | None = None
    board_height: float | None = None
    comments: tuple[Comment, ...] = ()
    biopax_refs: tuple[str, ...] = ()
    attributes: tuple[tuple[str, str], ...] = ()
    data_nodes: tuple[DataNode, ...] = ()
    states: tuple[State, ...] = ()
    interactions: tuple[Interaction, ...] = ()
    graphical_lines: tuple[Interaction, ...] = ()
    labels: tuple[Label, ...] = ()
    shapes: tuple[Shape, ...] = ()
    groups: tuple[Group, ...] = ()
    publications: tuple[PublicationXref, ...] = ()
    ontology_tags: tuple[OntologyTag, ...] = ()

    @property
    def revision(self) -> str | None:
        """The WikiPathways revision in ``Version`` (``WP5545_r139134`` → ``139134``), if it has one."""
        m = _REVISION.search(self.version or "")
        return m.group(1) if m else None

    @property
    def descriptions(self) -> tuple[str, ...]:
        return tuple(c.text for c in self.comments if c.source == "WikiPathways-description")

    def elements(self) -> Iterator[Element]:
        """Every element with a GraphId namespace entry, in document order of their kinds."""
        yield from self.data_nodes
        yield from self.states
        yield from self.interactions
        yield from self.graphical_lines
        yield from self.labels
        yield from self.shapes
        yield from self.groups

    @cached_property
    def _by_graph_id(self) -> dict[str, Element]:
        index: dict[str, Element] = {}
        for e in self.elements():
            if e.graph_id:
                index.setdefault(e.graph_id, e)
        return index

    def element(self, graph_id: str | None) -> Element | None:
        """The element with this GraphId (anchors and points are not elements), as PathVisio finds it."""
        return self._by_graph_id.get(graph_id) if graph_id else None

    def anchor_owner(self, graph_id: str | None) -> Interaction | None:
        """The interaction one of whose anchors has this GraphId."""
        for line in (*self.interactions, *self.graphical_lines):
            if any(a.graph_id == graph_id for a in line.anchors):
                return line
        return None

    def publication(self, rdf_id: str) -> PublicationXref | None:
        return next((p for p in self.publications if p.rdf_id == rdf_id), None)

    def cited(self, refs: Iterable[str]) -> list[PublicationXref]:
        """The publication xrefs these ``BiopaxRef`` ids point at, each once, in order."""
        out: list[PublicationXref] = []
        for ref in refs:
            pub = self.publication(ref)
            if pub is not None and pub not in out:
                out.append(pub)
        return out

    def group(self, group_id: str | None) -> Group | None:
        return next((g for g in self.groups if g.group_id == group_id), None) if group_id else None

    def members(self, group: Group) -> list[Element]:
        """The elements whose GroupRef is this group's GroupId, in document order."""
        return [e for e in self.elements() if e.group_ref == group.group_id]


# --- parsing ---------------------------------------------------------------------------------


class _Reader:
    """Builds a :class:`Pathway` from a parsed tree, raising :class:`GpmlError` with locations."""

    def __init__(self, source: str):
        self.source = source

    def error(self, message: str, el: etree._Element | None) -> GpmlError:
        return GpmlError(
            message,
            source=self.source,
            line=el.sourceline if el is not None else None,
            element=etree.QName(el).localname if el is not None else None,
        )

    def number(self, el: etree._Element, name: str, *, required: bool = True) -> float | None:
        raw = el.get(name)
        if raw is None:
            if required:
                raise self.error(f"missing required attribute {name}", el)
            return None
        try:
            return float(raw)
        except ValueError:
            raise self.error(f"{name} is not a number: {raw!r}", el) from None

    @staticmethod
    def children(el: etree._Element, name: str) -> list[etree._Element]:
        return el.findall(f"{{{GPML_NS}}}{name}")

    def comments(self, el: etree._Element) -> tuple[Comment, ...]:
        return tuple(Comment(c.text or "", c.get("Source")) for c in self.children(el, "Comment"))

    def refs(self, el: etree._Element) -> tuple[str, ...]:
        refs = [(r.text or "").strip() for r in self.children(el, "BiopaxRef")]
        if el.get("BiopaxRef"):  # the deprecated attribute form
            refs.append(el.get("BiopaxRef", "").strip())
        return tuple(r for r in refs if r)

    def attributes(self, el: etree._Element) -> tuple[tuple[str, str], ...]:
        return tuple((a.get("Key", ""), a.get("Value", "")) for a in self.children(el, "Attribute"))

    def graphics(self, el: etree._Element) -> etree._Element | None:
        return el.find(f"{{{GPML_NS}}}Graphics")

    def common(self, el: etree._Element) -> dict:
        g = self.graphics(el)
        return {
            "graph_id": el.get("GraphId"),
            "line": el.sourceline or 0,
            "group_ref": el.get("GroupRef"),
            "comments": self.comments(el),
            "biopax_refs": self.refs(el),
            "attributes": self.attributes(el),
            "graphics": tuple(sorted(g.attrib.items())) if g is not None else (),
        }

    def box(self, el: etree._Element) -> Box | None:
        g = self.graphics(el)
        if g is None:
            return None
        values = [self.number(g, n) for n in ("CenterX", "CenterY", "Width", "Height")]
        return Box(*(v or 0.0 for v in values))

    def xref(self, el: etree._Element) -> Xref | None:
        x = el.find(f"{{{GPML_NS}}}Xref")
        if x is None:
            return None
        return Xref(x.get("Database", ""), x.get("ID", ""), x.sourceline or 0)

    def data_node(self, el: etree._Element) -> DataNode:
        return DataNode(
            **self.common(el),
            text_label=el.get("TextLabel", ""),
            type=el.get("Type", "Unknown"),
            xref=self.xref(el) or Xref("", "", el.sourceline or 0),
            box=self.box(el),
        )

    def state(self, el: etree._Element) -> State:
        return State(
            **self.common(el),
            graph_ref=el.get("GraphRef"),
            text_label=el.get("TextLabel", ""),
            state_type=el.get("StateType", "Unknown"),
            xref=self.xref(el),
        )

    def point(self, el: etree._Element) -> Point:
        return Point(
            self.number(el, "X") or 0.0,
            self.number(el, "Y") or 0.0,
            el.get("GraphRef"),
            el.get("ArrowHead", "Line"),
            self.number(el, "RelX", required=False),
            self.number(el, "RelY", required=False),
            el.get("GraphId"),
            el.sourceline or 0,
        )

    def anchor(self, el: etree._Element) -> Anchor:
        return Anchor(
            el.get("GraphId"), self.number(el, "Position") or 0.0, el.get("Shape", "ReceptorRound"), el.sourceline or 0
        )

    def line(self, el: etree._Element, graphical: bool) -> Interaction:
        g = self.graphics(el)
        if g is None:
            raise self.error("a line needs a Graphics element with its Points", el)
        points = tuple(self.point(p) for p in self.children(g, "Point"))
        if len(points) < 2:
            raise self.error(f"a line needs at least two Points, found {len(points)}", el)
        anchors = tuple(self.anchor(a) for a in self.children(g, "Anchor"))
        return Interaction(
            **self.common(el),
            points=points,
            anchors=anchors,
            xref=self.xref(el),
            type=el.get("Type"),
            graphical=graphical,
        )

    def label(self, el: etree._Element) -> Label:
        return Label(**self.common(el), text_label=el.get("TextLabel", ""), href=el.get("Href"), box=self.box(el))

    def shape(self, el: etree._Element) -> Shape:
        g = self.graphics(el)
        return Shape(
            **self.common(el),
            text_label=el.get("TextLabel", ""),
            shape_type=g.get("ShapeType") if g is not None else None,
            box=self.box(el),
        )

    def group(self, el: etree._Element) -> Group:
        if not el.get("GroupId"):
            raise self.error("a Group needs a GroupId", el)
        return Group(
            **self.common(el),
            group_id=el.get("GroupId", ""),
            style=el.get("Style", "None"),
            text_label=el.get("TextLabel"),
        )

    def publication(self, el: etree._Element) -> PublicationXref:
        def texts(name: str) -> list[str]:
            return [(c.text or "").strip() for c in el.findall(f"{{{BIOPAX_NS}}}{name}")]

        rdf_id = el.get(f"{{{RDF_NS}}}id") or el.get(f"{{{RDF_NS}}}ID") or ""
        first = {n: (texts(n) or [""])[0] for n in ("ID", "DB", "TITLE", "SOURCE", "YEAR")}
        return PublicationXref(
            rdf_id,
            first["ID"],
            first["DB"],
            first["TITLE"],
            first["SOURCE"],
            first["YEAR"],
            tuple(texts("AUTHORS")),
            el.sourceline or 0,
        )

    def ontology_tag(self, el: etree._Element) -> OntologyTag:
        def text(name: str) -> str:
            child = el.find(f"{{{BIOPAX_NS}}}{name}")
            return (child.text or "").strip() if child is not None else ""

        return OntologyTag(text("TERM"), text("ID"), text("Ontology"), el.sourceline or 0)

    def pathway(self, root: etree._Element) -> Pathway:
        ns = etree.QName(root).namespace
        if etree.QName(root).localname != "Pathway" or not ns or not _OTHER_GPML.match(ns):
            raise self.error(f"not a GPML pathway: root element {root.tag!r}", root)
        if ns != GPML_NS:
            raise self.error(f"GPML namespace {ns} is not GPML 2013a ({GPML_NS}); convert it with PathVisio", root)
        g = self.graphics(root)
        biopax = root.find(f"{{{GPML_NS}}}Biopax")
        pubs = biopax.findall(f"{{{BIOPAX_NS}}}PublicationXref") if biopax is not None else []
        tags = biopax.findall(f"{{{BIOPAX_NS}}}openControlledVocabulary") if biopax is not None else []
        return Pathway(
            source=self.source,
            title=root.get("Name", ""),
            organism=root.get("Organism"),
            version=root.get("Version"),
            data_source=root.get("Data-Source"),
            author=root.get("Author"),
            maintainer=root.get("Maintainer"),
            email=root.get("Email"),
            license=root.get("License"),
            last_modified=root.get("Last-Modified"),
            board_width=self.number(g, "BoardWidth", required=False) if g is not None else None,
            board_height=self.number(g, "BoardHeight", required=False) if g is not None else None,
            comments=self.comments(root),
            biopax_refs=self.refs(root),
            attributes=self.attributes(root),
            data_nodes=tuple(self.data_node(e) for e in self.children(root, "DataNode")),
            states=tuple(self.state(e) for e in self.children(root, "State")),
            interactions=tuple(self.line(e, False) for e in self.children(root, "Interaction")),
            graphical_lines=tuple(self.line(e, True) for e in self.children(root, "GraphicalLine")),
            labels=tuple(self.label(e) for e in self.children(root, "Label")),
            shapes=tuple(self.shape(e) for e in self.children(root, "Shape")),
            groups=tuple(self.group(e) for e in self.children(root, "Group")),
            publications=tuple(self.publication(e) for e in pubs),
            ontology_tags=tuple(self.ontology_tag(e) for e in tags),
        )


def parse_gpml(data: str | bytes, source: str = "<gpml>") -> Pathway:
    """Parse GPML 2013a text; ``source`` names it in errors (a file name, say)."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, remove_comments=True)
    try:
        root = etree.fromstring(raw, parser=parser)  # entities and network are off
    except etree.XMLSyntaxError as exc:
        raise GpmlError(f"not well-formed XML: {exc.msg}", source=source, line=exc.lineno) from None
    return _Reader(source).pathway(root)


def read_gpml(path: Path) -> Pathway:
    """Read a GPML 2013a file."""
    return parse_gpml(Path(path).read_bytes(), source=str(path))
