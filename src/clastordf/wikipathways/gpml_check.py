"""Checks for GPML 2013a files: the XSD plus what the XSD cannot say.

The XSD (shipped in ``clastordf/data``, so no network or ../shared is needed at run time) checks
structure.  It cannot check that identifiers mean something, so this module adds:

* ``ref``: every Point/State ``GraphRef`` names a GraphId (or a GroupId) in the file, every
  ``GroupRef`` a GroupId, every ``BiopaxRef`` a ``bp:PublicationXref``;
* ``graphid``: GraphIds and GroupIds are unique;
* ``arrowhead``: every ArrowHead is a PathVisio or MIM arrowhead name;
* ``xref``: every DataNode has a type other than Unknown and an Xref whose data source is a BridgeDb
  data source name and whose ID matches that source's pattern (``bridgedb-datasources.tsv``);
* ``layout`` (optional): no two DataNodes, Labels or complex boxes overlap, all lie on the board.

Messages start with their category and name the element (tag, GraphId, TextLabel).

Why ``strict``: our own export must be clean, so every category is an error.  Real WikiPathways
files were drawn by hand over two decades; they use legacy data source names (``Uniprot-TrEMBL``,
renamed ``UniProtKB`` in BridgeDb), ids outside today's patterns and the odd Unknown-typed node.
Those are curation findings about someone else's content, not broken files, so with
``strict=False`` the ``xref`` category is reported as warnings while structure, references and
arrowheads stay errors.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from importlib.resources import files

from lxml import etree

from ..vocab import BIOPAX_NS, GPML_NS, NAMESPACES
from .gpml_read import datasource
from .layout import Box, bounding_box, overlapping_pairs

RDF_ID = f"{{{NAMESPACES['rdf']}}}id"

#: ArrowHead values PathVisio knows: its basic set and the MIM plugin's (GPML 2013a era).
ARROWHEADS: frozenset[str] = frozenset(
    {
        "Line",
        "Arrow",
        "TBar",
        "Receptor",
        "ReceptorSquare",
        "ReceptorRound",
        "LigandSquare",
        "LigandRound",
        "mim-necessary-stimulation",
        "mim-binding",
        "mim-conversion",
        "mim-stimulation",
        "mim-modification",
        "mim-catalysis",
        "mim-inhibition",
        "mim-cleavage",
        "mim-covalent-bond",
        "mim-branching-left",
        "mim-branching-right",
        "mim-transcription-translation",
        "mim-gap",
        "mim-translocation",
    }
)

#: Data source names PathVisio files still carry, with their current BridgeDb name.
GROUP_PAD = 6.0  # matches the export and the renderer: a complex box surrounds its members by this much


@dataclass
class GpmlReport:
    """Errors (the file is wrong) and warnings (curation findings in non-strict mode)."""

    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _data(name: str) -> bytes:
    return files("clastordf").joinpath("data", name).read_bytes()


@lru_cache(maxsize=1)
def gpml_schema() -> etree.XMLSchema:
    """The GPML 2013a XML Schema shipped with the package."""
    return etree.XMLSchema(etree.fromstring(_data("GPML2013a.xsd")))


def describe(element: etree._Element) -> str:
    """How a message names an element: ``DataNode 'SLIT3' (GraphId dn1a2b3c)``."""
    tag = etree.QName(element).localname
    parts = [tag]
    if element.get("TextLabel"):
        parts.append(repr(element.get("TextLabel")))
    ident = element.get("GraphId") or element.get("GroupId")
    if ident:
        parts.append(f"(GraphId {ident})" if element.get("GraphId") else f"(GroupId {ident})")
    if len(parts) == 1 and element.sourceline:
        parts.append(f"(line {element.sourceline})")
    return " ".join(parts)


_NAMED_ELEMENTS = ("Interaction", "GraphicalLine", "DataNode", "State", "Label", "Shape", "Group")


def _owner(element: etree._Element) -> etree._Element:
    """The nearest element a reader can find (a Point is reported through its Interaction)."""
    node: etree._Element | None = element
    while node is not None:
        if etree.QName(node).localname in _NAMED_ELEMENTS:
            return node
        node = node.getparent()
    return element


def _gpml(element: etree._Element, tag: str) -> list[etree._Element]:
    return list(element.iter(f"{{{GPML_NS}}}{tag}"))


def _xsd_errors(document: etree._ElementTree) -> list[str]:
    schema = gpml_schema()
    if schema.validate(document):
        return []
    return [f"xsd: line {e.line}: {e.message}" for e in schema.error_log]


def _id_errors(root: etree._Element) -> list[str]:
    errors = []
    for attribute, label in (("GraphId", "GraphId"), ("GroupId", "GroupId")):
        seen: dict[str, etree._Element] = {}
        for element in root.iter():
            value = element.get(attribute) if isinstance(element.tag, str) else None
            if value is None:
                continue
            if value in seen:
                other = describe(seen[value])
                errors.append(f"graphid: {describe(element)}: {label} {value!r} is also used by {other}")
            else:
                seen[value] = element
    return errors


def _ref_errors(root: etree._Element) -> list[str]:
    graph_ids = {e.get("GraphId") for e in root.iter() if isinstance(e.tag, str) and e.get("GraphId")}
    group_ids = {g.get("GroupId") for g in _gpml(root, "Group") if g.get("GroupId")}
    publications = {x.get(RDF_ID) for x in root.iter(f"{{{BIOPAX_NS}}}PublicationXref") if x.get(RDF_ID)}
    errors = []
    for tag in ("Point", "State"):
        for element in _gpml(root, tag):
            ref = element.get("GraphRef")
            if ref is not None and ref not in graph_ids and ref not in group_ids:
                errors.append(f"ref: {describe(_owner(element))}: {tag} GraphRef {ref!r} names no GraphId or GroupId")
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        group = element.get("GroupRef")
        if group is not None and group not in group_ids:
            errors.append(f"ref: {describe(element)}: GroupRef {group!r} names no Group")
        biopax = element.get("BiopaxRef")
        if biopax is not None and biopax not in publications:
            errors.append(f"ref: {describe(element)}: BiopaxRef {biopax!r} names no bp:PublicationXref")
    for element in _gpml(root, "BiopaxRef"):
        if (element.text or "").strip() not in publications:
            owner = element.getparent()
            errors.append(
                f"ref: {describe(owner) if owner is not None else 'BiopaxRef'}: BiopaxRef "
                f"{(element.text or '').strip()!r} names no bp:PublicationXref"
            )
    return errors


def _arrowhead_errors(root: etree._Element) -> list[str]:
    errors = []
    for point in _gpml(root, "Point"):
        arrow = point.get("ArrowHead")
        if arrow is not None and arrow not in ARROWHEADS:
            errors.append(f"arrowhead: {describe(_owner(point))}: unknown ArrowHead {arrow!r}")
    return errors


def _xref_problems(root: etree._Element) -> list[str]:
    problems = []
    for node in _gpml(root, "DataNode"):
        name = describe(node)
        if node.get("Type", "Unknown") == "Unknown":
            problems.append(f"xref: {name}: Type is Unknown (say GeneProduct, Protein, Rna, Metabolite, …)")
        xref = node.find(f"{{{GPML_NS}}}Xref")
        database = xref.get("Database", "") if xref is not None else ""
        identifier = xref.get("ID", "") if xref is not None else ""
        if not database or not identifier:
            problems.append(f"xref: {name}: empty Xref (Database {database!r}, ID {identifier!r})")
            continue
        problems += _xref_value_problems(name, database, identifier)
    for tag in ("State", "Interaction"):  # optional there: checked only when filled in
        for element in _gpml(root, tag):
            xref = element.find(f"{{{GPML_NS}}}Xref")
            if xref is not None and xref.get("Database") and xref.get("ID"):
                problems += _xref_value_problems(describe(element), xref.get("Database", ""), xref.get("ID", ""))
    return problems


def _xref_value_problems(name: str, database: str, identifier: str) -> list[str]:
    source = datasource(database)
    if source is None:
        return [f"xref: {name}: unknown data source {database!r} (not a BridgeDb data source name)"]
    problems = []
    if source.name != database:
        problems.append(f"xref: {name}: legacy data source name {database!r} (BridgeDb now says {source.name!r})")
    if not source.matches(identifier):
        problems.append(f"xref: {name}: ID {identifier!r} does not match the {source.name} pattern {source.pattern}")
    return problems


def _layout_errors(root: etree._Element) -> list[str]:
    """Overlapping DataNodes, Labels and complex boxes; anything off the board."""
    boxes: list[tuple[str, Box]] = []
    members: dict[str, list[Box]] = {}
    member_of: dict[str, str] = {}
    for tag in ("DataNode", "Label"):
        for element in _gpml(root, tag):
            graphics = element.find(f"{{{GPML_NS}}}Graphics")
            if graphics is None:
                continue
            box = Box(*(float(graphics.get(a, "0")) for a in ("CenterX", "CenterY", "Width", "Height")))
            name = describe(element)
            boxes.append((name, box))
            if element.get("GroupRef"):
                members.setdefault(element.get("GroupRef", ""), []).append(box)
                member_of[name] = element.get("GroupRef", "")
    for group in _gpml(root, "Group"):
        group_id = group.get("GroupId", "")
        if group_id in members:
            boxes.append((describe(group), bounding_box(members[group_id], GROUP_PAD)))
    group_names = {describe(g): g.get("GroupId", "") for g in _gpml(root, "Group")}
    errors = []
    for first, second in overlapping_pairs(boxes):
        if _encloses(group_names, member_of, first, second) or _encloses(group_names, member_of, second, first):
            continue  # a complex box surrounds its own members
        if first in group_names and second in group_names:
            continue  # nested groups
        errors.append(f"layout: {first} overlaps {second}")
    board = root.find(f"{{{GPML_NS}}}Graphics")
    if board is not None:
        width, height = float(board.get("BoardWidth", "0")), float(board.get("BoardHeight", "0"))
        for name, box in boxes:
            if box.left < 0 or box.top < 0 or box.right > width or box.bottom > height:
                errors.append(f"layout: {name} lies outside the board ({width:g} x {height:g})")
    return errors


def _encloses(group_names: dict[str, str], member_of: dict[str, str], group: str, member: str) -> bool:
    """True when ``group`` names the group that ``member`` belongs to."""
    return group in group_names and member_of.get(member) == group_names[group]


def check_gpml(text: str, *, check_layout: bool = True, strict: bool = True) -> GpmlReport:
    """All checks; see the module docstring for the categories and for ``strict``."""
    report = GpmlReport()
    try:
        document = etree.ElementTree(etree.fromstring(text.encode("utf-8")))
    except etree.XMLSyntaxError as error:
        report.errors.append(f"xml: {error}")
        return report
    root = document.getroot()
    report.errors += _xsd_errors(document)
    report.errors += _id_errors(root)
    report.errors += _ref_errors(root)
    report.errors += _arrowhead_errors(root)
    (report.errors if strict else report.warnings).extend(_xref_problems(root))
    if check_layout:
        report.errors += _layout_errors(root)
    return report


def validate_gpml(text: str, *, check_layout: bool = True, strict: bool = True) -> list[str]:
    """Error messages for a GPML 2013a document (empty when it is valid)."""
    return check_gpml(text, check_layout=check_layout, strict=strict).errors
