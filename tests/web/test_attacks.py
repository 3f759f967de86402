"""The three attacks found by hand on the coordinator reports, as regression tests,
and an adversary (tests/web/adversary.py) run over whole seeded worlds.

Each attack is played the way a coordinator would: reading the JSON the pages are
built from, as two different viewers where the attack needs two.
"""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update
from starlette.applications import Starlette

from bot.bootstrap import App
from bot.services.reports import MIN_CELL, SUPPRESSED, Aggregates
from bot.store.models import Run
from tests.web.adversary import Seen, attacks
from tests.web.conftest import START, client_for, log_in
from tests.web.test_disclosure import (
    FINISHED,
    City,
    Member,
    base,
    build_city,
    get,
    number,
    oost,
    random_members,
    west,
)


@pytest.fixture
async def city(app: App) -> City:
    return await build_city(app, west() + oost(), {"rita": ("west", "oost"), "rob": ("west",)})


async def client(app: App, web: Starlette, person: int) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(web) as found:
        await log_in(found, app, person)
        yield found


# -- 1. an average minus the month rows --------------------------------------------------


async def test_an_average_minus_the_month_rows_gives_nobody_away(app: App, web: Starlette) -> None:
    """10 people with a before/after pair, 9 of them in March and one in January:
    10 x average - 9 x March's average would be the January person's two scores."""
    befores = [3, 4, 3, 4, 3, 4, 3, 4, 3, 4]
    members = [Member("west", FINISHED, b, "melden", 4) for b in befores]
    city = await build_city(app, members, {"wes": ("west",)}, name="Maandstad")
    one = city.people["m0"]

    def move(session: Any) -> None:
        run_id = session.execute(select(Run.id).where(Run.person_id == one)).scalar_one()
        earlier = START - timedelta(days=40)
        session.execute(update(Run).where(Run.id == run_id).values(started_at=earlier))

    await app.db.write(move)
    async for wes in client(app, web, city.people["wes"]):
        overview = (await get(wes, f"{base(city)}/data.json")).json()
        stats = (await get(wes, f"{base(city)}/exercises/scooter/data.json")).json()
    table = next(t for t in overview["tables"] if t["name"] == "confidence")
    row = next(r for r in table["rows"] if r["key"] == "scooter")
    months = stats["over_time"]["rows"]
    assert [m["key"] for m in months] == ["2025-01", "2025-03"]
    total, shown = number(row["people"]), [number(m["people"]) for m in months]
    if total is not None and number(row["before"]) is not None:
        # The pairs and their averages are shown: no month may be worked out.
        rest = total - sum(n or 0 for n in shown)
        assert rest == 0 or rest >= MIN_CELL, (row, months)
        assert shown.count(None) != 1 or rest >= MIN_CELL
    assert months[0]["people"] == SUPPRESSED  # the one January pair itself
    assert number(months[1]["before"]) is None  # 9 shown next to 10 would give it back


# -- 2. two coordinators, two suppressions ---------------------------------------------------


async def test_two_coordinators_of_one_group_see_the_same_figures(
    app: App, web: Starlette, city: City
) -> None:
    """Rita coordinates Rotterdam (West and Oost), Rob only West. Were West decided
    for Rob alone, his figure next to Rita's organisation figure would give Oost's
    small numbers away: every figure of West is the same for both."""
    west_id = city.groups["west"]
    async for rita in client(app, web, city.people["rita"]):
        org = (await get(rita, f"{base(city)}/exercises/scooter/data.json")).json()
        rita_west = (
            await get(rita, f"{base(city)}/exercises/scooter/data.json?group={west_id}")
        ).json()
        oost_doc = (
            await get(rita, f"{base(city)}/exercises/scooter/data.json?group={city.groups['oost']}")
        ).json()
    async for rob in client(app, web, city.people["rob"]):
        rob_west = (await get(rob, f"{base(city)}/exercises/scooter/data.json")).json()
    assert rob_west == rita_west
    compiled = app.engine.dialogue("scooter")
    seen = [
        Seen("rita", "org", org),
        Seen("rita", "west", rita_west),
        Seen("rita", "oost", oost_doc),
        Seen("rob", "west", rob_west),
    ]
    assert attacks(seen, compiled, {"org": ["west", "oost"]}) == []


# -- 3. answered counts next to the funnel ---------------------------------------------------


async def test_answered_counts_do_not_give_away_who_stopped(app: App, web: Starlette) -> None:
    """11 started, 6 answered the feelings question, 5 finished: every path passes
    both questions, so "answered 6" next to "answered 5" (or "finished 5") would
    say that exactly one person stopped in between, whatever the funnel hides."""
    members = [Member("west", 3, 3) for _ in range(5)]
    members += [Member("west", 12, 3, "melden", None, ("schrik",))]
    members += [Member("west", FINISHED, 4, "melden", 4, ("schrik",)) for _ in range(5)]
    city = await build_city(app, members, {"wes": ("west",)}, name="Afhaakstad")
    async for wes in client(app, web, city.people["wes"]):
        stats = (await get(wes, f"{base(city)}/exercises/scooter/data.json")).json()
    answered = {d["key"]: number(d["people"]) for d in stats["distributions"]}
    finished = number(stats["finished"])
    shown = [n for n in (answered.get("gevoel"), answered.get("zeker_na"), finished) if n]
    for i, a in enumerate(shown):
        for b in shown[i + 1 :]:
            assert abs(a - b) == 0 or abs(a - b) >= MIN_CELL, (answered, finished)
    assert attacks([Seen("wes", "west", stats)], app.engine.dialogue("scooter"), {}) == []


# -- the adversary itself, and whole worlds -----------------------------------------------


def test_the_adversary_finds_the_attacks_it_is_told_about(app: App) -> None:
    """Fed a document with the leaks above, it names each of them."""
    compiled = app.engine.dialogue("scooter")
    doc = {
        "started": 11,
        "finished": 5,
        "funnel": {
            "rows": [
                {"key": "started", "people": 11},
                {"key": "zeker_voor", "people": SUPPRESSED},
                {"key": "finished", "people": 5},
            ]
        },
        "distributions": [
            {
                "key": "keuze",
                "kind": "choice",
                "people": 10,
                "options": [
                    {"key": "melden", "people": 8},
                    {"key": "reageren", "people": SUPPRESSED},
                    {"key": "wegwuiven", "people": 0},
                ],
            },
            {"key": "zeker_na", "kind": "scale", "people": 6, "options": []},
        ],
    }
    found = attacks([Seen("x", "g", doc)], compiled, {})
    assert any("keuze" in f and "hidden parts hold 2" in f for f in found), found
    assert any("answered zeker_na 6 - finished 5" in f for f in found), found
    other = {**doc, "finished": 6}
    found = attacks([Seen("x", "g", doc), Seen("y", "g", other)], compiled, {})
    assert any("two viewers" in f for f in found)


@pytest.mark.parametrize("seed", [11, 12])
async def test_the_adversary_finds_nothing_in_seeded_worlds(app: App, seed: int) -> None:
    """A small and a large world: every unit of the organisation, as its
    coordinators see it, searched for differences and remainders under 5."""
    rng = random.Random(seed)
    members = random_members(rng)
    if seed == 12:  # the large one: three times as many people
        members += random_members(rng) + random_members(rng)
    groups = tuple(sorted({m.group for m in members}))
    city = await build_city(app, members, {"cleo": groups}, name=f"Zoekstad {seed}")
    figures = Aggregates(app.db, app.engine)
    whole = await figures.scope(city.people["cleo"], city.org, None)
    seen = [Seen("cleo", "org", (await figures.exercise(whole, "scooter", "nl")).json())]
    for g in groups:
        scope = replace(whole, group_id=city.groups[g])
        seen.append(Seen("cleo", g, (await figures.exercise(scope, "scooter", "nl")).json()))
    found = attacks(seen, app.engine.dialogue("scooter"), {"org": list(groups)})
    assert found == []
