"""A small GPML -> SVG renderer, so people (and tests) can look at a pathway without PathVisio.

It draws what a reader needs and nothing more: shapes (cells, vesicles, bands), complex and group
boxes, interaction lines with one marker per arrowhead type (stimulation, inhibition, binding …
look different), data node boxes with their wrapped labels, and free labels.  Coordinates are taken
from the GPML as written (PathVisio stores absolute X/Y on every point as well as the relative
anchoring), so any GPML 2013a file renders, not only ours.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

from lxml import etree

from .layout import Box, bounding_box, wrap_text

GROUP_PAD = 6.0

#: Named GPML colours (the ColorType enumeration of the XSD) as SVG colours.
_NAMED = {"Transparent": "none"}


def _color(value: str | None, default: str) -> str:
    """A GPML colour (hex without '#', or an XSD name) as an SVG colour."""
    if not value:
        return default
    if value in _NAMED:
        return _NAMED[value]
    if len(value) == 6 and all(c in "0123456789abcdefABCDEF" for c in value):
        return "#" + value.lower()
    return value.lower()


def _rotation(value: str | None) -> float:
    """A GPML rotation (radians, or one of the four right-angle names) in radians."""
    names = {"Top": 0.0, "Right": math.pi / 2, "Bottom": math.pi, "Left": 3 * math.pi / 2}
    if value is None:
        return 0.0
    if value in names:
        return names[value]
    try:
        return float(value)
    except ValueError:
        return 0.0


def _float(element: etree._Element | None, name: str, default: float = 0.0) -> float:
    if element is None:
        return default
    try:
        return float(element.get(name, default))
    except ValueError:
        return default


@dataclass(frozen=True)
class _Marker:
    """An SVG marker definition for one GPML ArrowHead value in one colour."""

    kind: str
    color: str

    @property
    def id(self) -> str:
        return f"m-{self.kind}-{self.color.lstrip('#')}"

    def svg(self) -> str:
        c = self.color
        shapes = {
            "arrow": f'<path d="M0,0 L10,5 L0,10 z" fill="{c}"/>',
            "open": f'<path d="M0,0 L10,5 L0,10 z" fill="white" stroke="{c}" stroke-width="1.2"/>',
            "necessary": f'<path d="M0,0 L10,5 L0,10 z M-3,0 L-3,10" fill="white" stroke="{c}" stroke-width="1.2"/>',
            "tbar": f'<path d="M9,-1 L9,11" stroke="{c}" stroke-width="2.4"/>',
            "binding": f'<path d="M0,0 L10,5 L0,10 L4,5 z" fill="{c}"/>',
            "circle": f'<circle cx="5" cy="5" r="4" fill="white" stroke="{c}" stroke-width="1.2"/>',
            "bar-arrow": f'<path d="M0,0 L10,5 L0,10 z" fill="{c}"/><path d="M-3,0 L-3,10" stroke="{c}"/>',
        }
        body = shapes.get(self.kind, shapes["arrow"])
        return (
            f'<marker id="{self.id}" viewBox="-4 -2 16 14" refX="10" refY="5" markerWidth="9" '
            f'markerHeight="9" orient="auto-start-reverse" markerUnits="userSpaceOnUse">{body}</marker>'
        )


#: GPML ArrowHead values -> marker kinds.  Unknown values fall back to a plain arrow.
ARROW_KINDS = {
    "Arrow": "arrow",
    "mim-conversion": "arrow",
    "mim-translocation": "arrow",
    "mim-modification": "arrow",
    "mim-stimulation": "open",
    "mim-necessary-stimulation": "necessary",
    "mim-inhibition": "tbar",
    "TBar": "tbar",
    "mim-binding": "binding",
    "mim-covalent-bond": "binding",
    "mim-catalysis": "circle",
    "mim-cleavage": "bar-arrow",
    "mim-transcription-translation": "bar-arrow",
}


class _Renderer:
    def __init__(self, root: etree._Element) -> None:
        self.root = root
        self.ns = root.tag[1:].split("}")[0] if root.tag.startswith("{") else ""
        self.markers: dict[str, _Marker] = {}
        self.boxes: dict[str, Box] = {}
        self.group_members: dict[str, list[str]] = {}

    def q(self, tag: str) -> str:
        return f"{{{self.ns}}}{tag}" if self.ns else tag

    def children(self, tag: str) -> list[etree._Element]:
        return self.root.findall(self.q(tag))

    def graphics(self, element: etree._Element) -> etree._Element | None:
        return element.find(self.q("Graphics"))

    def box(self, element: etree._Element) -> Box:
        g = self.graphics(element)
        return Box(_float(g, "CenterX"), _float(g, "CenterY"), _float(g, "Width"), _float(g, "Height"))

    # -- geometry of groups: the bounding box of their members, nested groups included
    def collect(self) -> None:
        for tag in ("DataNode", "Label", "Shape"):
            for element in self.children(tag):
                graph_id = element.get("GraphId")
                box = self.box(element)
                if graph_id:
                    self.boxes[graph_id] = box
                group = element.get("GroupRef")
                if group:
                    self.group_members.setdefault(group, []).append(graph_id or f"anon{id(element)}")
                    self.boxes.setdefault(graph_id or f"anon{id(element)}", box)

    def group_box(self, group_id: str, seen: frozenset[str] = frozenset()) -> Box | None:
        boxes = [self.boxes[m] for m in self.group_members.get(group_id, []) if m in self.boxes]
        for group in self.children("Group"):
            if group.get("GroupRef") == group_id and group.get("GroupId") not in seen:
                nested = self.group_box(group.get("GroupId", ""), seen | {group_id})
                if nested is not None:
                    boxes.append(nested)
        return bounding_box(boxes, GROUP_PAD) if boxes else None

    # -- drawing
    def marker(self, arrow: str | None, color: str) -> str:
        if not arrow or arrow == "Line":
            return ""
        marker = _Marker(ARROW_KINDS.get(arrow, "arrow"), color)
        self.markers[marker.id] = marker
        return f"url(#{marker.id})"

    def text(
        self, box: Box, label: str, g: etree._Element | None, default_color: str = "#000000", cls: str = ""
    ) -> str:
        size = _float(g, "FontSize", 12.0)
        bold = g is not None and g.get("FontWeight") == "Bold"
        lines = wrap_text(label, max(box.width - 8, 10), size * (1.08 if bold else 1.0))
        align = g.get("Align", "Center") if g is not None else "Center"
        anchor, x = {"Left": ("start", box.left + 4), "Right": ("end", box.right - 4)}.get(align, ("middle", box.cx))
        line_height = size + 3
        first = box.cy - line_height * (len(lines) - 1) / 2
        attrs = [
            f'x="{x:.1f}"',
            f'font-size="{size:g}"',
            f'text-anchor="{anchor}"',
            'dominant-baseline="central"',
            f'fill="{_color(g.get("Color") if g is not None else None, default_color)}"',
        ]
        if bold:
            attrs.append('font-weight="bold"')
        if g is not None and g.get("FontStyle") == "Italic":
            attrs.append('font-style="italic"')
        if cls:
            attrs.append(f'class="{cls}"')
        spans = "".join(
            f'<tspan x="{x:.1f}" y="{first + i * line_height:.1f}">{escape(line)}</tspan>'
            for i, line in enumerate(lines)
        )
        return f"<text {' '.join(attrs)}>{spans}</text>"

    def shape_svg(
        self,
        box: Box,
        shape_type: str,
        stroke: str,
        fill: str,
        width: float,
        dashed: bool,
        cls: str,
        rotation: float = 0.0,
    ) -> str:
        """One SVG element for a GPML shape type (unknown types are drawn as rectangles)."""
        arc = shape_type == "Arc"
        common = f'class="{cls}" fill="{"none" if arc else fill}" stroke="{stroke}" stroke-width="{width:g}"' + (
            ' stroke-dasharray="5,3"' if dashed else ""
        )
        if rotation:
            common += f' transform="rotate({math.degrees(rotation):.2f} {box.cx:.1f} {box.cy:.1f})"'
        if arc:  # PathVisio's arc: the lower half of the ellipse, before rotation
            rx, ry = box.width / 2, box.height / 2
            path = f"M{box.left:.1f},{box.cy:.1f} A{rx:.1f},{ry:.1f} 0 0 0 {box.right:.1f},{box.cy:.1f}"
            return f'<path {common} d="{path}"/>'
        if shape_type in ("Oval", "Circle"):
            return (
                f'<ellipse {common} cx="{box.cx:.1f}" cy="{box.cy:.1f}" rx="{box.width / 2:.1f}" '
                f'ry="{box.height / 2:.1f}"/>'
            )
        radius = min(12.0, box.height / 3) if shape_type in ("RoundedRectangle", "RoundRectangle") else 0.0
        return (
            f'<rect {common} x="{box.left:.1f}" y="{box.top:.1f}" width="{box.width:.1f}" '
            f'height="{box.height:.1f}" rx="{radius:.1f}"/>'
        )

    def shapes(self) -> list[str]:
        out = []
        for element in sorted(self.children("Shape"), key=lambda e: _float(self.graphics(e), "ZOrder")):
            g = self.graphics(element)
            box = self.box(element)
            stroke = _color(g.get("Color") if g is not None else None, "#000000")
            fill = _color(g.get("FillColor") if g is not None else None, "none")
            shape_type = g.get("ShapeType", "Rectangle") if g is not None else "Rectangle"
            dashed = g is not None and g.get("LineStyle") == "Broken"
            out.append(
                self.shape_svg(
                    box,
                    shape_type,
                    stroke,
                    fill,
                    _float(g, "LineThickness", 1.0),
                    dashed,
                    "shape",
                    _rotation(g.get("Rotation") if g is not None else None),
                )
            )
            if element.get("TextLabel"):
                out.append(self.text(box, element.get("TextLabel", ""), g))
        return out

    def groups(self) -> list[str]:
        out = []
        for group in self.children("Group"):
            box = self.group_box(group.get("GroupId", ""))
            if box is None:
                continue
            if group.get("GraphId"):
                self.boxes[group.get("GraphId", "")] = box
            complex_ = group.get("Style") == "Complex"
            fill = "#eeeeee" if complex_ else "none"
            out.append(self.shape_svg(box, "Rectangle", "#808080", fill, 1.0, not complex_, "group"))
        return out

    def lines(self) -> list[str]:
        out = []
        for tag in ("GraphicalLine", "Interaction"):
            for element in self.children(tag):
                g = self.graphics(element)
                if g is None:
                    continue
                points = g.findall(self.q("Point"))
                if len(points) < 2:
                    continue
                color = _color(g.get("Color"), "#000000")
                coords = " ".join(f"{_float(p, 'X'):.1f},{_float(p, 'Y'):.1f}" for p in points)
                attrs = [
                    f'class="{tag.lower()}"',
                    f'points="{coords}"',
                    'fill="none"',
                    f'stroke="{color}"',
                    f'stroke-width="{_float(g, "LineThickness", 1.0):g}"',
                ]
                if g.get("LineStyle") == "Broken":
                    attrs.append('stroke-dasharray="6,4"')
                end = self.marker(points[-1].get("ArrowHead"), color)
                start = self.marker(points[0].get("ArrowHead"), color)
                if end:
                    attrs.append(f'marker-end="{end}"')
                if start:
                    attrs.append(f'marker-start="{start}"')
                arrow = points[-1].get("ArrowHead", "Line")
                out.append(f"<polyline data-arrowhead={quoteattr(arrow)} {' '.join(attrs)}/>")
        return out

    def data_nodes(self) -> list[str]:
        out = []
        for element in self.children("DataNode"):
            g = self.graphics(element)
            box = self.box(element)
            stroke = _color(g.get("Color") if g is not None else None, "#000000")
            fill = _color(g.get("FillColor") if g is not None else None, "#ffffff")
            shape_type = g.get("ShapeType", "Rectangle") if g is not None else "Rectangle"
            label = element.get("TextLabel", "")
            graph_id = element.get("GraphId", "")
            out.append(
                f'<g class="datanode" data-graphid={quoteattr(graph_id)} '
                f"data-type={quoteattr(element.get('Type', 'Unknown'))}><title>{escape(label)}</title>"
            )
            out.append(
                self.shape_svg(
                    box,
                    "Rectangle" if shape_type in ("None", "") else shape_type,
                    stroke,
                    fill,
                    _float(g, "LineThickness", 1.0),
                    g is not None and g.get("LineStyle") == "Broken",
                    "node",
                )
            )
            out.append(self.text(box, label, g, stroke))
            out.append("</g>")
        return out

    def labels(self) -> list[str]:
        out = []
        for element in self.children("Label"):
            g = self.graphics(element)
            text = self.text(self.box(element), element.get("TextLabel", ""), g, cls="label")
            href = element.get("Href")
            out.append(f"<a href={quoteattr(href)}>{text}</a>" if href else text)
        return out


def render_svg(gpml_text: str) -> str:
    """An SVG picture of a GPML 2013a pathway (board size from its ``Graphics``)."""
    root = etree.fromstring(gpml_text.encode("utf-8"))
    renderer = _Renderer(root)
    renderer.collect()
    board = root.find(renderer.q("Graphics"))
    width, height = _float(board, "BoardWidth", 800.0), _float(board, "BoardHeight", 600.0)
    body = [*renderer.shapes(), *renderer.groups(), *renderer.lines(), *renderer.data_nodes(), *renderer.labels()]
    markers = "".join(m.svg() for _, m in sorted(renderer.markers.items()))
    name = root.get("Name", "pathway")
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:g}" height="{height:g}" '
        f'viewBox="0 0 {width:g} {height:g}" font-family="Arial, Helvetica, sans-serif">\n'
        f"<title>{escape(name)}</title>\n<defs>{markers}</defs>\n"
        f'<rect class="board" x="0" y="0" width="{width:g}" height="{height:g}" fill="#ffffff"/>\n'
        + "\n".join(body)
        + "\n</svg>\n"
    )
