"""The audit log: role changes and looks at other people's answers leave an entry,
written in the same transaction as the act, readable only by the coordinators of
the organisation concerned.

The world: Amsterdam has groups Noord (trainer Tess, coordinator Cora,
professionals Anna and Bram) and Zuid (trainer Tom, professional Gijs); Utrecht
has Centrum (trainer Uma, coordinator Carla, professional Hanna). Olaf is in no
group.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import delete, select

from bot.bootstrap import App, build
from bot.clock import FakeClock
from bot.engine import Answer, RunState
from bot.services.audit import (
    EXPORT,
    MEMBER_REMOVED,
    ROLE_ADDED,
    VIEW_ANSWERS,
    Audit,
    AuditView,
    record_in,
)
from bot.services.groups import Groups
from bot.services.membership import Members
from bot.services.review import AccessDenied, Review
from bot.store.models import AuditEntry, Group, Membership, Organisation, Person, Push
from bot.store.repo import Repository

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
MEMBERS = {
    "tess": ("noord", "trainer"),
    "cora": ("noord", "coordinator"),
    "anna": ("noord", "professional"),
    "bram": ("noord", "professional"),
    "tom": ("zuid", "trainer"),
    "gijs": ("zuid", "professional"),
    "uma": ("centrum", "trainer"),
    "carla": ("centrum", "coordinator"),
    "hanna": ("centrum", "professional"),
}


@dataclass
class World:
    amsterdam: int
    utrecht: int
    groups: dict[str, int]
    people: dict[str, int]

    def __getattr__(self, name: str) -> int:
        found = self.people.get(name, self.groups.get(name))
        if found is None:
            raise AttributeError(name)
        return found


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
async def world(app: App) -> World:
    return await make_world(app)


async def make_world(app: App) -> World:
    """Everyone in one transaction."""

    def work(session: Any) -> World:
        amsterdam, utrecht = Organisation(name="Amsterdam"), Organisation(name="Utrecht")
        groups = {
            "noord": Group(organisation=amsterdam, name="Noord"),
            "zuid": Group(organisation=amsterdam, name="Zuid"),
            "centrum": Group(organisation=utrecht, name="Centrum"),
        }
        people = {
            name: Person(
                channel="telegram", external_id=name, first_name=name.title(), consented_at=START
            )
            for name in [*MEMBERS, "olaf"]
        }
        session.add_all([*groups.values(), *people.values()])
        session.flush()
        session.add_all(
            Membership(person_id=people[name].id, group_id=groups[group].id, role=role)
            for name, (group, role) in MEMBERS.items()
        )
        session.flush()
        return World(
            amsterdam.id,
            utrecht.id,
            {name: group.id for name, group in groups.items()},
            {name: person.id for name, person in people.items()},
        )

    return await app.db.write(work)


@pytest.fixture
def audit(app: App, clock: FakeClock) -> Audit:
    return Audit(app.db, clock)


@pytest.fixture
def groups(app: App, clock: FakeClock) -> Groups:
    return Groups(app.db, clock)


@pytest.fixture
def review(app: App, clock: FakeClock) -> Review:
    return Review(app.db, app.engine, clock)


async def all_entries(app: App) -> list[AuditEntry]:
    def work(session: Any) -> list[AuditEntry]:
        query = select(AuditEntry).order_by(AuditEntry.id)
        return list(session.execute(query).scalars())

    return await app.db.read(work)


async def add_answer(app: App, person_id: int, push_id: int | None = None) -> int:
    """A finished drijfveren run with one free-text answer; the run's id."""
    compiled = app.engine.dialogue("drijfveren")

    def work(session: Any) -> int:
        repo = Repository(session, app.cipher)
        run = repo.create_run(
            person_id, RunState("drijfveren", compiled.version, "slot", status="finished")
        )
        run.push_id = push_id
        repo.put_answer(run, Answer("motivatie", "waarom", "text", "Het plein gaf energie"))
        return run.id

    return await app.db.write(work)


def summary(entries: list[AuditView]) -> list[tuple[str, str, str, str, str | None]]:
    return [(e.action, e.actor_name, e.group_name, e.subject_name, e.detail) for e in entries]


# -- role changes ------------------------------------------------------------------------


async def test_joining_records_the_role_with_the_inviter_as_actor(app, world, audit, clock):
    def invites(session: Any) -> tuple[str, str]:
        repo = Repository(session)
        by_tess = repo.create_invite(world.noord, "trainer", created_by=world.tess)
        by_operator = repo.create_invite(world.centrum, "coordinator")
        return by_tess.code, by_operator.code

    tess_code, operator_code = await app.db.write(invites)
    members = Members(app.db, clock)
    ivo = await members.join("telegram", "ivo", "Ivo", "nl", tess_code)
    clock.advance(timedelta(minutes=5))
    await members.join("telegram", "ivo", "Ivo", "nl", operator_code)
    await members.join("telegram", "ivo", "Ivo", "nl", tess_code)  # already a member: no entry
    assert ivo.who is not None

    amsterdam = await audit.entries(world.cora, world.amsterdam)
    assert summary(amsterdam) == [(ROLE_ADDED, "Tess", "Noord", "Ivo", amsterdam[0].detail)]
    assert amsterdam[0].detail is not None
    assert amsterdam[0].detail.startswith("trainer (invite ")
    assert amsterdam[0].at == START
    assert amsterdam[0].subject_id == ivo.who.id
    utrecht = await audit.entries(world.carla, world.utrecht)
    assert [(e.action, e.actor_id, e.subject_id) for e in utrecht] == [
        (ROLE_ADDED, None, ivo.who.id)  # an operator's invite from the CLI: no actor
    ]
    assert utrecht[0].detail is not None
    assert utrecht[0].detail.startswith("coordinator")
    for entry in await all_entries(app):  # invite codes are secrets: never in the log
        assert tess_code not in (entry.detail or "")
        assert operator_code not in (entry.detail or "")


async def test_removing_a_member_is_recorded_and_a_refused_removal_is_not(
    app, world, audit, review, groups
):
    await groups.remove_member(world.tess, world.noord, world.bram)
    with pytest.raises(AccessDenied):
        await groups.remove_member(world.tess, world.noord, world.cora)  # not a trainer's call
    with pytest.raises(AccessDenied):
        await groups.remove_member(world.tom, world.noord, world.anna)  # not his group
    assert summary(await audit.entries(world.cora, world.amsterdam)) == [
        (MEMBER_REMOVED, "Tess", "Noord", "Bram", "professional")
    ]
    assert len(await all_entries(app)) == 1


async def test_the_entry_shares_the_transaction_of_the_act(app, world, clock):
    """An act that rolls back takes its entry with it."""

    class Boom(Exception):
        pass

    def work(session: Any) -> None:
        record_in(session, clock.now(), world.tess, MEMBER_REMOVED, group_id=world.noord)
        session.execute(delete(Membership).where(Membership.person_id == world.anna))
        raise Boom

    with pytest.raises(Boom):
        await app.db.write(work)
    assert await all_entries(app) == []
    assert len(await Groups(app.db).members(world.tess, world.noord)) == 4


# -- looks at answers -----------------------------------------------------------------------


async def test_a_trainer_viewing_answers_is_recorded_the_person_themselves_is_not(
    app, world, audit, review, clock
):
    await add_answer(app, world.anna)
    await review.runs_of(world.anna, world.anna)  # one's own answers: no entry
    with pytest.raises(AccessDenied):
        await review.runs_of(world.tom, world.anna)  # refused: nothing seen, no entry
    clock.advance(timedelta(hours=1))
    runs = await review.runs_of(world.tess, world.anna, dialogue_id="drijfveren")
    assert runs[0].answers[0].shown == "Het plein gaf energie"

    entries = await audit.entries(world.cora, world.amsterdam)
    assert summary(entries) == [(VIEW_ANSWERS, "Tess", "Noord", "Anna", "drijfveren")]
    assert entries[0].at == START + timedelta(hours=1)
    assert await audit.entries(world.carla, world.utrecht) == []


async def test_a_trainer_of_two_shared_groups_leaves_an_entry_for_each(app, world, audit, review):
    def also(session: Any) -> None:
        session.add(Membership(person_id=world.tess, group_id=world.zuid, role="trainer"))
        session.add(Membership(person_id=world.anna, group_id=world.zuid, role="professional"))

    await app.db.write(also)
    await review.runs_of(world.tess, world.anna)
    assert sorted(e.group_name for e in await audit.entries(world.cora, world.amsterdam)) == [
        "Noord",
        "Zuid",
    ]


async def test_looking_at_a_push_is_recorded(app, world, audit, review):
    def push(session: Any) -> int:
        row = Push(
            group_id=world.noord,
            dialogue_id="drijfveren",
            created_by=world.tess,
            scheduled_at=START,
            due_at=START,
            status="sent",
        )
        session.add(row)
        session.flush()
        return row.id

    push_id = await app.db.write(push)
    await add_answer(app, world.anna, push_id)
    seen = await review.push_answers(world.tess, push_id)
    assert [a.shown for a in seen[world.anna]] == ["Het plein gaf energie"]
    with pytest.raises(AccessDenied):
        await review.push_answers(world.uma, push_id)
    assert summary(await audit.entries(world.cora, world.amsterdam)) == [
        (VIEW_ANSWERS, "Tess", "Noord", "", f"push {push_id}")
    ]


# -- reading the log ----------------------------------------------------------------------------


async def test_only_coordinators_of_the_organisation_read_its_log(world, audit):
    await audit.record(world.tess, EXPORT, group_id=world.noord, detail="csv")
    assert summary(await audit.entries(world.cora, world.amsterdam)) == [
        (EXPORT, "Tess", "Noord", "", "csv")
    ]
    for name in ("tess", "tom", "anna", "carla", "uma", "hanna", "olaf"):
        with pytest.raises(AccessDenied):
            await audit.entries(world.people[name], world.amsterdam)
    with pytest.raises(AccessDenied):
        await audit.entries(world.cora, world.utrecht)
    with pytest.raises(AccessDenied):
        await audit.entries(world.cora, 999_999)


async def test_entries_newest_first_limited_and_kept_after_erasure(app, world, audit, clock):
    for minute in range(5):
        clock.set(START + timedelta(minutes=minute))
        await audit.record(world.tess, VIEW_ANSWERS, group_id=world.noord, subject_id=world.anna)
    await audit.record(world.uma, VIEW_ANSWERS, group_id=world.centrum)  # Utrecht's own
    await audit.record(world.tess, "reveal_names", organisation_id=world.amsterdam)
    latest = await audit.entries(world.cora, world.amsterdam, limit=3)
    assert [e.action for e in latest] == ["reveal_names", VIEW_ANSWERS, VIEW_ANSWERS]
    assert [e.at for e in latest[1:]] == [START + timedelta(minutes=m) for m in (4, 3)]
    assert len(await audit.entries(world.cora, world.amsterdam)) == 6
    with pytest.raises(ValueError, match="limit"):
        await audit.entries(world.cora, world.amsterdam, limit=0)
    with pytest.raises(ValueError, match="action"):
        await audit.record(world.tess, "")

    def erase(session: Any) -> None:  # Anna uses her right to be forgotten
        session.execute(delete(Person).where(Person.id == world.anna))

    await app.db.write(erase)
    after = await audit.entries(world.cora, world.amsterdam)
    assert len(after) == 6  # the event stays, without the person
    assert {(e.subject_id, e.subject_name) for e in after if e.action == VIEW_ANSWERS} == {
        (None, "")
    }


# -- the operator's export ----------------------------------------------------------------------


def test_an_export_is_recorded_for_each_organisation_in_it(cli, settings, shared_engine):
    async def prepare(app: App) -> World:
        found = await make_world(app)
        await add_answer(app, found.anna)
        await add_answer(app, found.hanna)
        return found

    async def with_app(work: Any) -> Any:
        app = await build(settings, migrate=False, engine=shared_engine)
        try:
            return await work(app)
        finally:
            await app.close()

    w = asyncio.run(with_app(prepare))
    code, out, _ = cli("export", "--format", "csv")
    assert code == 0
    assert out.count("Het plein gaf energie") == 2

    async def logs(app: App) -> tuple[list[AuditView], list[AuditView]]:
        audit = Audit(app.db)
        return (
            await audit.entries(w.cora, w.amsterdam),
            await audit.entries(w.carla, w.utrecht),
        )

    for entries in asyncio.run(with_app(logs)):
        assert [(e.action, e.actor_id, e.group_id, e.detail) for e in entries] == [
            (EXPORT, None, None, "cli csv")
        ]
