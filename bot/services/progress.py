"""A person's own growth: their check-ins over time, as a chart and as text.

The check-in dialogue (`dialogues/checkin.yaml`) stores one 1-5 confidence
score per craft element, under the element's id. Here we read those scores back
for one person (never anyone else: the query is keyed on the person), draw them
as a PNG line chart that stays readable when a phone shrinks it, and write a
short summary that serves as the chart's caption and as its text alternative.

The query lives here rather than in `bot/store/repo.py` because only this
feature asks it; like the repository it runs inside the caller's transaction.
Rendering uses Pillow alone: a chart this simple does not justify matplotlib.
"""

from __future__ import annotations

import io
import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from PIL import Image, ImageDraw, ImageFont
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.clock import AMSTERDAM
from bot.dialogues.catalog import Catalog
from bot.dialogues.content import fill
from bot.dialogues.model import CRAFT_ELEMENTS
from bot.store.db import Database
from bot.store.models import AnswerRow, Run

CHECKIN = "checkin"
LOW, HIGH = 1, 5
CAPTION_LIMIT = 1024  # Telegram's limit for a photo caption

# Okabe-Ito colours (distinguishable with the common colour-vision deficiencies),
# with black in place of yellow, which is unreadable on white.
COLOURS: tuple[str, ...] = (
    "#E69F00",
    "#56B4E9",
    "#009E73",
    "#0072B2",
    "#D55E00",
    "#CC79A7",
    "#000000",
)
# Marker shapes as (sides, rotation); 0 sides is a circle. Shape and colour both
# differ, so the lines stay apart even in greyscale.
MARKERS: tuple[tuple[int, float], ...] = ((0, 0), (4, 45), (3, 0), (4, 0), (3, 180), (5, 0), (6, 0))


@dataclass(frozen=True)
class CheckIn:
    """One finished check-in: when it ended and the score per craft element answered."""

    run_id: int
    at: datetime
    scores: Mapping[str, int]


@dataclass(frozen=True)
class ElementTrend:
    """One craft element across the check-ins: its first and its latest score."""

    element: str
    first: int | None
    latest: int | None


class CheckIns:
    """The check-in query, Repository-style: runs inside the caller's transaction."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def of_person(self, person_id: int) -> list[CheckIn]:
        """Every finished check-in of this person, oldest first.

        Stopped and unfinished runs are left out: a check-in broken off half-way
        is not a picture of how someone feels, and may still change. Answers
        under other keys, such as the line on what helped, are not read: the
        chart needs only the scores.
        """
        query = (
            select(Run.id, Run.finished_at, Run.updated_at, AnswerRow.key, AnswerRow.value)
            .join(AnswerRow, AnswerRow.run_id == Run.id)
            .where(
                Run.person_id == person_id,
                Run.dialogue_id == CHECKIN,
                Run.status == "finished",
                AnswerRow.person_id == person_id,
                AnswerRow.key.in_(CRAFT_ELEMENTS),
            )
            .order_by(Run.id)
        )
        moments: dict[int, datetime] = {}
        scores: dict[int, dict[str, int]] = {}
        for run_id, finished, updated, key, value in (self.session.execute(query)).all():
            score = _score(value)
            if score is not None:
                moments[run_id] = finished or updated
                scores.setdefault(run_id, {})[key] = score
        found = [CheckIn(run_id, moments[run_id], scores[run_id]) for run_id in scores]
        return sorted(found, key=lambda c: (c.at, c.run_id))


async def checkins_of(db: Database, person_id: int) -> list[CheckIn]:
    """A person's finished check-ins, oldest first, in a read transaction."""

    def work(session: Session) -> list[CheckIn]:
        return CheckIns(session).of_person(person_id)

    return await db.read(work)


class Progress:
    """A person's own progress (their check-ins), bound to the database."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def checkins_of(self, person_id: int) -> list[CheckIn]:
        return await checkins_of(self.db, person_id)


def trend(checkins: Sequence[CheckIn]) -> list[ElementTrend]:
    """Per craft element (in the training's order): the first and latest score given."""
    result = []
    for element in CRAFT_ELEMENTS:
        given = [c.scores[element] for c in checkins if element in c.scores]
        result.append(
            ElementTrend(element, given[0] if given else None, given[-1] if given else None)
        )
    return result


# -- texts ------------------------------------------------------------------------------------


class ProgressTexts:
    """The texts of the chart and summary in one locale (content/<locale>/progress.yaml)."""

    def __init__(self, catalog: Catalog, locale: str) -> None:
        self.catalog = catalog
        self.locale = locale

    def get(self, name: str, **values: object) -> str:
        text = self.catalog.text(self.locale, f"progress.{name}")
        return fill(text, {k: str(v) for k, v in values.items()})

    def element(self, element: str) -> str:
        return self.get(f"element.{element}")


def day(moment: datetime) -> str:
    """A date as people here write it, in Dutch time (a late check-in is not 'tomorrow')."""
    return moment.astimezone(AMSTERDAM).strftime("%d-%m-%Y")


def summary(checkins: Sequence[CheckIn], texts: ProgressTexts) -> str:
    """The text version of the chart: per element the first and latest score.

    It is the photo's caption, so it stays within Telegram's 1024 characters;
    it also stands on its own for anyone who cannot see the image.
    """
    if not checkins:
        raise ValueError("a summary needs at least one check-in")
    if len(checkins) == 1:
        head = texts.get("summary_one", date=day(checkins[0].at))
    else:
        head = texts.get(
            "summary_many",
            count=len(checkins),
            first=day(checkins[0].at),
            last=day(checkins[-1].at),
        )
    lines = [head]
    for item in trend(checkins):
        name = texts.element(item.element)
        if item.first is None or item.latest is None:
            lines.append(texts.get("line_none", element=name))
        elif len(checkins) == 1:
            lines.append(texts.get("line_one", element=name, value=item.latest))
        else:
            lines.append(
                texts.get("line_change", element=name, first=item.first, latest=item.latest)
            )
    return _fit("\n".join(lines) + "\n\n" + texts.get("again"), CAPTION_LIMIT)


def _fit(text: str, limit: int) -> str:
    """Cut at a line end to stay within `limit` characters (very long translations)."""
    if len(text) <= limit:
        return text
    cut = text.rfind("\n", 0, limit - 1)
    return text[: cut if cut > 0 else limit - 1].rstrip() + "…"


# -- the chart --------------------------------------------------------------------------------

WIDTH, HEIGHT = 1000, 700
SCALE = 2  # drawn at twice the size, then reduced: Pillow draws lines without anti-aliasing


@dataclass(frozen=True)
class _Box:
    left: float
    top: float
    right: float
    bottom: float


def render_chart(checkins: Sequence[CheckIn], texts: ProgressTexts) -> bytes:
    """A PNG line chart: one line per craft element over the check-ins, scores 1-5.

    The check-ins are spaced evenly (labelled with their date), so two on one
    day stay apart. Lines that would coincide are nudged a few pixels apart so
    each stays visible. A single check-in shows as points.
    """
    if not checkins:
        raise ValueError("a chart needs at least one check-in")
    image = Image.new("RGB", (WIDTH * SCALE, HEIGHT * SCALE), "white")
    draw = ImageDraw.Draw(image)
    margin = 28
    title_font, small_font, legend_font = _font(34), _font(24), _font(26)

    room = (WIDTH - 2 * margin) * SCALE
    title = _shorten(draw, texts.get("chart_title"), title_font, room)
    draw.text(_px(margin, 18), title, fill="#222222", font=title_font)
    scale = _shorten(draw, texts.get("chart_scale"), small_font, room)
    draw.text(_px(margin, 64), scale, fill="#555555", font=small_font)

    legend_rows = math.ceil(len(CRAFT_ELEMENTS) / 2)
    row_height = 40
    legend_top = HEIGHT - margin - legend_rows * row_height + 6
    axis_width = _text_width(draw, "5", small_font) / SCALE
    plot = _Box(margin + axis_width + 18, 100, WIDTH - margin - 8, legend_top - 52)

    _draw_axes(draw, plot, small_font)
    xs = _x_positions(len(checkins), plot)
    _draw_dates(draw, plot, xs, checkins, small_font)
    for index, element in enumerate(CRAFT_ELEMENTS):
        _draw_series(draw, plot, xs, checkins, element, index)
    _draw_legend(draw, texts, legend_top, row_height, margin, legend_font)

    reduced = image.resize((WIDTH, HEIGHT), Image.Resampling.LANCZOS)
    # A 256-colour palette looks the same here and makes the file a third of the size.
    paletted = reduced.quantize(colors=256, method=Image.Quantize.MEDIANCUT)
    out = io.BytesIO()
    paletted.save(out, format="PNG", optimize=True)
    return out.getvalue()


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    # Pillow's built-in scalable font: no font files to ship or install.
    return ImageFont.load_default(size=size * SCALE)


def _px(x: float, y: float) -> tuple[float, float]:
    return x * SCALE, y * SCALE


def _text_width(draw: ImageDraw.ImageDraw, text: str, font: Any) -> float:
    return float(draw.textlength(text, font=font))


def _y(plot: _Box, value: float) -> float:
    pad = 24  # room for the markers (and their nudges) at 1 and 5
    share = (value - LOW) / (HIGH - LOW)
    return plot.bottom - pad - share * (plot.bottom - plot.top - 2 * pad)


def _draw_axes(draw: ImageDraw.ImageDraw, plot: _Box, font: Any) -> None:
    for value in range(LOW, HIGH + 1):
        y = _y(plot, value)
        draw.line([_px(plot.left, y), _px(plot.right, y)], fill="#DDDDDD", width=2 * SCALE)
        label = str(value)
        width = _text_width(draw, label, font) / SCALE
        draw.text(_px(plot.left - 14 - width, y), label, fill="#444444", font=font, anchor="lm")
    draw.line([_px(plot.left, plot.top), _px(plot.left, plot.bottom)], fill="#888888", width=SCALE)


def _x_positions(count: int, plot: _Box) -> list[float]:
    inner = 36
    if count == 1:
        return [(plot.left + plot.right) / 2]
    step = (plot.right - plot.left - 2 * inner) / (count - 1)
    return [plot.left + inner + i * step for i in range(count)]


def _draw_dates(
    draw: ImageDraw.ImageDraw,
    plot: _Box,
    xs: Sequence[float],
    checkins: Sequence[CheckIn],
    font: Any,
) -> None:
    """Date labels under the plot, thinned out so they never overlap."""
    local = [c.at.astimezone(AMSTERDAM) for c in checkins]
    pattern = "%d-%m" if local[0].year == local[-1].year else "%d-%m-%y"
    labels = [moment.strftime(pattern) for moment in local]
    widest = max(_text_width(draw, label, font) for label in labels) / SCALE + 18
    room = max(1, int((plot.right - plot.left) // widest))
    every = math.ceil(len(labels) / room)
    shown = [i for i in range(len(labels)) if i % every == 0]
    last = len(labels) - 1
    if shown[-1] != last:
        if xs[last] - xs[shown[-1]] < widest:
            shown.pop()
        shown.append(last)
    y = plot.bottom + 8
    for i in shown:
        draw.text(_px(xs[i], y), labels[i], fill="#444444", font=font, anchor="mt")


def _draw_series(
    draw: ImageDraw.ImageDraw,
    plot: _Box,
    xs: Sequence[float],
    checkins: Sequence[CheckIn],
    element: str,
    index: int,
) -> None:
    colour = COLOURS[index % len(COLOURS)]
    spacing = xs[1] - xs[0] if len(xs) > 1 else WIDTH
    radius = min(8.0, max(3.0, spacing / 3))  # many check-ins: smaller markers, no blots
    nudge = (index - (len(CRAFT_ELEMENTS) - 1) / 2) * 5  # keeps equal scores visible
    points: list[tuple[float, float] | None] = [
        (xs[i], _y(plot, c.scores[element]) + nudge) if element in c.scores else None
        for i, c in enumerate(checkins)
    ]
    for start, end in itertools.pairwise(points):
        if start is not None and end is not None:
            draw.line([_px(*start), _px(*end)], fill=colour, width=4 * SCALE, joint="curve")
    for point in points:
        if point is not None:
            _marker(draw, point, index, colour, radius=radius)


def _marker(
    draw: ImageDraw.ImageDraw, at: tuple[float, float], index: int, colour: str, radius: float
) -> None:
    sides, rotation = MARKERS[index % len(MARKERS)]
    x, y = _px(*at)
    r = radius * SCALE
    if sides == 0:
        draw.ellipse([x - r, y - r, x + r, y + r], fill=colour, outline="white", width=SCALE)
    else:
        draw.regular_polygon(
            (x, y, r * 1.15), sides, rotation=rotation, fill=colour, outline="white"
        )


def _draw_legend(
    draw: ImageDraw.ImageDraw,
    texts: ProgressTexts,
    top: float,
    row_height: float,
    margin: float,
    font: Any,
) -> None:
    """Two columns: a line sample with the element's marker, then its name."""
    column_width = (WIDTH - 2 * margin) / 2
    rows = math.ceil(len(CRAFT_ELEMENTS) / 2)
    for index, element in enumerate(CRAFT_ELEMENTS):
        column, row = divmod(index, rows)
        x = margin + column * column_width
        y = top + row * row_height + row_height / 2
        colour = COLOURS[index % len(COLOURS)]
        draw.line([_px(x, y), _px(x + 44, y)], fill=colour, width=4 * SCALE)
        _marker(draw, (x + 22, y), index, colour, radius=8)
        name = _shorten(draw, texts.element(element), font, (column_width - 70) * SCALE)
        draw.text(_px(x + 56, y), name, fill="#222222", font=font, anchor="lm")


def _shorten(draw: ImageDraw.ImageDraw, text: str, font: Any, width: float) -> str:
    """The text, cut with an ellipsis if it would run into the next column."""
    if _text_width(draw, text, font) <= width:
        return text
    while text and _text_width(draw, text + "…", font) > width:
        text = text[:-1]
    return text.rstrip() + "…"


def _score(value: Any) -> int | None:
    """A stored scale answer as a score, or None when it is not one (a changed scale)."""
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value if LOW <= value <= HIGH else None
