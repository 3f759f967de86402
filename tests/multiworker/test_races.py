"""Writes two workers make for one person at the same moment (PostgreSQL).

Each worker has its own engine and connections; here two `Database`s on the same
database stand in for them, and the same call is made through both at once.
Without a lock the second insert of a row keyed by the person fails on the unique
key, which in the chat is a failed update and an error message.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from bot.services.coaching import Who
from bot.services.membership import Members
from bot.store.db import Database, create_engine
from bot.store.models import ChatPrompt, Membership, Person
from bot.store.repo import Repository
from tests.conftest import on_postgres

pytestmark = pytest.mark.skipif(
    not on_postgres(),
    reason="races between workers need PostgreSQL: set STRAATWIJS_TEST_DATABASE_URL",
)
ROUNDS = 30


@pytest.fixture
async def two(database_url: str) -> AsyncIterator[tuple[Database, Database]]:
    dbs = (Database(create_engine(database_url)), Database(create_engine(database_url)))
    try:
        yield dbs
    finally:
        for db in dbs:
            await db.dispose()


async def test_two_workers_set_the_prompt_of_one_person(two):
    def work(session):
        person = Person(
            channel="telegram", external_id="1", locale="nl", consented_at=datetime.now(UTC)
        )
        session.add(person)
        session.flush()
        return person.id

    who = Who(await two[0].write(work), "nl", "Sam", True, True)
    a, b = (Members(db) for db in two)
    for i in range(ROUNDS):
        await a.set_prompt(who, None)
        await asyncio.gather(a.set_prompt(who, 2 * i), b.set_prompt(who, 2 * i + 1))
        visit = await a.visit("telegram", "1")
        assert visit is not None
        assert visit.prompt in (2 * i, 2 * i + 1)


async def test_two_workers_join_one_person_at_once(two):
    def work(session):
        repo = Repository(session)
        repo.add_organisation("Breda")
        group = repo.add_group("Breda", "Wijkteam")
        return (repo.create_invite(group.id, "professional")).code

    code = await two[0].write(work)
    a, b = (Members(db) for db in two)
    for i in range(ROUNDS):  # a double tap on "Akkoord": two updates, one at each worker
        joined = await asyncio.gather(
            a.join("telegram", str(1000 + i), "Sam", "nl", code, once=2 * i),
            b.join("telegram", str(1000 + i), "Sam", "nl", code, once=2 * i + 1),
        )
        assert sorted(j.status for j in joined) == ["already_member", "joined"]

    def count(session):
        people = session.execute(select(func.count()).select_from(Person))
        members = session.execute(select(func.count()).select_from(Membership))
        prompts = session.execute(select(func.count()).select_from(ChatPrompt))
        return people.scalar_one(), members.scalar_one(), prompts.scalar_one()

    assert await two[0].read(count) == (ROUNDS, ROUNDS, 0)
