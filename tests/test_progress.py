"""A person's own trend: the check-in query, the chart and its text summary."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from PIL import Image

from bot.dialogues.model import CRAFT_ELEMENTS
from bot.engine import Say
from bot.services.progress import (
    CAPTION_LIMIT,
    COLOURS,
    HEIGHT,
    WIDTH,
    CheckIn,
    ElementTrend,
    ProgressTexts,
    checkins_of,
    render_chart,
    summary,
    trend,
)
from bot.store.models import AnswerRow, Run
from bot.store.repo import Repository

MARCH = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def scores(*values: int) -> dict[str, int]:
    """Scores for the craft elements in their order (fewer values: fewer elements)."""
    return dict(zip(CRAFT_ELEMENTS, values, strict=False))


async def person(app: Any, name: str) -> int:
    def work(session: Any) -> int:
        return (Repository(session).ensure_person("telegram", name, name, "nl")).id

    return await app.db.write(work)


async def stored_run(
    app: Any,
    person_id: int,
    values: dict[str, Any],
    at: datetime,
    status: str = "finished",
    dialogue_id: str = "checkin",
) -> int:
    """A run as the coach leaves it: scale answers in `value`, the line in `text`."""

    def work(session: Any) -> int:
        run = Run(
            person_id=person_id,
            dialogue_id=dialogue_id,
            version="test",
            state="slot" if status == "finished" else "hielp",
            status=status,
            started_at=at - timedelta(minutes=2),
            updated_at=at,
            finished_at=at if status == "finished" else None,
        )
        session.add(run)
        session.flush()
        for key, value in values.items():
            session.add(
                AnswerRow(
                    run_id=run.id,
                    person_id=person_id,
                    dialogue_id=dialogue_id,
                    state=key,
                    key=key,
                    kind="scale",
                    value=value,
                )
            )
        session.add(
            AnswerRow(
                run_id=run.id,
                person_id=person_id,
                dialogue_id=dialogue_id,
                state="hielp",
                key="hielp",
                kind="text",
                text="Een collega die meedacht",
            )
        )
        return run.id

    return await app.db.write(work)


def png_image(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    assert image.format == "PNG"
    image.verify()  # a truncated or corrupt file fails here
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def has_colour(image: Image.Image, colour: str, box: tuple[int, int, int, int]) -> bool:
    """Whether some pixel in `box` is close to `colour` (the palette shifts it a little)."""
    wanted = tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))
    region = image.convert("RGB").crop(box)
    found = region.getcolors(maxcolors=region.width * region.height) or []
    return any(sum(abs(a - b) for a, b in zip(rgb, wanted, strict=True)) < 40 for _, rgb in found)


# -- the query ----------------------------------------------------------------------------------


async def test_no_checkins_yet_is_an_empty_trend(app):
    sam = await person(app, "sam")
    assert await checkins_of(app.db, sam) == []


async def test_checkins_come_back_oldest_first_with_date_and_scores(app):
    sam = await person(app, "sam")
    later = await stored_run(app, sam, scores(3, 4, 4, 3, 5, 4, 3), MARCH + timedelta(days=14))
    first = await stored_run(app, sam, scores(2, 3, 4, 1, 3, 5, 2), MARCH)

    found = await checkins_of(app.db, sam)

    assert [c.run_id for c in found] == [first, later]
    assert [c.at for c in found] == [MARCH, MARCH + timedelta(days=14)]
    assert all(c.at.tzinfo is not None for c in found)
    assert dict(found[0].scores) == scores(2, 3, 4, 1, 3, 5, 2)
    assert set(found[1].scores) == set(CRAFT_ELEMENTS)  # the line on what helped is left out


async def test_only_this_persons_finished_checkins_count(app):
    sam, kim = await person(app, "sam"), await person(app, "kim")
    mine = await stored_run(app, sam, scores(2, 2, 2, 2, 2, 2, 2), MARCH)
    await stored_run(app, kim, scores(5, 5, 5, 5, 5, 5, 5), MARCH + timedelta(days=1))
    await stored_run(app, sam, scores(1, 1, 1), MARCH + timedelta(days=2), status="active")
    await stored_run(app, sam, scores(1, 1, 1, 1), MARCH + timedelta(days=3), status="paused")
    await stored_run(app, sam, scores(1, 1, 1, 1, 1), MARCH + timedelta(days=4), status="stopped")
    # Another exercise that happens to store an answer under a craft element's name.
    await stored_run(app, sam, {"diep_inzicht": 1}, MARCH + timedelta(days=5), dialogue_id="x")

    assert [c.run_id for c in await checkins_of(app.db, sam)] == [mine]
    assert [dict(c.scores) for c in await checkins_of(app.db, kim)] == [scores(5, 5, 5, 5, 5, 5, 5)]


async def test_values_that_are_no_score_are_left_out(app):
    sam = await person(app, "sam")
    odd = {"wat_werkt_hier": 4, "bottom_up": 9, "diep_inzicht": "3", "spontane_energie": True}
    kept = await stored_run(app, sam, odd, MARCH)
    await stored_run(app, sam, {"bottom_up": 0, "diep_inzicht": None}, MARCH + timedelta(days=1))

    (only,) = await checkins_of(app.db, sam)

    assert (only.run_id, dict(only.scores)) == (kept, {"wat_werkt_hier": 4})


async def test_a_checkin_done_through_the_engine_is_read_back(app):
    """The dialogue stores each score under its craft element, as the chart expects."""
    who = await app.coach.identify("console", "sam", "Sam", "nl")
    turn = await app.coach.start(who, "checkin")
    assert turn.outcome.status == "started"
    for line in ["2", "3", "4", "5", "1", "2", "3", "Een goed gesprek met mijn teamleider"]:
        turn = await app.coach.handle(who, Say(line))
    assert turn.outcome.status == "finished"
    assert "/voortgang" in turn.outcome.replies[-1].text

    (checkin,) = await checkins_of(app.db, who.id)
    assert dict(checkin.scores) == scores(2, 3, 4, 5, 1, 2, 3)


# -- trend and summary -----------------------------------------------------------------------------


def checkin(day: int, values: dict[str, int], hour: int = 10) -> CheckIn:
    return CheckIn(day, datetime(2026, 3, day, hour, tzinfo=UTC), values)


def test_trend_is_first_and_latest_score_per_element_in_the_training_order():
    checkins = [
        checkin(1, {"wat_werkt_hier": 2, "diep_inzicht": 4}),
        checkin(8, {"wat_werkt_hier": 3}),
        checkin(15, {"wat_werkt_hier": 5, "bottom_up": 1}),
    ]
    found = {t.element: t for t in trend(checkins)}
    assert list(found) == list(CRAFT_ELEMENTS)
    assert found["wat_werkt_hier"] == ElementTrend("wat_werkt_hier", 2, 5)
    assert found["diep_inzicht"] == ElementTrend("diep_inzicht", 4, 4)
    assert found["bottom_up"] == ElementTrend("bottom_up", 1, 1)
    assert found["spontane_energie"] == ElementTrend("spontane_energie", None, None)


def test_summary_of_one_checkin(app):
    text = summary([checkin(2, scores(2, 3, 4, 1, 3, 5, 2))], ProgressTexts(app.catalog, "nl"))
    lines = text.splitlines()
    assert lines[0] == "Je eerste check-in, op 02-03-2026. Zo zeker voel je je (1 tot 5):"
    assert lines[1:8] == [
        "• Wat werkt hier: 2",
        "• Effectieve interventies: 3",
        "• Bottom-up denken en doen: 4",
        "• Structureel maatwerk: 1",
        "• Diep inzicht: 3",
        "• Spontane energie benutten: 5",
        "• Commitment organiseren: 2",
    ]
    assert "check-in" in lines[-1]


def test_summary_of_several_checkins_names_first_and_latest(app):
    checkins = [
        checkin(2, scores(2, 3, 4, 1, 3, 5, 2)),
        checkin(9, {"wat_werkt_hier": 3}),
        checkin(23, scores(4, 3, 5, 2, 3, 4, 4)),
    ]
    text = summary(checkins, ProgressTexts(app.catalog, "en"))
    assert text.startswith("Your progress over 3 check-ins, from 02-03-2026 to 23-03-2026.")
    assert "• What works here: 2 → 4" in text
    assert "• Effective interventions: 3 → 3" in text
    assert "• Organising commitment: 2 → 4" in text
    assert len(text) <= CAPTION_LIMIT


def test_summary_dates_are_dutch_time_and_missing_elements_say_so(app):
    late = CheckIn(1, datetime(2026, 3, 1, 23, 30, tzinfo=UTC), {"wat_werkt_hier": 3})
    text = summary([late], ProgressTexts(app.catalog, "nl"))
    assert "op 02-03-2026" in text  # half past midnight in Amsterdam
    assert "• Diep inzicht: nog geen score" in text


def test_summary_stays_within_a_caption(app):
    class Wordy(ProgressTexts):
        def get(self, name: str, **values: object) -> str:
            return super().get(name, **values) + " bla" * 60

    text = summary([checkin(2, scores(1, 2, 3, 4, 5, 1, 2))], Wordy(app.catalog, "nl"))
    assert len(text) <= CAPTION_LIMIT
    assert text.endswith("…")


def test_nothing_to_summarise_or_draw_is_a_mistake(app):
    texts = ProgressTexts(app.catalog, "nl")
    with pytest.raises(ValueError, match="at least one"):
        summary([], texts)
    with pytest.raises(ValueError, match="at least one"):
        render_chart([], texts)


# -- the chart ---------------------------------------------------------------------------------

PLOT = (60, 100, WIDTH - 30, 480)  # the plot area, above the date labels and the legend


@pytest.mark.parametrize("locale", ["nl", "en"])
def test_one_checkin_is_a_png_of_phone_size_with_a_point_per_element(app, locale):
    texts = ProgressTexts(app.catalog, locale)
    image = png_image(render_chart([checkin(2, scores(1, 2, 3, 4, 5, 3, 2))], texts))
    assert image.size == (WIDTH, HEIGHT) == (1000, 700)
    for colour in COLOURS:
        assert has_colour(image, colour, PLOT), colour


def test_several_checkins_draw_a_line_per_element(app):
    checkins = [checkin(day, scores(*[1 + (day + i) % 5 for i in range(7)])) for day in (1, 8, 22)]
    image = png_image(render_chart(checkins, ProgressTexts(app.catalog, "nl")))
    assert image.size == (1000, 700)
    for colour in COLOURS:
        assert has_colour(image, colour, PLOT), colour
    # Between the first and the second check-in the lines are drawn, not just the points.
    middle = (WIDTH // 3 - 20, PLOT[1], WIDTH // 3 + 20, PLOT[3])
    assert sum(has_colour(image, colour, middle) for colour in COLOURS) >= 5


def test_many_checkins_gaps_and_same_day_checkins_still_draw(app):
    checkins = [
        CheckIn(i, MARCH + timedelta(days=i // 2), scores(3, 3, 3) if i % 3 else scores(2))
        for i in range(60)
    ]
    image = png_image(render_chart(checkins, ProgressTexts(app.catalog, "en")))
    assert image.size == (1000, 700)


def test_the_chart_is_the_same_for_the_same_checkins(app):
    checkins = [checkin(2, scores(2, 3, 4, 1, 3, 5, 2)), checkin(9, scores(3, 3, 4, 2, 3, 5, 3))]
    texts = ProgressTexts(app.catalog, "nl")
    assert render_chart(checkins, texts) == render_chart(checkins, texts)
