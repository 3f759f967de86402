"""A coordinator's aggregate for one organisation, in a small and in a large database.

The question a coordinator's dashboard asks: for one organisation, one exercise
and one stored key (here drijfveren's confidence scale `zekerheid`), how many
people gave each answer, with every cell of fewer than 5 people suppressed.
Timed twice: the dashboard's own code (`bot.services.reports.aggregates.Aggregates.question`,
through the app's async Database: its figure is the benchmark line) and a
single SQL GROUP BY variant (`coordinator_aggregate` below, on a plain sync
connection, reported alongside).

The data: organisations of the same size (`block` answers each: people in
groups, ten runs a person over ten exercises, five answers a run). The small
database holds one organisation, the large one a hundred like it, their answers
interleaved in time as they would arrive. So the ratio shows what the growth of
the whole programme costs the view of one organisation; the cost within one
organisation grows with that organisation's own answers (see RESULTS.md).

Rows are written with bulk Core inserts into a migrated database; each query
is timed as the median of several runs after a warm-up run.
"""

from __future__ import annotations

import asyncio
import os
import random
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, Text, cast, create_engine, func, insert, select

from bench.common import median, shared_engine, temp_database
from bot.store.db import sync_url
from bot.store.models import AnswerRow, Group, Membership, Organisation, Person, Run

#: Fewer people than this in a cell: the cell is shown as "< 5".
MIN_PEOPLE = 5
RUNS_PER_PERSON = 10
KEYS = (
    ("motivatie", "text"),
    ("kernwaarden", "multi"),
    ("zekerheid", "scale"),
    ("steun_gesproken", "yesno"),
    ("grens", "text"),
)
DIALOGUES = ("drijfveren", *(f"oefening_{i}" for i in range(1, 10)))
GROUPS_PER_ORG = 4
SUPPRESSED = "< 5"


@dataclass(frozen=True)
class Aggregate:
    """People per answer value (or "< 5"), and how many people answered at all."""

    cells: dict[str, int | str]
    people: int | str


def coordinator_aggregate(conn: Connection, organisation_id: int, dialogue_id: str, key: str):
    """People per stored value of `key` in `dialogue_id`, among the organisation's members.

    A person counts once per value however often they answered it, and once in
    the organisation however many of its groups they are in (a semi-join, not a
    join). Cells under MIN_PEOPLE are suppressed, and the total too.
    """
    members = (
        select(Membership.person_id)
        .join(Group, Group.id == Membership.group_id)
        .where(Group.organisation_id == organisation_id)
    )
    where = (
        AnswerRow.person_id.in_(members),
        AnswerRow.dialogue_id == dialogue_id,
        AnswerRow.key == key,
    )
    # The stored JSON as text: PostgreSQL cannot group by a json column.
    value = cast(AnswerRow.value, Text)
    per_value = (
        select(value, func.count(AnswerRow.person_id.distinct())).where(*where).group_by(value)
    )
    total = select(func.count(AnswerRow.person_id.distinct())).where(*where)
    cells: dict[str, int | str] = {}
    for text, people in conn.execute(per_value):
        cells[str(text)] = people if people >= MIN_PEOPLE else SUPPRESSED
    everyone = conn.execute(total).scalar_one()
    return Aggregate(cells, everyone if everyone >= MIN_PEOPLE else SUPPRESSED)


def query_plan(conn: Connection, organisation_id: int) -> list[str]:
    """SQLite's plan for the per-value query (to see which index it uses)."""
    members = (
        select(Membership.person_id)
        .join(Group, Group.id == Membership.group_id)
        .where(Group.organisation_id == organisation_id)
    )
    value = cast(AnswerRow.value, Text)
    query = (
        select(value, func.count(AnswerRow.person_id.distinct()))
        .where(
            AnswerRow.person_id.in_(members),
            AnswerRow.dialogue_id == "drijfveren",
            AnswerRow.key == "zekerheid",
        )
        .group_by(value)
    )
    compiled = query.compile(conn, compile_kwargs={"literal_binds": True})
    if conn.dialect.name != "sqlite":
        return [row[0] for row in conn.exec_driver_sql(f"EXPLAIN {compiled}")]
    return [row[-1] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}")]


# -- the data -------------------------------------------------------------------------------


def _value(kind: str, rng: random.Random) -> tuple[Any, str | None]:
    """(value, text) as the repository stores them: free text apart, in `text`."""
    if kind == "text":
        return None, "een antwoord in eigen woorden"
    if kind == "multi":
        return sorted(rng.sample(["verbinding", "zorg", "avontuur", "erkenning"], 2)), None
    if kind == "scale":
        return rng.choices([1, 2, 3, 4, 5], weights=[1, 3, 6, 8, 4])[0], None
    return rng.choice(["yes", "no"]), None


def populate(engine: Engine, organisations: int, block: int, seed: int = 8) -> list[int]:
    """`organisations` organisations of `block` answers each; returns their ids."""
    rng = random.Random(seed)
    per_person = RUNS_PER_PERSON * len(KEYS)
    people_per_org = max(1, block // per_person)
    now = datetime(2026, 11, 1, tzinfo=UTC)
    with engine.begin() as conn:
        org_ids = []
        for o in range(organisations):
            org_ids.append(
                conn.execute(
                    insert(Organisation).values(name=f"Gemeente {o}", created_at=now)
                ).inserted_primary_key[0]
            )
        group_rows = [
            {"organisation_id": org, "name": f"Groep {g}", "created_at": now}
            for org in org_ids
            for g in range(GROUPS_PER_ORG)
        ]
        conn.execute(insert(Group), group_rows)
        groups = conn.execute(select(Group.id, Group.organisation_id).order_by(Group.id)).all()
        by_org: dict[int, list[int]] = {}
        for group_id, org in groups:
            by_org.setdefault(org, []).append(group_id)
        person_rows = [
            {
                "channel": "telegram",
                "external_id": str(1_000_000 + o * people_per_org + p),
                "first_name": f"P{p}",
                "locale": "nl",
                "consented_at": now,
                "active": True,
                "reminders": True,
                "created_at": now,
            }
            for o in range(organisations)
            for p in range(people_per_org)
        ]
        conn.execute(insert(Person), person_rows)
        person_ids = conn.execute(select(Person.id).order_by(Person.id)).scalars().all()
        owner = {}
        memberships = []
        for index, person_id in enumerate(person_ids):
            org = org_ids[index // people_per_org]
            owner[person_id] = org
            groups_of_org = by_org[org]
            home = groups_of_org[index % len(groups_of_org)]
            memberships.append(_membership(person_id, home, now))
            if index % 10 == 0:  # some people are in two groups of their organisation
                other = groups_of_org[(index + 1) % len(groups_of_org)]
                memberships.append(_membership(person_id, other, now))
        conn.execute(insert(Membership), memberships)
    # Runs and answers, in time order: round after round, everybody does an exercise.
    next_run = 1
    for round_ in range(RUNS_PER_PERSON):
        order = list(person_ids)
        rng.shuffle(order)
        with engine.begin() as conn:
            runs = []
            answers = []
            moment = now + timedelta(days=round_)
            for person_id in order:
                dialogue = rng.choice(DIALOGUES)
                runs.append(_run(next_run, person_id, dialogue, moment))
                for key, kind in KEYS:
                    value, text = _value(kind, rng)
                    answers.append(
                        {
                            "run_id": next_run,
                            "person_id": person_id,
                            "dialogue_id": dialogue,
                            "state": key,
                            "key": key,
                            "kind": kind,
                            "value": value,
                            "text": text,
                            "encrypted": False,
                            "created_at": moment,
                            "updated_at": moment,
                        }
                    )
                next_run += 1
            conn.execute(insert(Run), runs)
            for chunk in _chunks(answers, 50_000):
                conn.execute(insert(AnswerRow), chunk)
    return org_ids


def _membership(person_id: int, group_id: int, now: datetime) -> dict[str, Any]:
    return {"person_id": person_id, "group_id": group_id, "role": "professional", "created_at": now}


def _run(run_id: int, person_id: int, dialogue: str, moment: datetime) -> dict[str, Any]:
    return {
        "id": run_id,
        "person_id": person_id,
        "dialogue_id": dialogue,
        "version": "bench",
        "state": "slot",
        "history": [],
        "pending": [],
        "status": "finished",
        "step": 5,
        "started_at": moment,
        "updated_at": moment,
        "finished_at": moment,
    }


def _chunks(rows: Sequence[dict[str, Any]], size: int) -> Iterator[Sequence[dict[str, Any]]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def time_sql(engine: Engine, organisation_id: int, repeats: int) -> tuple[float, Aggregate]:
    """Median seconds of the SQL GROUP BY variant (after one warm-up run) and its result."""
    times = []
    with engine.connect() as conn:
        result = coordinator_aggregate(conn, organisation_id, "drijfveren", "zekerheid")
        for _ in range(repeats):
            start = time.perf_counter()
            result = coordinator_aggregate(conn, organisation_id, "drijfveren", "zekerheid")
            times.append(time.perf_counter() - start)
    return median(times), result


async def time_dashboard(url: str, organisation_id: int, repeats: int) -> tuple[float, Any]:
    """Median seconds of the dashboard's own figure for one question, as it runs it:
    `bot.services.reports.aggregates.Aggregates.question` over the whole organisation, through the
    app's async Database. Returns (seconds, Distribution)."""
    from bot.services.reports import Aggregates, Scope
    from bot.store.db import Database
    from bot.store.db import create_engine as create_async

    db = Database(create_async(url))
    try:

        def groups(session: Any) -> tuple[tuple[int, str], ...]:
            query = select(Group.id, Group.name).where(Group.organisation_id == organisation_id)
            return tuple((gid, name) for gid, name in session.execute(query).all())

        scope = Scope(organisation_id, "Gemeente", await db.read(groups))
        figures = Aggregates(db, shared_engine())
        found = await figures.question(scope, "drijfveren", "zekerheid", "nl")
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            found = await figures.question(scope, "drijfveren", "zekerheid", "nl")
            times.append(time.perf_counter() - start)
        return median(times), found
    finally:
        await db.dispose()


def measure(answers: int, block: int, repeats: int) -> dict[str, Any]:
    """Both aggregates for the middle organisation of a database of `answers` answers."""
    with temp_database() as url:
        engine = create_engine(sync_url(url))
        try:
            orgs = populate(engine, max(1, answers // block), block)
            with engine.begin() as conn:
                if conn.dialect.name == "postgresql":
                    conn.exec_driver_sql("ANALYZE")
            org = orgs[len(orgs) // 2]
            dashboard_s, distribution = asyncio.run(time_dashboard(url, org, repeats))
            sql_s, sql_result = time_sql(engine, org, repeats)
            with engine.connect() as conn:
                plan = query_plan(conn, org)
            size = _size_mb(engine)
        finally:
            engine.dispose()
    return {
        "size_mb": size,
        "dashboard_s": dashboard_s,
        "people": str(distribution.people),
        "sql_s": sql_s,
        "sql": sql_result,
        "plan": plan,
    }


def _size_mb(engine: Engine) -> float | None:
    """The SQLite file's size (checkpointed), or None on PostgreSQL."""
    if engine.dialect.name != "sqlite" or not engine.url.database:
        return None
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    return os.path.getsize(engine.url.database) / 1e6


def compare(small: int, large: int, repeats: int = 7) -> dict[str, Any]:
    """One organisation's figures in a database of `small` vs `large` answers."""
    at_small = measure(small, small, repeats)
    at_large = measure(large, small, repeats)
    return {
        "small": at_small,
        "large": at_large,
        "ratio": at_large["dashboard_s"] / at_small["dashboard_s"],
        "sql_ratio": at_large["sql_s"] / at_small["sql_s"],
        "valid": bool(at_small["sql"].cells) and bool(at_large["sql"].cells),
    }
