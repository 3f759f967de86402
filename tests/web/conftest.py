"""Dashboard fixtures: a small world of organisations, groups, people and answers,
the web app over the test database, and logged-in clients per person.

The world: Amsterdam has groups Noord and Zuid, Utrecht has Centrum. Tess trains
Noord, Tom trains Zuid, Uma trains Centrum. Cora coordinates Noord and Zuid,
Cas coordinates Noord only, Ute coordinates Centrum. Noord has six
professionals (p1..p6) who all finished the street scenario `scooter`; Zuid has
three (z1..z3), too few for any figure; Centrum has one (hanna). Olaf is a
professional in Noord only, and Otto is in no group at all. Every free-text
answer contains SECRET so tests can look for leaks.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlparse

import httpx
import pytest
from starlette.applications import Starlette

from bot.bootstrap import App, build
from bot.clock import FakeClock
from bot.engine import Engine
from bot.services.logins import create_login_link
from bot.settings import Settings
from bot.store.models import AnswerRow, Group, Membership, Organisation, Person, Run
from bot.web import create_web

START = datetime(2025, 3, 10, 10, 0, tzinfo=UTC)  # a Monday, 11:00 in Amsterdam
SECRET = "SECRET"
# The states of scooter, start to end, through the "melden" choice (its 13 steps).
SCOOTER_PATH = (
    "intro",
    "situatie",
    "keuze",
    "gevolg_melden",
    "intimidatie",
    "meegemaakt",
    "gevoel",
    "bedoeling",
    "kern",
    "prive",
    "alternatief",
    "zeker_na",
    "volgende_week",
)

MEMBERS: dict[str, list[tuple[str, str]]] = {
    "tess": [("noord", "trainer")],
    "tom": [("zuid", "trainer")],
    "uma": [("centrum", "trainer")],
    "cora": [("noord", "coordinator"), ("zuid", "coordinator")],
    "cas": [("noord", "coordinator")],
    "ute": [("centrum", "coordinator")],
    **{f"p{i}": [("noord", "professional")] for i in range(1, 7)},
    **{f"z{i}": [("zuid", "professional")] for i in range(1, 4)},
    "hanna": [("centrum", "professional")],
    "olaf": [("noord", "professional")],
    "otto": [],
}

#: (zeker_voor, keuze, gevoel, zeker_na) per professional who did `scooter`.
SCOOTER = {
    "p1": (2, "melden", ["schrik"], 4),
    "p2": (3, "melden", ["schrik", "angst"], 4),
    "p3": (2, "melden", ["schrik"], 3),
    "p4": (4, "melden", ["boos"], 5),
    "p5": (3, "melden", ["schrik"], 4),
    "p6": (1, "reageren", ["angst"], 2),
    "z1": (2, "wegwuiven", ["schrik"], 3),
    "z2": (3, "melden", ["schrik"], 4),
    "z3": (4, "melden", ["pal"], 5),
}


@dataclass
class World:
    orgs: dict[str, int]
    groups: dict[str, int]
    people: dict[str, int]
    answers: dict[tuple[str, str], int]  # (person, key) -> answer id


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
async def app(settings: Settings, shared_engine: Engine, clock: FakeClock) -> AsyncIterator[App]:
    built = await build(settings, migrate=False, engine=shared_engine, clock=clock)
    try:
        yield built
    finally:
        await built.close()


def answer_row(
    run: Run, state: str, key: str, kind: str, value: Any, text: str | None = None
) -> AnswerRow:
    """An answer stored in `run` (its person and dialogue), as the coach would store it."""
    return AnswerRow(
        run_id=run.id,
        person_id=run.person_id,
        dialogue_id=run.dialogue_id,
        state=state,
        key=key,
        kind=kind,
        value=value,
        text=text,
    )


async def build_world(app: App, long_text: str | None = None) -> World:
    def work(session: Any) -> World:
        amsterdam, utrecht = Organisation(name="Amsterdam"), Organisation(name="Utrecht")
        groups = {
            "noord": Group(organisation=amsterdam, name="Noord"),
            "zuid": Group(organisation=amsterdam, name="Zuid"),
            "centrum": Group(organisation=utrecht, name="Centrum"),
        }
        people = {
            name: Person(
                channel="telegram",
                external_id=str(1000 + index),
                first_name=name.title(),
                locale="nl",
                consented_at=START - timedelta(days=30),
            )
            for index, name in enumerate(MEMBERS)
        }
        session.add_all([*groups.values(), *people.values()])
        session.flush()
        for name, places in MEMBERS.items():
            for group, role in places:
                session.add(
                    Membership(person_id=people[name].id, group_id=groups[group].id, role=role)
                )
        answers: dict[tuple[str, str], AnswerRow] = {}
        version = app.engine.dialogue("scooter").version
        for name, (before, choice, feeling, after) in SCOOTER.items():
            person = people[name]
            run = Run(
                person_id=person.id,
                dialogue_id="scooter",
                version=version,
                state="slot",
                history=list(SCOOTER_PATH),
                status="finished",
                step=13,
                started_at=START - timedelta(days=3),
                finished_at=START - timedelta(days=3),
            )
            session.add(run)
            session.flush()
            text = long_text if (long_text and name == "p1") else f"{SECRET} kern van {name}"
            rows = [
                ("intro", "zeker_voor", "scale", before, None),
                ("keuze", "keuze", "choice", choice, None),
                ("gevoel", "gevoel", "multi", feeling, None),
                ("kern", "kern", "text", None, text),
                ("zeker_na", "zeker_na", "scale", after, None),
            ]
            for state, key, kind, value, free in rows:
                row = answer_row(run, state, key, kind, value, free)
                session.add(row)
                answers[(name, key)] = row
        session.flush()
        return World(
            {"amsterdam": amsterdam.id, "utrecht": utrecht.id},
            {name: g.id for name, g in groups.items()},
            {name: p.id for name, p in people.items()},
            {k: row.id for k, row in answers.items()},
        )

    return await app.db.write(work)


@pytest.fixture
async def world(app: App) -> World:
    return await build_world(app)


@pytest.fixture
async def web(app: App) -> Starlette:
    return await create_web(app)


def client_for(web: Starlette) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=web), base_url="http://testserver", follow_redirects=False
    )


CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "no CSRF field on the page"
    return found.group(1)


async def link_for(app: App, person_id: int) -> str:
    url, _ = await create_login_link(app.db, app.settings, app.clock, person_id)
    return urlparse(url).path


async def log_in(client: httpx.AsyncClient, app: App, person_id: int) -> None:
    path = await link_for(app, person_id)
    page = await client.get(path)
    assert page.status_code == 200, page.text
    done = await client.post(path, data={"csrf": csrf_of(page.text)})
    assert done.status_code == 303, done.text
    assert done.headers["location"] == "/"


Login = Callable[[str], Awaitable[httpx.AsyncClient]]


@pytest.fixture
async def login(app: App, web: Starlette, world: World) -> AsyncIterator[Login]:
    """A logged-in client for a person of the world, by name (None: logged out)."""
    opened: list[httpx.AsyncClient] = []

    async def make(name: str) -> httpx.AsyncClient:
        client = client_for(web)
        opened.append(client)
        if name != "anonymous":
            await log_in(client, app, world.people[name])
        return client

    yield make
    for client in opened:
        await client.aclose()
