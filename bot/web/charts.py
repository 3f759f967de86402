"""Server-rendered SVG charts: no JavaScript, no CDN, readable on a phone.

Why SVG strings from Python: the dashboard must work offline and under a CSP
without scripts, and the figures are few. Each chart is a `viewBox` that
scales to the screen width, with labels above their bars (long Dutch titles
would not fit beside them on a phone). A suppressed cell draws no bar at all,
only a dashed outline with "< 5", so the picture can never leak a small number
the table hides. Every chart has a <title> and <desc> for screen readers, and
the page shows the same figures as a table next to it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import count as counter

from markupsafe import Markup, escape

from bot.services.reports import Cell

#: How a figure is written next to its bar (http.cell_text: the page's language).
Show = Callable[[Cell], str]

WIDTH = 320
LABEL_ROOM = 17
BAR = 12
ROW = 36
VALUE_ROOM = 40
MAX_LABEL = 44

_ids = counter(1)


def _short(label: str) -> str:
    return label if len(label) <= MAX_LABEL else label[: MAX_LABEL - 1] + "…"


def _frame(title: str, desc: str, height: int, body: list[str], kind: str) -> Markup:
    ident = f"chart{next(_ids)}"
    head = (
        f'<svg class="chart chart-{kind}" viewBox="0 0 {WIDTH} {height}" '
        f'role="img" aria-labelledby="{ident}-t {ident}-d" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="{ident}-t">{escape(title)}</title>'
        f'<desc id="{ident}-d">{escape(desc)}</desc>'
    )
    return Markup(head + "".join(body) + "</svg>")


def _describe(bars: Sequence[tuple[str, Cell]], show: Show) -> str:
    return "; ".join(f"{label}: {show(cell)}" for label, cell in bars)


def bar_chart(
    title: str,
    bars: Sequence[tuple[str, Cell]],
    maximum: float | None = None,
    show: Show = str,
) -> Markup:
    """Horizontal bars, one row each: the label above, the bar and its value below.
    `show` writes a figure as the page does (its word for a protecting cell, its
    decimal separator)."""
    top = maximum or max((c.number or 0 for _, c in bars), default=0) or 1
    span = WIDTH - VALUE_ROOM
    body: list[str] = []
    for index, (label, cell) in enumerate(bars):
        y = index * ROW
        body.append(f'<text class="label" x="0" y="{y + 13}">{escape(_short(label))}</text>')
        body.append(_bar(cell, 0, y + LABEL_ROOM, span, top, "bar", show))
    return _frame(title, _describe(bars, show), max(ROW * len(bars), ROW), body, "bars")


def paired_chart(
    title: str,
    rows: Sequence[tuple[str, Cell, Cell]],
    names: tuple[str, str],
    maximum: float,
    show: Show = str,
) -> Markup:
    """Two bars per row (e.g. confidence before and after), with a legend."""
    span = WIDTH - VALUE_ROOM
    row = LABEL_ROOM + 2 * BAR + 10
    body = [
        f'<rect class="swatch-a" x="0" y="2" width="10" height="10"/>'
        f'<text class="legend" x="14" y="11">{escape(names[0])}</text>'
        f'<rect class="swatch-b" x="120" y="2" width="10" height="10"/>'
        f'<text class="legend" x="134" y="11">{escape(names[1])}</text>'
    ]
    for index, (label, first, second) in enumerate(rows):
        y = 20 + index * row
        body.append(f'<text class="label" x="0" y="{y + 13}">{escape(_short(label))}</text>')
        body.append(_bar(first, 0, y + LABEL_ROOM, span, maximum, "bar bar-a", show))
        body.append(_bar(second, 0, y + LABEL_ROOM + BAR + 2, span, maximum, "bar bar-b", show))
    desc = "; ".join(f"{label}: {names[0]} {show(a)}, {names[1]} {show(b)}" for label, a, b in rows)
    return _frame(title, desc, 20 + max(row * len(rows), row), body, "paired")


def _bar(cell: Cell, x: int, y: int, span: int, top: float, css: str, show: Show) -> str:
    if cell.number is None:
        room = span // 4
        word = escape(show(cell))
        return (
            f'<rect class="bar-hidden" x="{x}" y="{y}" width="{room}" height="{BAR}"/>'
            f'<text class="value" x="{x + room + 4}" y="{y + BAR - 2}">{word}</text>'
        )
    width = max(1.0, span * min(cell.number, top) / top) if cell.number > 0 else 0.0
    return (
        f'<rect class="{css}" x="{x}" y="{y}" width="{width:.1f}" height="{BAR}"/>'
        f'<text class="value" x="{x + width + 4:.1f}" y="{y + BAR - 2}">{escape(show(cell))}</text>'
    )
