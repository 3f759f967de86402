"""A dialogue's diagram as an SVG drawn on the server: no JavaScript, no CDN, no Graphviz.

Why a layout of our own: the dashboard runs offline under a CSP without
scripts, so a mermaid renderer in the browser is out, and Graphviz is not
installed on the machines. Dialogues are small (at most a few dozen states, at
most five at the same depth), so a simple layered drawing is enough:

- states are placed in rows by depth (fewest steps from the start), ordered
  within a row by where the states that lead to them stand (a barycentre
  sweep), so branches fan out and meet again without many crossings;
- an arrow to a later row runs down as a curve from the bottom of one box to
  the top of the next; an arrow to the neighbour in the same row runs straight
  across; an arrow back up (a loop, "again") leaves through the gap below its
  row, runs up a lane of its own on the right and comes in through the gap
  above the target, so it never passes behind a box;
- arrows carry the option id or the condition, shortened, with the full text
  in a tooltip.

The SVG keeps its natural size (text stays readable on a phone) and the page
scrolls it sideways when it is wider than the screen. It is an image to
assistive technology; the page lists every transition as text next to it.
Every string is escaped.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from statistics import fmean

from markupsafe import Markup, escape

from bot.dialogues.diagram import Edge, Graph

BOX_W = 160
BOX_H = 44
GAP_X = 26
GAP_Y = 66
MARGIN = 16
TOP = 34  # room for the start marker
LANE = 14
MAX_NAME = 20
MAX_LABEL = 18
LABEL_CHAR = 6.0  # px per character at the label's font size, for its background


@dataclass(frozen=True)
class Box:
    """A placed state: top-left corner."""

    x: float
    y: float

    @property
    def centre(self) -> float:
        return self.x + BOX_W / 2


@dataclass(frozen=True)
class Layout:
    boxes: dict[str, Box]
    width: float
    height: float
    lanes: dict[int, float]  # index of a back edge in Graph.edges -> x of its lane


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _fmt(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _row(boxes: Mapping[str, Box], name: str) -> list[str]:
    """The states in the same row as `name`, left to right."""
    y = boxes[name].y
    return sorted((n for n, b in boxes.items() if b.y == y), key=lambda n: boxes[n].x)


def _kind(edge: Edge, boxes: Mapping[str, Box]) -> str:
    """How an arrow is drawn: "down" to a later row, "side" to the neighbour in the
    same row, "under" to a state further along its row (through the gap below it),
    "around" (up, or to itself) through a lane on the right."""
    source, target = boxes[edge.source], boxes[edge.target]
    if target.y > source.y:
        return "down"
    if target.y == source.y and edge.source != edge.target:
        row = _row(boxes, edge.source)
        near = abs(row.index(edge.source) - row.index(edge.target)) == 1
        return "side" if near else "under"
    return "around"


def arrows(graph: Graph) -> tuple[Edge, ...]:
    """One arrow per pair of states: options that lead to the same state share it,
    their names joined (in file order), so a five-way choice into one state does
    not draw five arrows on top of each other."""
    labels: dict[tuple[str, str], list[str]] = {}
    for edge in graph.edges:
        found = labels.setdefault((edge.source, edge.target), [])
        if edge.label and edge.label not in found:
            found.append(edge.label)
    return tuple(
        Edge(source, target, ", ".join(found)) for (source, target), found in labels.items()
    )


def layout(graph: Graph, sweeps: int = 3) -> Layout:
    """Rows by depth, each row ordered by the mean position of its parents."""
    rows: dict[int, list[str]] = defaultdict(list)
    depth = {}
    for node in graph.nodes:
        rows[node.depth].append(node.name)
        depth[node.name] = node.depth
    widest = max((len(r) for r in rows.values()), default=1)
    content = widest * BOX_W + (widest - 1) * GAP_X

    def centres(row: list[str]) -> dict[str, float]:
        left = MARGIN + (content - (len(row) * BOX_W + (len(row) - 1) * GAP_X)) / 2
        return {name: left + i * (BOX_W + GAP_X) + BOX_W / 2 for i, name in enumerate(row)}

    parents: dict[str, list[str]] = defaultdict(list)
    for edge in graph.edges:
        if depth[edge.target] > depth[edge.source]:
            parents[edge.target].append(edge.source)
    x = {}
    for level in sorted(rows):
        x.update(centres(rows[level]))
    for _ in range(sweeps):
        for level in sorted(rows)[1:]:
            row = rows[level]
            row.sort(key=lambda n: fmean(x[p] for p in parents[n]) if parents[n] else x[n])
            x.update(centres(row))
    boxes = {
        name: Box(x[name] - BOX_W / 2, TOP + level * (BOX_H + GAP_Y))
        for level, row in rows.items()
        for name in row
    }
    around = [i for i, e in enumerate(arrows(graph)) if _kind(e, boxes) == "around"]
    right = MARGIN + content
    lanes: dict[int, float] = {index: right + LANE * (k + 1) for k, index in enumerate(around)}
    levels = max(rows, default=0) + 1
    return Layout(
        boxes,
        right + LANE * (len(around) + 1) + MARGIN,
        TOP + levels * BOX_H + (levels - 1) * GAP_Y + GAP_Y / 2 + MARGIN,
        lanes,
    )


def render(
    graph: Graph,
    ident: str,
    title: str,
    desc: str,
    kinds: Mapping[str, str],
    current: str | None = None,
    described_by: str | None = None,
) -> Markup:
    """The SVG: one `g.node` per state, one `g.edge` (an arrow) per transition.

    `kinds` names the input kinds for the boxes ("choice" -> "keuze"); `current`
    marks the state the preview is at; `described_by` points at the text list."""
    placed = layout(graph)
    boxes = placed.boxes
    arrow = f"{ident}-arrow"
    describe = f' aria-describedby="{escape(described_by)}"' if described_by else ""
    out = [
        f'<svg class="flow" width="{_fmt(placed.width)}" height="{_fmt(placed.height)}" '
        f'viewBox="0 0 {_fmt(placed.width)} {_fmt(placed.height)}" role="img" '
        f'aria-labelledby="{ident}-t {ident}-d"{describe} xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{ident}-t">{escape(title)}</title>',
        f'<desc id="{ident}-d">{escape(desc)}</desc>',
        f'<defs><marker id="{arrow}" class="flow-arrow" viewBox="0 0 10 10" refX="9" refY="5" '
        'markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
        '<path d="M0,0 L10,5 L0,10 z"/></marker></defs>',
    ]
    start = next((n for n in graph.nodes if n.start), None)
    if start is not None:
        box = boxes[start.name]
        out.append(
            f'<g class="flow-start"><circle cx="{_fmt(box.centre)}" cy="{_fmt(box.y - 24)}" r="5"/>'
            f'<path class="edge-line" d="M{_fmt(box.centre)},{_fmt(box.y - 19)} '
            f'V{_fmt(box.y - 1)}" marker-end="url(#{arrow})"/></g>'
        )
    drawn = arrows(graph)
    exits, fans = _spread(drawn, boxes, placed.lanes, outgoing=True)
    entries, _ = _spread(drawn, boxes, placed.lanes, outgoing=False)
    for index, edge in enumerate(drawn):
        out.append(_edge(index, edge, boxes, placed.lanes, exits, entries, arrow, fans))
    for node in graph.nodes:
        box = boxes[node.name]
        css = "node" + (" end" if node.end else "") + (" current" if node.name == current else "")
        kind = kinds.get(node.kind, node.kind)
        out.append(
            f'<g class="{css}" data-state="{escape(node.name)}">'
            f"<title>{escape(node.name)} ({escape(kind)})</title>"
            f'<rect x="{_fmt(box.x)}" y="{_fmt(box.y)}" width="{BOX_W}" height="{BOX_H}" '
            f'rx="{14 if node.end else 5}"/>'
            f'<text class="name" x="{_fmt(box.centre)}" y="{_fmt(box.y + 18)}">'
            f"{escape(_short(node.name, MAX_NAME))}</text>"
            f'<text class="kind" x="{_fmt(box.centre)}" y="{_fmt(box.y + 34)}">'
            f"{escape(kind)}</text></g>"
        )
    out.append("</svg>")
    return Markup("".join(out))


def _spread(
    drawn: Sequence[Edge], boxes: Mapping[str, Box], lanes: Mapping[int, float], outgoing: bool
) -> tuple[dict[int, float], dict[int, tuple[int, int]]]:
    """x where each arrow leaves the bottom of its source (or enters the top of its
    target), spread along the box in the order of the other ends, so arrows do not
    start or end on top of each other (lanes lie right of everything); and for each
    arrow its place among its box's arrows (k of n)."""
    groups: dict[str, list[int]] = defaultdict(list)
    for index, edge in enumerate(drawn):
        kind = _kind(edge, boxes)
        if kind in ("down", "around", "under") if outgoing else kind in ("down", "around"):
            groups[edge.source if outgoing else edge.target].append(index)

    def other(index: int) -> float:
        if index in lanes:
            return lanes[index]
        edge = drawn[index]
        return boxes[edge.target if outgoing else edge.source].centre

    found: dict[int, float] = {}
    places: dict[int, tuple[int, int]] = {}
    for name, indices in groups.items():
        indices.sort(key=other)
        step = min(BOX_W / (len(indices) + 1), 28)
        for k, index in enumerate(indices):
            found[index] = boxes[name].centre + (k - (len(indices) - 1) / 2) * step
            places[index] = (k, len(indices))
    return found, places


def _edge(
    index: int,
    edge: Edge,
    boxes: Mapping[str, Box],
    lanes: Mapping[int, float],
    exits: Mapping[int, float],
    entries: Mapping[int, float],
    arrow: str,
    fans: Mapping[int, tuple[int, int]],
) -> str:
    source, target = boxes[edge.source], boxes[edge.target]
    kind = _kind(edge, boxes)
    anchor = "middle"
    if kind == "side":
        y = source.y + BOX_H / 2
        x1, x2 = (
            (source.x + BOX_W, target.x - 1)
            if target.x > source.x
            else (source.x, target.x + BOX_W + 1)
        )
        path = f"M{_fmt(x1)},{_fmt(y)} H{_fmt(x2)}"
        label_x, label_y = (x1 + x2) / 2, y - 4
    elif kind == "under":  # through the gap below the row, up into the target's bottom
        x1, y1 = exits[index], source.y + BOX_H
        below = y1 + 8 + 5 * (index % 6)
        x2, y2 = target.centre + 10, target.y + BOX_H + 1
        path = f"M{_fmt(x1)},{_fmt(y1)} V{_fmt(below)} H{_fmt(x2)} V{_fmt(y2)}"
        label_x, label_y, anchor = x1 + 4, below - 2, "start"
    elif kind == "around":
        # Down into the gap below the source's row, right to its own lane, up the
        # lane, and into the target from the gap above its row: gaps and lanes hold
        # no boxes, so the arrow never passes behind one.
        lane = lanes[index]
        shift = 8 + 5 * (list(lanes).index(index) % 6)
        x1, y1 = exits[index], source.y + BOX_H
        x2, y2 = entries[index], target.y - 1
        below, into = y1 + shift, target.y - shift
        path = (
            f"M{_fmt(x1)},{_fmt(y1)} V{_fmt(below)} H{_fmt(lane)} V{_fmt(into)} "
            f"H{_fmt(x2)} V{_fmt(y2)}"
        )
        label_x, label_y, anchor = x1 + 4, below - 2, "start"
    else:
        x1, y1 = exits[index], source.y + BOX_H
        x2, y2 = entries[index], target.y - 1
        bend = (y2 - y1) / 2
        path = (
            f"M{_fmt(x1)},{_fmt(y1)} C{_fmt(x1)},{_fmt(y1 + bend)} "
            f"{_fmt(x2)},{_fmt(y2 - bend)} {_fmt(x2)},{_fmt(y2)}"
        )
        # Nearer the target than the source: arrows leaving one box fan out first;
        # in a wide fan every other label sits lower, so neighbours do not overlap.
        k, n = fans.get(index, (0, 1))
        at = 0.72 if n >= 4 and k % 2 else 0.5
        label_x, label_y = x1 + (x2 - x1) * (at + 0.1), y1 + (y2 - y1) * at
    parts = [
        f'<g class="edge" data-from="{escape(edge.source)}" data-to="{escape(edge.target)}">',
        f"<title>{escape(edge.source)} → {escape(edge.target)}"
        + (f": {escape(edge.label)}" if edge.label else "")
        + "</title>",
        f'<path class="edge-line" d="{path}" marker-end="url(#{arrow})"/>',
    ]
    if edge.label:
        text = _short(edge.label, MAX_LABEL)
        width = len(text) * LABEL_CHAR + 6
        left = label_x - width / 2 if anchor == "middle" else label_x - 3
        parts.append(
            f'<rect class="edge-label-bg" x="{_fmt(left)}" y="{_fmt(label_y - 10)}" '
            f'width="{_fmt(width)}" height="14" rx="3"/>'
            f'<text class="edge-label" x="{_fmt(label_x)}" y="{_fmt(label_y)}" '
            f'text-anchor="{anchor}">{escape(text)}</text>'
        )
    parts.append("</g>")
    return "".join(parts)
