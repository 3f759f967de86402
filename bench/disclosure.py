"""How much the disclosure rules hide that is not small itself (the utility side).

A realistic world: three organisations with groups of 5-25 professionals, a few
hundred runs over four months of branching street scenarios, played through the
real coaching service with random answers (and random stops, as people do).
Then every coordinator page of every published unit (each organisation and each
of its groups) is computed by the reports service, and its count cells are read:

    disclosure_hidden_share = cells marked "hidden" / (cells marked "hidden" + shown
    non-zero counts)

A cell marked "hidden" is large itself (or zero in a scale shown all-or-none) and
hidden only to protect another, so this is the share of figures of 5 or more
people that a coordinator does not get to see. Cells of 1-4 people ("< 5") are
hidden by design and do not count against the rules.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.common import bench_settings, shared_engine, temp_database
from bot.bootstrap import build
from bot.engine import Confirm, Continue, Input, Pick, Say, Toggle, Widget
from bot.services.app import App
from bot.services.coaching import Turn, Who
from bot.store.models import Group, Membership, Organisation, Person, Run

SCENARIOS = ("scooter", "gang", "vrijdagavond", "anijsgeur", "bankpas")
COUNT_COLUMNS = frozenset({"people", "started", "finished", "members"})
PROTECTED = "hidden"
FIRST_DAY = datetime(2026, 5, 1, 9, tzinfo=UTC)


@dataclass
class Tally:
    shown: int = 0
    protected: int = 0
    small: int = 0

    @property
    def share(self) -> float:
        return self.protected / max(1, self.shown + self.protected)


def _answer(widget: Widget | None, rng: random.Random) -> list[Input]:
    """Random input for what a message asks (several inputs for multiple choice)."""
    if widget is None or widget.kind == "continue":
        return [Continue()]
    if widget.kind in ("choice", "yesno", "scale"):
        return [Pick(rng.choice(widget.options).id)]
    if widget.kind == "multi":
        picked = rng.sample(widget.options, k=max(1, widget.min or 1))
        return [*(Toggle(o.id) for o in picked), Confirm()]
    text = "Ik zou eerst het gesprek aangaan en daarna overleggen met mijn team. " * 4
    return [Say(text[: max(widget.min or 1, 40)].strip().ljust(widget.min or 1, "."))]


async def _play(app: App, who: Who, dialogue_id: str, stop_after: int, rng: random.Random) -> None:
    turn: Turn = await app.coach.start(who, dialogue_id)
    for _ in range(stop_after):
        if turn.outcome is None or turn.outcome.status == "finished":
            return
        widgets = [r.widget for r in turn.outcome.replies if r.widget is not None]
        for given in _answer(widgets[-1] if widgets else None, rng):
            turn = await app.coach.handle(who, given, turn.run_id)


def _world(rng: random.Random, scale: int) -> Iterator[tuple[str, list[int]]]:
    """(organisation, group sizes) for three organisations (`scale` times the groups)."""
    for index in range(3):
        groups = rng.randint(2, 4) * scale
        yield f"Gemeente {index + 1}", [rng.randint(5, 25) for _ in range(groups)]


async def _seed(app: App, rng: random.Random, scale: int) -> dict[int, int]:
    """The world; returns organisation id -> its coordinator's person id."""
    people: list[tuple[int, str]] = []
    coordinators: dict[int, int] = {}

    def create(session: Any) -> None:
        for org_name, sizes in _world(rng, scale):
            org = Organisation(name=org_name)
            boss = Person(channel="bench", external_id=f"c-{org_name}", consented_at=FIRST_DAY)
            session.add_all([org, boss])
            session.flush()
            coordinators[org.id] = boss.id
            for g, size in enumerate(sizes):
                group = Group(organisation_id=org.id, name=f"Team {g + 1}")
                session.add(group)
                session.flush()
                session.add(Membership(person_id=boss.id, group_id=group.id, role="coordinator"))
                for p in range(size):
                    pid = f"{org.id}-{g}-{p}"
                    person = Person(channel="bench", external_id=pid, consented_at=FIRST_DAY)
                    session.add(person)
                    session.flush()
                    session.add(
                        Membership(person_id=person.id, group_id=group.id, role="professional")
                    )
                    people.append((person.id, pid))

    await app.db.write(create)
    for _, external in people:
        who = await app.coach.identify("bench", external, None, "nl")
        for dialogue_id in rng.sample(SCENARIOS, k=rng.choice((1, 2, 2, 3))):
            stop = rng.choice((2, 5, 9, 99, 99, 99))  # most finish, some stop on the way
            await _play(app, who, dialogue_id, stop, rng)

    def spread(session: Any) -> None:  # four months of training days
        for run in session.query(Run).all():
            run.started_at = FIRST_DAY + timedelta(days=rng.randint(0, 120))

    await app.db.write(spread)
    return coordinators


def _count(doc: Any, tally: Tally, key: str | None = None) -> None:
    """Walk a JSON document and tally its count cells."""
    if isinstance(doc, dict):
        for k, v in doc.items():
            _count(v, tally, k)
    elif isinstance(doc, list):
        for v in doc:
            _count(v, tally, key)
    elif key in COUNT_COLUMNS:
        if doc == PROTECTED:
            tally.protected += 1
        elif doc == "< 5":
            tally.small += 1
        elif isinstance(doc, int | float) and doc:
            tally.shown += 1


async def _measure(scale: int, seed: int) -> Tally:
    rng = random.Random(seed)
    tally = Tally()
    with temp_database() as url:
        app = await build(bench_settings(url), migrate=False, engine=shared_engine())
        try:
            coordinators = await _seed(app, rng, scale)
            for org_id, boss in coordinators.items():
                whole = await app.reports.scope(boss, org_id, None)
                scopes = [whole, *(replace(whole, group_id=g) for g, _ in whole.groups)]
                for scope in scopes:
                    _count((await app.reports.overview(scope, "nl")).json(), tally)
                    for dialogue_id in SCENARIOS:
                        stats = await app.reports.exercise(scope, dialogue_id, "nl")
                        _count(stats.json(), tally)
        finally:
            await app.close()
    return tally


def measure(scale: int = 1, seed: int = 7) -> dict[str, Any]:
    tally = asyncio.run(_measure(scale, seed))
    return {
        "share": tally.share,
        "shown": tally.shown,
        "protected": tally.protected,
        "small": tally.small,
    }
