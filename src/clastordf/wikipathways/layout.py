"""Layout of the GPML export: text metrics, boxes, ordered placement, and the two-cell diagram.

The diagram has fixed columns, left to right: osteoclast processes, osteoclast receptors for its
own ligands, the osteoclast membrane (ligands, and receptors of reverse signals), the extracellular
gap (vesicles above the bone-matrix band), the osteoblast membrane (receptors, and reverse ligands),
osteoblast processes.  Only the vertical order and positions inside each column are chosen:

* order by barycentre sweeps (a unit goes to the mean rank of what it is linked to), so lines run
  nearly horizontally and cross little;
* positions by order-preserving isotonic regression (:func:`place_in_order`): as close as possible
  to the mean height of the linked units, never overlapping;
* reverse signals (osteoblast ligand -> osteoclast receptor) take a band above the forward ones,
  ephrin B2 / EPHB4, which signal both ways, sit at the border of the two bands;
* a ligand without a known receptor reaches its processes through a "slot": an invisible waypoint
  on the target membrane between the receptors, so its lines never cut through a receptor box.

The geometric helpers are shared with the SVG renderer, so the SVG wraps a label exactly where the
layout reserved room for it.  Nothing here reads RDF or writes XML.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from .model import OB, OC, Entity, Model, Signal

PATHWAY_NAME = "Osteoclast–osteoblast coupling factors (clastokines)"
PFOCR_FIGURE = "PMC11003748__elife-95083-fig2"

#: Mechanisms in drawing order (top to bottom in the forward band) and the name of their sub-pathway.
MECHANISMS: dict[str, str] = {
    "CellContact": "cell-contact",
    "Secreted": "secreted",
    "VesicleMediated": "vesicle-mediated",
    "MatrixDerived": "matrix-derived",
}

#: Approximate advance widths (in ems) of Arial/Helvetica glyph classes. The layout only needs a
#: safe upper bound, so unknown characters count as wide.
_NARROW = set("iljtfrI.,;:!|'()[]{} -/")
_WIDE = set("MWmw@%")


def text_width(text: str, font_size: float) -> float:
    """Estimated rendered width of ``text`` in pixels (no font files at build time, so a table)."""
    ems = 0.0
    for char in text:
        if char in _NARROW:
            ems += 0.30
        elif char in _WIDE:
            ems += 0.86
        elif char.isupper() or char.isdigit():
            ems += 0.67
        elif char.isascii():
            ems += 0.54
        else:
            ems += 0.70
    return ems * font_size


def wrap_text(text: str, max_width: float, font_size: float) -> list[str]:
    """Greedy word wrap into lines no wider than ``max_width`` (a single long word stays whole).

    Explicit newlines in the label are kept, as PathVisio keeps them.
    """
    lines: list[str] = []
    for paragraph in text.split("\n"):
        current = ""
        for word in paragraph.split(" "):
            candidate = f"{current} {word}" if current else word
            if current and text_width(candidate, font_size) > max_width:
                lines.append(current)
                current = word
            else:
                current = candidate
        lines.append(current)
    return lines


@dataclass(frozen=True)
class Box:
    """An axis-aligned rectangle given by its centre and size, as GPML stores node graphics."""

    cx: float
    cy: float
    width: float
    height: float

    @property
    def left(self) -> float:
        return self.cx - self.width / 2

    @property
    def right(self) -> float:
        return self.cx + self.width / 2

    @property
    def top(self) -> float:
        return self.cy - self.height / 2

    @property
    def bottom(self) -> float:
        return self.cy + self.height / 2

    def overlaps(self, other: Box, margin: float = 0.0) -> bool:
        """True when the boxes share interior area (touching edges do not count)."""
        return (
            self.left < other.right + margin
            and other.left < self.right + margin
            and self.top < other.bottom + margin
            and other.top < self.bottom + margin
        )

    def grown(self, pad: float) -> Box:
        return Box(self.cx, self.cy, self.width + 2 * pad, self.height + 2 * pad)


def bounding_box(boxes: Sequence[Box], pad: float = 0.0) -> Box:
    """The smallest box holding all ``boxes``, grown by ``pad`` on every side."""
    left = min(b.left for b in boxes) - pad
    right = max(b.right for b in boxes) + pad
    top = min(b.top for b in boxes) - pad
    bottom = max(b.bottom for b in boxes) + pad
    return Box((left + right) / 2, (top + bottom) / 2, right - left, bottom - top)


def overlapping_pairs(boxes: Sequence[tuple[str, Box]], margin: float = 0.0) -> list[tuple[str, str]]:
    """Names of every pair of boxes that overlap (sweep over x so large diagrams stay cheap)."""
    order = sorted(range(len(boxes)), key=lambda i: boxes[i][1].left)
    pairs: list[tuple[str, str]] = []
    for pos, i in enumerate(order):
        name_i, box_i = boxes[i]
        for j in order[pos + 1 :]:
            name_j, box_j = boxes[j]
            if box_j.left >= box_i.right + margin:
                break
            if box_i.overlaps(box_j, margin):
                pairs.append((name_i, name_j))
    return pairs


def place_in_order(
    desired: Sequence[float], heights: Sequence[float], gaps: Sequence[float], top: float
) -> list[float]:
    """Centres for boxes stacked in the given order, as close as possible to ``desired``.

    The order is fixed (it was chosen to avoid crossings); boxes may not overlap: box ``i`` starts at
    least ``gaps[i]`` below the end of box ``i-1``, and the first at least ``gaps[0]`` below ``top``.  This is
    isotonic regression solved by pooling adjacent violators: blocks that would overlap are merged and
    placed at the mean of their members' wishes, so a pushed-down box pulls its neighbours up instead
    of letting the whole column drift downwards.
    """
    count = len(desired)
    if count == 0:
        return []
    # Offsets of each box's centre from the centre of the first box when packed tightly.
    offsets = [0.0] * count
    for i in range(1, count):
        offsets[i] = offsets[i - 1] + heights[i - 1] / 2 + gaps[i] + heights[i] / 2
    # Each block: [first index, last index, sum of (desired - offset), size]
    blocks: list[list[float]] = []
    for i in range(count):
        blocks.append([i, i, desired[i] - offsets[i], 1])
        while len(blocks) > 1 and _block_start(blocks[-2]) > _block_start(blocks[-1]):
            last = blocks.pop()
            prev = blocks[-1]
            prev[1] = last[1]
            prev[2] += last[2]
            prev[3] += last[3]
    first_min = top + gaps[0] + heights[0] / 2
    starts: list[float] = []
    for block in blocks:
        start = max(_block_start(block), first_min)
        for _ in range(int(block[0]), int(block[1]) + 1):
            starts.append(start)
    # Re-impose the top bound without breaking the order (a clamped block may now touch the next).
    result = [starts[i] + offsets[i] for i in range(count)]
    for i in range(1, count):
        floor = result[i - 1] + heights[i - 1] / 2 + gaps[i] + heights[i] / 2
        result[i] = max(result[i], floor)
    return result


def _block_start(block: list[float]) -> float:
    """The centre of the first box of a pooled block (the mean of its members' wishes)."""
    return block[2] / block[3]


def barycenter(values: Sequence[float], default: float) -> float:
    """Mean of ``values``, or ``default`` when there are none (an unconnected box keeps its place)."""
    return sum(values) / len(values) if values else default


# -------------------------------------------------------------------------------------------- diagram

_LEVEL_TEXT = {
    "InVivoSupport": "in vivo support",
    "InVitroOnly": "in vitro only",
    "AuthorStatementOnly": "author statement only",
}

#: Columns from left to right. Ligands sit on their producing cell's membrane (or in the vesicle /
#: matrix regions of the gap), receptors on the target cell's membrane, a cell's receptors for its
#: own ligands one column further in, and the processes a signal changes in the innermost column.
COLUMNS = (
    "osteoclast_effect",
    "osteoclast_inner",
    "osteoclast_membrane",
    "vesicle",
    "matrix",
    "osteoblast_membrane",
    "osteoblast_inner",
    "osteoblast_effect",
)
GAP_COLUMNS = ("vesicle", "matrix")
MECHANISM_RANK = {name: rank for rank, name in enumerate(MECHANISMS)}

FONT = 11
EFFECT_FONT = 10
NODE_HEIGHT = 24.0
EFFECT_WIDTH = 150.0
GROUP_PAD = 6.0  # space between a complex's members and its drawn box (PathVisio pads groups too)
COMPLEX_GAP = 2.0
SLOT_HEIGHT = 12.0
ARROW_SPACING = 7.0  # vertical room per arrowhead arriving at a process box
ROW_GAP = 10.0
SECTION_GAP = 60.0  # room for the vesicle outline or the matrix band edge between sections
BAND_GAP = 26.0
MARGIN = 20.0
CELL_PAD = 24.0
HEADER = 64.0  # room above the first row for a cell's name
CELL_TOP = MARGIN + 50.0  # below the title lines
GAP_WIDTH = 330.0  # the extracellular space between the two membranes
MIN_CELL_WIDTH = 280.0  # room for a cell's name and cell types even when the cell holds little


@dataclass
class DNode:
    """A DataNode to write: its entity, size and (after layout) its box."""

    key: str
    entity: Entity
    width: float
    height: float
    box: Box = field(default_factory=lambda: Box(0, 0, 0, 0))
    refs: set[str] = field(default_factory=set)
    notes: set[str] = field(default_factory=set)


@dataclass
class Unit:
    """What a column stacks: one DataNode, a complex (its members stacked in a group), or a slot.

    A slot is an invisible waypoint on the target membrane through which a ligand without a known
    receptor reaches its effects, so those lines do not cut through receptor boxes.
    """

    key: str
    side: str
    column: str
    label: str
    nodes: list[DNode]
    complex: Entity | None = None
    band: int = 1
    section: int = 99
    is_ligand: bool = False
    x: float = 0.0
    y: float = 0.0

    @property
    def height(self) -> float:
        if not self.nodes:
            return SLOT_HEIGHT
        if self.complex is not None:
            inner = sum(n.height for n in self.nodes) + COMPLEX_GAP * (len(self.nodes) - 1)
            return inner + 2 * GROUP_PAD
        return self.nodes[0].height

    @property
    def width(self) -> float:
        if not self.nodes:
            return 0.0
        widest = max(n.width for n in self.nodes)
        return widest + 2 * GROUP_PAD if self.complex is not None else widest

    @property
    def box(self) -> Box:
        return Box(self.x, self.y, self.width, self.height)

    def settle(self) -> None:
        """Give the unit's DataNodes their boxes from the unit's centre (members stacked)."""
        top = self.y - self.height / 2 + (GROUP_PAD if self.complex is not None else 0.0)
        for node in self.nodes:
            node.box = Box(
                self.x, top + node.height / 2, self.width - (2 * GROUP_PAD if self.complex else 0), node.height
            )
            top += node.height + COMPLEX_GAP


@dataclass
class Edge:
    """An Interaction: binding (ligand to receptor) or an effect (+/-) on a process."""

    kind: str  # "binding", "+" or "-"
    source: str  # unit keys
    target: str
    via: str | None
    facts: set[str] = field(default_factory=set)
    refs: set[str] = field(default_factory=set)
    notes: set[str] = field(default_factory=set)
    established: bool = False


@dataclass
class Diagram:
    units: dict[str, Unit] = field(default_factory=dict)
    edges: dict[tuple[str, str, str, str], Edge] = field(default_factory=dict)
    labels: list[tuple[str, str, Box, dict[str, str]]] = field(default_factory=list)
    shapes: list[tuple[str, str, Box, dict[str, str]]] = field(default_factory=list)
    lines: list[tuple[str, list[tuple[float, float]], dict[str, str], str]] = field(default_factory=list)
    carriers: set[str] = field(default_factory=set)
    cells: set[str] = field(default_factory=set)
    name: str = PATHWAY_NAME
    column_x: dict[str, float] = field(default_factory=dict)

    def neighbours(self) -> dict[str, set[str]]:
        """Units joined by a drawn line (through slots, not across them), for barycentre ordering."""
        links: dict[str, set[str]] = defaultdict(set)
        for edge in self.edges.values():
            hops = [edge.source, edge.via, edge.target] if edge.via else [edge.source, edge.target]
            for a, b in zip(hops, hops[1:], strict=False):
                links[a].add(b)
                links[b].add(a)
        return links


def _node_size(entity: Entity) -> tuple[float, float]:
    if entity.node_type == "Pathway":
        lines = wrap_text(entity.label, EFFECT_WIDTH - 12, EFFECT_FONT * 1.08)
        return EFFECT_WIDTH, 13.0 * len(lines) + 9.0
    return max(60.0, round(text_width(entity.label, FONT) + 18.0)), NODE_HEIGHT


def _dnode(key: str, entity: Entity) -> DNode:
    width, height = _node_size(entity)
    return DNode(key, entity, width, height)


class _Builder:
    """Turns signals into units and edges (no coordinates yet)."""

    def __init__(self, model: Model) -> None:
        self.model = model
        self.diagram = Diagram()

    def unit(self, side: str, iri: str, column: str) -> Unit:
        key = f"{side}|{iri}"
        units = self.diagram.units
        if key in units:
            if column.endswith("_membrane") and units[key].column.endswith("_inner"):
                units[key].column = column  # a receptor that also faces the other cell sits on the membrane
            return units[key]
        entity = self.model.entities[iri]
        if entity.node_type == "Complex":
            nodes = [_dnode(f"{key}|{m}", self.model.entities[m]) for m in entity.members]
            unit = Unit(key, side, column, entity.label, nodes, complex=entity)
        else:
            unit = Unit(key, side, column, entity.label, [_dnode(key, entity)])
        units[key] = unit
        return unit

    def slot(self, side: str, ligand: Unit, column: str) -> Unit:
        key = f"{side}|slot|{ligand.key}"
        units = self.diagram.units
        if key not in units:
            units[key] = Unit(key, side, column, ligand.label, [])
        return units[key]

    def edge(
        self, kind: str, source: Unit, target: Unit, via: Unit | None, signal: Signal, refs: Iterable[str], note: str
    ) -> None:
        key = (kind, source.key, target.key, via.key if via else "")
        edge = self.diagram.edges.setdefault(key, Edge(kind, source.key, target.key, via.key if via else None))
        edge.facts.add(signal.fact)
        edge.refs.update(refs)
        edge.notes.add(note)
        edge.established = edge.established or signal.established

    def add(self, signal: Signal) -> None:
        self.diagram.cells.update(c for c in signal.cells if c in self.model.cell_types)
        ligand = self.unit(signal.producer_side, signal.ligand, _ligand_column(signal))
        ligand.section = min(ligand.section, MECHANISM_RANK.get(signal.mechanism, 1))
        ligand.is_ligand = True
        if signal.carrier and ligand.column == "vesicle":
            self.diagram.carriers.add(signal.carrier)
        for node in ligand.nodes:  # a reader clicking a ligand sees every fact about it
            node.refs.update(signal.produced_refs)
            node.notes.add(_fact_note(signal, self.model))
        for arm in signal.arms:
            column = f"{arm.side}_membrane" if arm.side != signal.producer_side else f"{arm.side}_inner"
            hubs = [self.unit(arm.side, r, column) for r in arm.receptors]
            for hub in hubs:
                refs = signal.refs_about(
                    {hub.complex.iri if hub.complex else hub.nodes[0].entity.iri, *(n.entity.iri for n in hub.nodes)}
                )
                self.edge("binding", ligand, hub, None, signal, refs, _fact_note(signal, self.model))
            via = self.slot(arm.side, ligand, column) if arm.effects and not hubs else None
            for go, sign in arm.effects:
                effect = self.unit(arm.side, go, f"{arm.side}_effect")
                note = f"{signal.fact_id}: {'promotes' if sign == '+' else 'inhibits'} {effect.label}"
                for source in hubs or [ligand]:
                    self.edge(sign, source, effect, via, signal, signal.refs_about({go}), note)


def _ligand_column(signal: Signal) -> str:
    if signal.producer_side == OC and signal.mechanism == "VesicleMediated":
        return "vesicle"
    if signal.producer_side == OC and signal.mechanism == "MatrixDerived":
        return "matrix"
    return f"{signal.producer_side}_membrane"


def _fact_note(signal: Signal, model: Model) -> str:
    """A comment line about a fact for ligands and binding lines: which, in what form, how settled, via what."""
    state = ", ".join(
        filter(None, [_LEVEL_TEXT.get(signal.evidence_level, ""), "contested" if signal.contested else ""])
    )
    parts = [f"{signal.fact_id} ({state or 'no evidence level'}): {signal.label}"]
    if signal.form:
        parts.append(f"form: {signal.form}")
    pathways = [model.label_of(p) for p in signal.pathways]
    if pathways:
        parts.append("pathways: " + ", ".join(pathways))
    return "; ".join(parts)


def build_diagram(model: Model, signals: Iterable[Signal], name: str = PATHWAY_NAME) -> Diagram:
    """Units, edges and their placement for the given signals."""
    builder = _Builder(model)
    builder.diagram.name = name
    for signal in signals:
        builder.add(signal)
    diagram = builder.diagram
    _fit_effects(diagram)
    _assign_bands(diagram)
    _place(diagram)
    _decorate(diagram, model)
    return diagram


def _fit_effects(diagram: Diagram) -> None:
    """Give a process box room for all arrows arriving at it, so each arrowhead stays readable."""
    arriving: dict[str, int] = defaultdict(int)
    for edge in diagram.edges.values():
        arriving[edge.target] += 1
    for unit in diagram.units.values():
        if unit.column.endswith("_effect"):
            node = unit.nodes[0]
            node.height = max(node.height, ARROW_SPACING * arriving[unit.key] + 8.0)


def _assign_bands(diagram: Diagram) -> None:
    """Band 0 (top) holds what only the reverse signals use; everything else is band 1."""
    units = diagram.units
    forward = {u.key for u in units.values() if u.is_ligand and u.side == OC}
    forward_hubs = {e.target for e in diagram.edges.values() if e.kind == "binding" and e.source in forward}
    forward_hubs |= {e.via for e in diagram.edges.values() if e.via and e.source in forward}
    for unit in units.values():
        if unit.column == f"{OC}_membrane":
            unit.band = 1 if unit.key in forward else 0
        elif unit.column == f"{OB}_membrane":
            unit.band = 1 if unit.key in forward_hubs else 0


def _column(diagram: Diagram, name: str, band: int | None = None) -> list[Unit]:
    return sorted(
        (u for u in diagram.units.values() if u.column == name and (band is None or u.band == band)),
        key=lambda u: (u.label.lower(), u.key),
    )


def _stack(units: list[Unit], desired: list[float], top: float, gaps: list[float] | None = None) -> None:
    """Set the units' centres in their given order, near ``desired``, without overlaps."""
    if not units:
        return
    gap_list = gaps if gaps is not None else [0.0] + [ROW_GAP] * (len(units) - 1)
    ys = place_in_order(desired, [u.height for u in units], gap_list, top)
    for unit, y in zip(units, ys, strict=True):
        unit.y = y


def _sequential(units: list[Unit], top: float) -> list[float]:
    """Wished-for centres of a tightly packed column (used where nothing pulls the units)."""
    ys, y = [], top
    for unit in units:
        ys.append(y + unit.height / 2)
        y += unit.height + ROW_GAP
    return ys


def _mean_y(diagram: Diagram, links: dict[str, set[str]], unit: Unit, among: set[str]) -> float | None:
    ys = sorted(diagram.units[k].y for k in links.get(unit.key, ()) if k in among)  # sorted: exact same sum
    return sum(ys) / len(ys) if ys else None


def _order_by(
    units: list[Unit], links: dict[str, set[str]], rank: dict[str, int], section: Callable[[Unit], int] = lambda u: 0
) -> list[Unit]:
    """Sort units by the mean rank of their linked units (barycentre heuristic against crossings)."""

    def key(unit: Unit) -> tuple[int, float, str, str]:
        ranks = [rank[k] for k in links.get(unit.key, ()) if k in rank]
        return section(unit), barycenter(ranks, float("inf")), unit.label.lower(), unit.key

    return sorted(units, key=key)


def _place(diagram: Diagram) -> None:
    """Choose every unit's column position and vertical order, then centres (see the module doc)."""
    links = diagram.neighbours()
    top = CELL_TOP + HEADER
    # Band 0: reverse ligands on the osteoblast membrane facing their osteoclast receptors.
    reverse_ligands = _column(diagram, f"{OB}_membrane", 0)
    _stack(reverse_ligands, _sequential(reverse_ligands, top), top)
    reverse_receptors = _order_by(
        _column(diagram, f"{OC}_membrane", 0), links, {u.key: i for i, u in enumerate(reverse_ligands)}
    )
    _stack(reverse_receptors, _sequential(reverse_receptors, top), top)
    band0 = reverse_ligands + reverse_receptors
    band1_top = max((u.box.bottom for u in band0), default=top - BAND_GAP) + BAND_GAP
    band0_keys = {u.key for u in band0}

    def section(unit: Unit) -> int:
        if unit.column == f"{OC}_membrane" and links.get(unit.key, set()) & band0_keys:
            return -1  # a ligand that is also a reverse receptor (ephrin B2) borders the reverse band
        return unit.section

    ligands = sorted(
        _column(diagram, f"{OC}_membrane", 1) + _column(diagram, "vesicle") + _column(diagram, "matrix"),
        key=lambda u: (section(u), u.label.lower(), u.key),
    )
    hubs = _column(diagram, f"{OB}_membrane", 1)
    for _ in range(4):
        hubs = _order_by(hubs, links, {u.key: i for i, u in enumerate(ligands)})
        ligands = _order_by(ligands, links, {u.key: i for i, u in enumerate(hubs)}, section)
    gaps = [SECTION_GAP if ligands and ligands[0].column in GAP_COLUMNS else 0.0]
    gaps += [SECTION_GAP if u.column != p.column else ROW_GAP for p, u in zip(ligands, ligands[1:], strict=False)]
    _stack(hubs, _sequential(hubs, band1_top), band1_top)
    hub_keys, ligand_keys = {u.key for u in hubs}, {u.key for u in ligands}
    for _ in range(3):
        wished = _follow(diagram, links, ligands, hub_keys, band1_top)
        _stack(ligands, wished, band1_top, gaps)
        _stack(hubs, _follow(diagram, links, hubs, ligand_keys, band1_top), band1_top)
    _place_followers(diagram, links, top)
    _clear_matrix(diagram)
    _set_x(diagram)


def _follow(
    diagram: Diagram, links: dict[str, set[str]], units: list[Unit], among: set[str], top: float
) -> list[float]:
    """Wished-for centres: the mean of the linked units, or just below the previous unit."""
    wished, previous = [], top
    for unit in units:
        mean = _mean_y(diagram, links, unit, among)
        wished.append(mean if mean is not None else previous + unit.height)
        previous = wished[-1]
    return wished


def _place_followers(diagram: Diagram, links: dict[str, set[str]], top: float) -> None:
    """Inner receptors follow their ligands, effects follow what acts on them."""
    for side in (OC, OB):
        for column in (f"{side}_inner", f"{side}_effect"):
            units = _column(diagram, column)
            placed = {k for k, u in diagram.units.items() if not u.column.endswith("_effect") or u.column == column}
            placed -= {u.key for u in units}
            wished = {u.key: _mean_y(diagram, links, u, placed) for u in units}
            units.sort(
                key=lambda u: (wished[u.key] if wished[u.key] is not None else float("inf"), u.label.lower(), u.key)
            )
            _stack(units, _follow(diagram, links, units, placed, top), top)


def _clear_matrix(diagram: Diagram) -> None:
    """Matrix-derived factors lie in the bone below the osteoclast: push them below the cell."""
    matrix = _column(diagram, "matrix")
    if not matrix:
        return
    above = [u for u in diagram.units.values() if (u.side == OC and u.column != "matrix") or u.column == "vesicle"]
    floor = max((u.box.bottom for u in above), default=0.0) + CELL_PAD + SECTION_GAP
    shift = floor - min(u.box.top for u in matrix)
    if shift > 0:
        for unit in matrix:
            unit.y += shift


def _set_x(diagram: Diagram) -> None:
    """Column centres from the widest unit of each column; empty inner columns take no room."""
    width = {c: max((u.width for u in _column(diagram, c)), default=0.0) for c in COLUMNS}
    x: dict[str, float] = {}
    left = MARGIN + CELL_PAD
    x[f"{OC}_effect"] = left + width[f"{OC}_effect"] / 2
    edge = left + width[f"{OC}_effect"]
    if width[f"{OC}_inner"]:
        x[f"{OC}_inner"] = edge + 90.0 + width[f"{OC}_inner"] / 2
        edge += 90.0 + width[f"{OC}_inner"]
    x[f"{OC}_membrane"] = max(edge + 110.0 + width[f"{OC}_membrane"] / 2, MARGIN + MIN_CELL_WIDTH)
    gap_left = x[f"{OC}_membrane"] + width[f"{OC}_membrane"] / 2
    x["vesicle"] = x["matrix"] = gap_left + GAP_WIDTH / 2
    x[f"{OB}_membrane"] = gap_left + GAP_WIDTH + width[f"{OB}_membrane"] / 2
    edge = x[f"{OB}_membrane"] + width[f"{OB}_membrane"] / 2
    if width[f"{OB}_inner"]:
        x[f"{OB}_inner"] = edge + 90.0 + width[f"{OB}_inner"] / 2
        edge += 90.0 + width[f"{OB}_inner"]
    x[f"{OB}_effect"] = edge + 250.0 + width[f"{OB}_effect"] / 2
    x.setdefault(f"{OC}_inner", x[f"{OC}_membrane"])
    x.setdefault(f"{OB}_inner", x[f"{OB}_membrane"])
    diagram.column_x = x
    for unit in diagram.units.values():
        unit.x = x[unit.column]
        unit.settle()


# ------------------------------------------------------------------------------------------ decoration

COLORS = {
    "binding": "333333",
    "+": "1a7f37",
    "-": "c62828",
    "osteoclast": "8e44ad",
    "osteoblast": "1f6fb2",
    "vesicle": "b9770e",
    "matrix": "a0896b",
    "effect": "14961e",
    "metabolite": "0000ff",
    "rna": "7b1fa2",
}
FILLS = {"osteoclast": "f6effa", "osteoblast": "eef5fb", "vesicle": "fdf3e1", "matrix": "f3ede3"}
ARROWHEADS = {"binding": "mim-binding", "+": "mim-stimulation", "-": "mim-inhibition"}


def _side_units(diagram: Diagram, side: str) -> list[Unit]:
    return [u for u in diagram.units.values() if u.side == side and u.column.startswith(side) and u.nodes]


def _add_label(diagram: Diagram, key: str, text: str, box: Box, **attrs: str) -> None:
    diagram.labels.append((key, text, box, attrs))


def _text_box(text: str, left: float, cy: float, size: float, bold: bool = False, max_width: float = 10_000.0) -> Box:
    """The box a left-aligned label needs (wrapped to ``max_width``)."""
    factor = 1.08 if bold else 1.0
    lines = wrap_text(text, max_width - 8, size * factor)
    width = max(text_width(line, size * factor) for line in lines) + 10
    height = len(lines) * (size + 3) + 6
    return Box(left + width / 2, cy, width, height)


def _cell(diagram: Diagram, model: Model, side: str, left: float, right: float, bottom: float) -> None:
    box = Box((left + right) / 2, (CELL_TOP + bottom) / 2, right - left, bottom - CELL_TOP)
    diagram.shapes.append(
        (
            f"cell|{side}",
            "",
            box,
            {"ShapeType": "RoundedRectangle", "Color": COLORS[side], "FillColor": FILLS[side], "LineThickness": "3.0"},
        )
    )
    name = f"{side.capitalize()} lineage"
    title = _text_box(name, left + 14, CELL_TOP + 16, 13, bold=True)
    _add_label(
        diagram, f"label|cell|{side}", name, title, FontSize="13", FontWeight="Bold", Color=COLORS[side], Align="Left"
    )
    cells = sorted(model.cell_types[c][0] for c in diagram.cells if model.cell_types[c][1] == side)
    if cells:
        text = ", ".join(cells)
        members = _text_box(text, left + 14, 0, 10, max_width=right - left - 40)
        members = Box(members.cx, CELL_TOP + 30 + members.height / 2, members.width, members.height)
        _add_label(
            diagram,
            f"label|cells|{side}",
            text,
            members,
            FontSize="10",
            Color="555555",
            Align="Left",
            FontStyle="Italic",
        )


def _decorate(diagram: Diagram, model: Model) -> None:
    """Cells, vesicle, bone matrix, titles and the legend around the placed units."""
    oc_units, ob_units = _side_units(diagram, OC), _side_units(diagram, OB)
    vesicle = [u for u in diagram.units.values() if u.column == "vesicle"]
    ob_membrane = [u for u in diagram.units.values() if u.column == f"{OB}_membrane"]
    oc_right, ob_left = diagram.column_x[f"{OC}_membrane"], diagram.column_x[f"{OB}_membrane"]
    floor = CELL_TOP + HEADER + 40.0
    # The vesicles bud from the osteoclast: its outline reaches down beside them.
    oc_bottom = max((u.box.bottom for u in oc_units + vesicle), default=floor) + CELL_PAD
    ob_bottom = max((u.box.bottom for u in ob_units), default=floor) + CELL_PAD
    ob_right = max(max((u.box.right for u in ob_units), default=ob_left) + CELL_PAD, ob_left + MIN_CELL_WIDTH)
    _cell(diagram, model, OC, MARGIN, oc_right, oc_bottom)
    _cell(diagram, model, OB, ob_left, ob_right, ob_bottom)
    bottom = max(oc_bottom, ob_bottom)
    if vesicle:
        inner = bounding_box([u.box for u in vesicle])
        oval = Box(inner.cx, inner.cy, inner.width * 1.45 + 16, inner.height * 1.3 + 24)
        diagram.shapes.append(
            (
                "vesicle",
                "",
                oval,
                {
                    "ShapeType": "Oval",
                    "Color": COLORS["vesicle"],
                    "FillColor": FILLS["vesicle"],
                    "LineThickness": "2.0",
                },
            )
        )
        names = sorted({model.carriers[c] for c in diagram.carriers}) or ["extracellular vesicle"]
        text = ", ".join(names)
        label = _text_box(text, 0, 0, 10, max_width=GAP_WIDTH - 30)
        _add_label(
            diagram,
            "label|vesicle",
            text,
            Box(oval.cx, oval.top - 4 - label.height / 2, label.width, label.height),
            FontSize="10",
            FontStyle="Italic",
            Color=COLORS["vesicle"],
        )
    matrix = [u for u in diagram.units.values() if u.column == "matrix"]
    if matrix:
        inner = bounding_box([u.box for u in matrix], pad=18)
        right = ob_left - max((u.width for u in ob_membrane), default=0.0) / 2 - 16
        band = Box((MARGIN + right) / 2, inner.cy, right - MARGIN, inner.height + 20)
        diagram.shapes.append(
            (
                "matrix",
                "",
                band,
                {
                    "ShapeType": "Rectangle",
                    "Color": COLORS["matrix"],
                    "FillColor": FILLS["matrix"],
                    "LineThickness": "2.0",
                },
            )
        )
        text = "Bone matrix: factors released and activated by osteoclastic resorption"
        label = _text_box(text, MARGIN + 12, band.cy, 11, bold=True, max_width=inner.left - MARGIN - 30)
        _add_label(diagram, "label|matrix", text, label, FontSize="11", FontWeight="Bold", Color="7a6546", Align="Left")
        bottom = max(bottom, band.bottom)
    _titles(diagram, model)
    _legend(diagram, bottom + 26)


def _titles(diagram: Diagram, model: Model) -> None:
    title = _text_box(diagram.name, MARGIN, MARGIN + 10, 16, bold=True)
    _add_label(diagram, "label|title", diagram.name, title, FontSize="16", FontWeight="Bold", Align="Left")
    source = (
        f"Drawn from clastordf (CC0); facts curated from {model.dataset.get('review_label')}, "
        f"doi:10.7554/eLife.95083; layout after its Figure 2 (PFOCR {PFOCR_FIGURE})."
    )
    sub = _text_box(source, MARGIN, MARGIN + 32, 10)
    _add_label(
        diagram,
        "label|source",
        source,
        sub,
        FontSize="10",
        Color="555555",
        Align="Left",
        Href="https://doi.org/10.7554/eLife.95083",
    )


def _legend(diagram: Diagram, y: float) -> None:
    """Line samples for the three MIM arrowheads and the two line styles."""
    x = MARGIN
    samples = [
        ("binding", "binds its receptor (mim-binding)", "binding", "Solid"),
        ("stimulation", "promotes the process (mim-stimulation)", "+", "Solid"),
        ("inhibition", "inhibits the process (mim-inhibition)", "-", "Solid"),
        ("putative", "dashed: contested, or no in vivo evidence", "binding", "Broken"),
    ]
    _add_label(
        diagram,
        "label|legend",
        "Legend",
        _text_box("Legend", x, y, 11, bold=True),
        FontSize="11",
        FontWeight="Bold",
        Align="Left",
    )
    x += 70
    for key, text, kind, style in samples:
        attrs = {"Color": COLORS[kind], "LineThickness": "1.5"}
        if style == "Broken":
            attrs["LineStyle"] = "Broken"
        diagram.lines.append((f"legend|{key}", [(x, y), (x + 44, y)], attrs, ARROWHEADS[kind]))
        box = _text_box(text, x + 52, y, 10)
        _add_label(diagram, f"label|legend|{key}", text, box, FontSize="10", Align="Left")
        x = box.right + 24


# --------------------------------------------------------------------------------------------- routing


@dataclass
class Attach:
    """Where a line meets a unit: which side, and the spread position along that side."""

    unit: str
    side: str
    bundle: str
    other_y: float
    rel: float = 0.0


def _side_towards(box: Box, x: float, y: float) -> str:
    if x > box.right:
        return "right"
    if x < box.left:
        return "left"
    return "bottom" if y > box.cy else "top"


def anchor_point(box: Box, side: str, rel: float) -> tuple[float, float, float, float]:
    """(X, Y, RelX, RelY) of a point on ``side`` of ``box`` at spread position ``rel``."""
    rel_x, rel_y = {"right": (1.0, rel), "left": (-1.0, rel), "top": (rel, -1.0), "bottom": (rel, 1.0)}[side]
    return box.cx + rel_x * box.width / 2, box.cy + rel_y * box.height / 2, rel_x, rel_y


def route_edges(diagram: Diagram) -> dict[tuple[str, str, str, str], list[Attach | tuple[float, float]]]:
    """Each edge's points: an attachment at each end, the slot's waypoint in between if any.

    Attachments on the same side of a unit are spread along it in the order of the far ends, so
    arrowheads arriving at one process stay distinguishable and lines do not cross at the box.
    """
    routes: dict[tuple[str, str, str, str], list[Attach | tuple[float, float]]] = {}
    per_side: dict[tuple[str, str], list[Attach]] = defaultdict(list)
    units = diagram.units
    for key, edge in sorted(diagram.edges.items()):
        source, target = units[edge.source], units[edge.target]
        if edge.via:
            slot = units[edge.via]
            first = (slot.x, slot.y)
            start = Attach(source.key, _side_towards(source.box, *first), f"via|{slot.key}", slot.y)
            end = Attach(target.key, _side_towards(target.box, *first), "|".join(key), slot.y)
            routes[key] = [start, first, end]
        else:
            start = Attach(source.key, _side_towards(source.box, target.x, target.y), "|".join(key), target.y)
            end = Attach(target.key, _side_towards(target.box, source.x, source.y), "|".join(key), source.y)
            routes[key] = [start, end]
        for attach in (start, end):
            per_side[(attach.unit, attach.side)].append(attach)
    for attaches in per_side.values():
        bundles = sorted({(a.other_y, a.bundle) for a in attaches})
        count = len(bundles)
        spread = {b: (0.0 if count == 1 else -0.8 + 1.6 * i / (count - 1)) for i, (_, b) in enumerate(bundles)}
        for attach in attaches:
            attach.rel = spread[attach.bundle]
    return routes


def board_size(diagram: Diagram) -> tuple[float, float]:
    """BoardWidth and BoardHeight: the extents of everything drawn plus the margin."""
    boxes = [u.box for u in diagram.units.values() if u.nodes] + [b for _, _, b, _ in diagram.labels]
    boxes += [b for _, _, b, _ in diagram.shapes]
    right = max(b.right for b in boxes)
    bottom = max(b.bottom for b in boxes)
    for _, points, _, _ in diagram.lines:
        right = max(right, *(x for x, _ in points))
        bottom = max(bottom, *(y for _, y in points))
    return float(math.ceil(right + MARGIN)), float(math.ceil(bottom + MARGIN))
