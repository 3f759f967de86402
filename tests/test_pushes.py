"""Trainer pushes: quiet hours, typed times, sending once, leases, reminders, progress.

Runs on SQLite and on PostgreSQL (STRAATWIJS_TEST_DATABASE_URL). The clock is a
FakeClock; "now" starts on Friday 27 November 2026, 15:00 in Amsterdam.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import delete, select

from bot.clock import FakeClock
from bot.engine import RunState
from bot.services.pushes import (
    TZ,
    Claim,
    PushError,
    Pushes,
    QuietHours,
    parse_when,
)
from bot.store.db import Database, create_engine
from bot.store.models import Delivery, Membership, Person, Push
from bot.store.repo import Repository

START = datetime(2026, 11, 27, 15, 0, tzinfo=TZ)  # a Friday afternoon
DIALOGUE = "zolder"


def local(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    """An Amsterdam wall-clock moment as aware UTC (as the service returns them)."""
    return datetime(year, month, day, hour, minute, tzinfo=TZ).astimezone(UTC)


# -- quiet hours -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("hour", "minute", "quiet"),
    [
        (20, 59, False),
        (21, 0, True),
        (23, 59, True),
        (0, 0, True),
        (7, 59, True),
        (8, 0, False),
        (12, 0, False),
    ],
)
def test_quiet_hours_contains(hour, minute, quiet):
    assert QuietHours().contains(local(2026, 11, 27, hour, minute)) is quiet


def test_a_push_at_half_past_ten_waits_until_eight():
    assert QuietHours().next_allowed(local(2026, 11, 27, 22, 30)) == local(2026, 11, 28, 8)
    assert QuietHours().next_allowed(local(2026, 11, 28, 3, 0)) == local(2026, 11, 28, 8)
    noon = local(2026, 11, 27, 12)
    assert QuietHours().next_allowed(noon) == noon


def test_quiet_hours_across_daylight_saving_changes():
    quiet = QuietHours()
    # Last Sunday of March: 02:00 CET -> 03:00 CEST; the night is an hour shorter.
    spring = quiet.next_allowed(local(2026, 3, 28, 22, 30))
    assert spring == datetime(2026, 3, 29, 6, 0, tzinfo=UTC)  # 08:00 CEST
    assert spring - local(2026, 3, 28, 22, 30) == timedelta(hours=8, minutes=30)
    assert quiet.contains(datetime(2026, 3, 29, 5, 30, tzinfo=UTC))  # 07:30 CEST
    assert not quiet.contains(datetime(2026, 3, 29, 6, 30, tzinfo=UTC))  # 08:30 CEST
    in_the_gap = datetime(2026, 3, 29, 1, 30, tzinfo=UTC)  # 03:30 CEST, just after the jump
    assert quiet.next_allowed(in_the_gap) == spring
    # Last Sunday of October: 03:00 CEST -> 02:00 CET; the night is an hour longer.
    autumn = quiet.next_allowed(local(2026, 10, 24, 22, 30))
    assert autumn == datetime(2026, 10, 25, 7, 0, tzinfo=UTC)  # 08:00 CET
    assert autumn - local(2026, 10, 24, 22, 30) == timedelta(hours=10, minutes=30)
    assert quiet.contains(datetime(2026, 10, 25, 6, 30, tzinfo=UTC))  # 07:30 CET
    assert not quiet.contains(datetime(2026, 10, 25, 7, 0, tzinfo=UTC))  # 08:00 CET


def test_other_quiet_hours():
    daytime = QuietHours(start=time(9), end=time(17))
    assert daytime.contains(local(2026, 11, 27, 12))
    assert not daytime.contains(local(2026, 11, 27, 18))
    assert daytime.next_allowed(local(2026, 11, 27, 12)) == local(2026, 11, 27, 17)
    never = QuietHours(start=time(0), end=time(0))
    assert not never.contains(local(2026, 11, 27, 3))


def test_naive_moments_are_refused():
    with pytest.raises(ValueError, match="naive"):
        QuietHours().contains(datetime(2026, 11, 27, 22))


# -- parsing a typed moment -------------------------------------------------------

NOW = START.astimezone(UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Dutch
        ("nu", NOW),
        ("Nu", NOW),
        ("vandaag 16:00", local(2026, 11, 27, 16)),
        ("vandaag om 16.30", local(2026, 11, 27, 16, 30)),
        ("morgen 9:00", local(2026, 11, 28, 9)),
        ("morgen om 9 uur", local(2026, 11, 28, 9)),
        ("overmorgen 9u", local(2026, 11, 29, 9)),
        ("maandag 09:00", local(2026, 11, 30, 9)),
        ("ma 9:00", local(2026, 11, 30, 9)),
        ("Ma. 9u30", local(2026, 11, 30, 9, 30)),
        ("vrijdag 16:00", local(2026, 11, 27, 16)),  # today: still ahead
        ("vr 14:00", local(2026, 12, 4, 14)),  # today's 14:00 has passed: next week
        ("volgende vrijdag 16:00", local(2026, 12, 4, 16)),
        ("zo 10:00", local(2026, 11, 29, 10)),
        ("1-12 9:00", local(2026, 12, 1, 9)),
        ("01-12-2026 09:00", local(2026, 12, 1, 9)),
        ("1/12 9:00", local(2026, 12, 1, 9)),
        ("1 december 9", local(2026, 12, 1, 9)),
        ("dinsdag 1 december 9:00", local(2026, 12, 1, 9)),
        ("2-1 9:00", local(2027, 1, 2, 9)),  # the nearest 2 January is next year
        ("9:00 morgen", local(2026, 11, 28, 9)),
        ("17:00", local(2026, 11, 27, 17)),
        # English
        ("now", NOW),
        ("today 16:00", local(2026, 11, 27, 16)),
        ("tomorrow 9", local(2026, 11, 28, 9)),
        ("tomorrow at 9am", local(2026, 11, 28, 9)),
        ("tomorrow 9:30 pm", local(2026, 11, 28, 21, 30)),
        ("monday 9:00", local(2026, 11, 30, 9)),
        ("mon 9.00", local(2026, 11, 30, 9)),
        ("on Tuesday at 14:00", local(2026, 12, 1, 14)),
        ("2026-12-01 09:00", local(2026, 12, 1, 9)),
        ("December 1 9:00", local(2026, 12, 1, 9)),
        ("12pm", local(2026, 11, 27, 12)),  # noon today: past, returned as is
        # Summer time is handled per date
        ("2027-07-01 09:00", datetime(2027, 7, 1, 7, 0, tzinfo=UTC)),
    ],
)
def test_parse_when(text, expected):
    assert parse_when(text, START) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "morgen",  # a day without a time
        "straks",
        "bla 9:00",
        "25:00",
        "9:75",
        "31-2 9:00",
        "2026-13-01 09:00",
        "dinsdag 30 november 9:00",  # 30 November is a Monday
        "next 1-12 9:00",
        "13pm",
    ],
)
def test_parse_when_unparseable(text):
    assert parse_when(text, START) is None


def test_parse_when_returns_past_moments_as_they_are():
    assert parse_when("vandaag 9:00", START) == local(2026, 11, 27, 9)
    assert parse_when("26-11 9:00", START) == local(2026, 11, 26, 9)  # not next year
    assert parse_when("01-12-2025 09:00", START) == local(2025, 12, 1, 9)


# -- a group to push to -----------------------------------------------------------


@dataclass(frozen=True)
class World:
    group: int
    other_group: int
    empty_group: int
    trainer: int
    other_trainer: int
    pros: tuple[int, ...]
    outsider: int  # a professional of the other group


async def seed(db: Database) -> World:
    def work(session) -> World:
        repo = Repository(session)
        repo.add_organisation("Zwolle")
        north = repo.add_group("Zwolle", "Team Noord")
        south = repo.add_group("Zwolle", "Team Zuid")
        empty = repo.add_group("Zwolle", "Team Leeg")

        def person(external_id: str, name: str, group_id: int, role: str) -> int:
            who = repo.ensure_person("telegram", external_id, name, "nl")
            who.consented_at = START
            repo.add_membership(who.id, group_id, role)
            return who.id

        trainer = person("100", "Tess", north.id, "trainer")
        pros = [person(str(200 + i), n, north.id, "professional") for i, n in enumerate("ABC")]
        other_trainer = person("300", "Olga", south.id, "trainer")
        outsider = person("301", "Omar", south.id, "professional")
        repo.add_membership(other_trainer, empty.id, "trainer")
        return World(north.id, south.id, empty.id, trainer, other_trainer, tuple(pros), outsider)

    return await db.write(work)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
async def db(settings) -> AsyncIterator[Database]:
    """The same database as the `app` fixture's `app.db`, without loading and
    validating the dialogue catalogue for every test: pushes never read
    dialogues, and this file should neither wait for nor break on them."""
    database = Database(create_engine(settings.database_url, settings.db_busy_timeout))
    try:
        yield database
    finally:
        await database.dispose()


@pytest.fixture
async def world(db) -> World:
    return await seed(db)


@pytest.fixture
def pushes(db, clock) -> Pushes:
    return Pushes(db, clock, worker="test")


async def deliveries(db: Database, push_id: int) -> dict[int, Delivery]:
    def work(session):
        rows = session.execute(select(Delivery).where(Delivery.push_id == push_id))
        return {d.person_id: d for d in rows.scalars()}

    return await db.read(work)


async def push_row(db: Database, push_id: int) -> Push:
    return await db.read(lambda session: session.get(Push, push_id))


async def add_run(
    db: Database, person_id: int, status: str, started_at: datetime, push_id: int | None
) -> None:
    def work(session):
        state = RunState(dialogue_id=DIALOGUE, version="test", state="intro", status=status)
        run = Repository(session).create_run(person_id, state)
        run.push_id = push_id
        run.started_at = started_at

    await db.write(work)


async def set_active(db: Database, person_id: int, active: bool) -> None:
    def work(session):
        session.get(Person, person_id).active = active

    await db.write(work)


async def leave(db: Database, person_id: int, group_id: int) -> None:
    def work(session):
        session.execute(
            delete(Membership).where(
                Membership.person_id == person_id, Membership.group_id == group_id
            )
        )

    await db.write(work)


async def deliver(pushes: Pushes, claims: list[Claim]) -> None:
    for n, claim in enumerate(claims):
        await pushes.delivered(claim.delivery_id, 1000 + n)


async def sent_push(pushes: Pushes, world: World, **kwargs) -> int:
    """A push created now, sent and delivered to everyone."""
    summary = await pushes.create(world.trainer, world.group, DIALOGUE, None, **kwargs)
    await deliver(pushes, await pushes.claim_due())
    return summary.id


# -- creating ------------------------------------------------------------------------


async def test_create_schedules_and_reports(pushes, world):
    monday = parse_when("maandag 9:00", START)
    summary = await pushes.create(world.trainer, world.group, DIALOGUE, monday, note="  Succes!  ")
    assert summary.status == "scheduled"
    assert (summary.scheduled_at, summary.due_at) == (monday, monday)
    assert summary.group_name == "Team Noord"
    assert summary.note == "Succes!"
    assert summary.counts == {
        "pending": 3,
        "delivered": 0,
        "started": 0,
        "finished": 0,
        "failed": 0,
    }


async def test_a_late_evening_push_waits_for_the_morning_unless_overridden(pushes, world, clock):
    evening = local(2026, 11, 27, 22, 30)
    moved = await pushes.create(world.trainer, world.group, DIALOGUE, evening)
    assert moved.scheduled_at == evening
    assert moved.due_at == local(2026, 11, 28, 8)
    kept = await pushes.create(world.trainer, world.group, DIALOGUE, evening, override_quiet=True)
    assert kept.due_at == evening

    clock.set(local(2026, 11, 27, 22, 31))
    claims = await pushes.claim_due()
    assert {c.push_id for c in claims} == {kept.id}
    await deliver(pushes, claims)
    clock.set(local(2026, 11, 28, 8))
    assert {c.push_id for c in await pushes.claim_due()} == {moved.id}


async def test_now_during_quiet_hours_is_moved_too(pushes, world, clock):
    clock.set(local(2026, 11, 27, 23))
    summary = await pushes.create(world.trainer, world.group, DIALOGUE, None)
    assert summary.due_at == local(2026, 11, 28, 8)
    assert await pushes.claim_due() == []


async def test_only_a_trainer_of_the_group_may_push(pushes, world):
    for person in (world.pros[0], world.other_trainer, world.outsider):
        with pytest.raises(PushError) as raised:
            await pushes.create(person, world.group, DIALOGUE, None)
        assert raised.value.code == "not_trainer"
    with pytest.raises(PushError) as raised:
        await pushes.create(world.trainer, 9999, DIALOGUE, None)
    assert raised.value.code == "not_trainer"


async def test_a_time_in_the_past_is_refused(pushes, world):
    with pytest.raises(PushError) as raised:
        await pushes.create(world.trainer, world.group, DIALOGUE, parse_when("vandaag 9:00", START))
    assert raised.value.code == "in_past"
    # Typing takes a moment: half a minute ago still counts as now.
    recent = START - timedelta(seconds=30)
    assert (await pushes.create(world.trainer, world.group, DIALOGUE, recent)).due_at == recent


async def test_an_empty_group_is_refused(db, pushes, world):
    with pytest.raises(PushError) as raised:
        await pushes.create(world.other_trainer, world.empty_group, DIALOGUE, None)
    assert raised.value.code == "empty_group"
    for pro in world.pros:  # everyone blocked the bot: nobody to reach
        await set_active(db, pro, False)
    with pytest.raises(PushError) as raised:
        await pushes.create(world.trainer, world.group, DIALOGUE, None)
    assert raised.value.code == "empty_group"


# -- sending once --------------------------------------------------------------------


async def test_claims_go_out_once_when_due(db, pushes, world, clock):
    monday = parse_when("maandag 9:00", START)
    push = await pushes.create(world.trainer, world.group, DIALOGUE, monday, note="Zolder!")
    assert await pushes.claim_due() == []

    clock.set(monday)
    claims = await pushes.claim_due()
    assert sorted(c.person_id for c in claims) == sorted(world.pros)
    first = next(c for c in claims if c.person_id == world.pros[0])
    assert first == Claim(
        delivery_id=first.delivery_id,
        push_id=push.id,
        kind="push",
        person_id=world.pros[0],
        channel="telegram",
        external_id="200",
        locale="nl",
        first_name="A",
        dialogue_id=DIALOGUE,
        note="Zolder!",
        group_name="Team Noord",
    )
    assert await pushes.claim_due() == []  # claimed, not yet reported
    assert (await push_row(db, push.id)).status == "sending"

    await deliver(pushes, claims)
    assert await pushes.claim_due() == []
    row = await push_row(db, push.id)
    assert (row.status, row.sent_at) == ("sent", monday)
    assert {d.status for d in (await deliveries(db, push.id)).values()} == {"delivered"}


async def test_a_push_due_during_downtime_is_sent_once_afterwards(db, pushes, world, clock):
    monday = parse_when("maandag 9:00", START)
    push = await pushes.create(world.trainer, world.group, DIALOGUE, monday)
    clock.set(monday + timedelta(days=3))  # nobody ran the bot from Friday to Thursday
    claims = await pushes.claim_due()
    assert sorted(c.person_id for c in claims) == sorted(world.pros)
    assert await pushes.claim_due() == []
    await deliver(pushes, claims)
    assert await pushes.claim_due() == []
    assert len(await deliveries(db, push.id)) == 3
    assert (await push_row(db, push.id)).status == "sent"


async def test_two_workers_never_claim_the_same_message(db, database_url, clock, world):
    """Two processes on one database: each delivery is claimed exactly once.

    Both pools are connected first, so the claims really overlap (PostgreSQL:
    without SKIP LOCKED the second worker claims the same rows again).
    """
    for _ in range(4):
        await Pushes(db, clock).create(world.trainer, world.group, DIALOGUE, None)
    second = Database(create_engine(database_url, busy_timeout=5.0))
    try:
        await db.ping()
        await second.ping()
        one = Pushes(db, clock, worker="one")
        two = Pushes(second, clock, worker="two")
        ids: list[int] = []
        for _ in range(6):  # the first round also races on fanning out the pushes
            a, b = await asyncio.gather(one.claim_due(limit=4), two.claim_due(limit=4))
            ids += [c.delivery_id for c in a + b]
        assert len(ids) == 12
        assert len(set(ids)) == 12
        assert await one.claim_due() == []
        assert await two.claim_due() == []
    finally:
        await second.dispose()


async def test_claims_respect_the_limit(pushes, world):
    await pushes.create(world.trainer, world.group, DIALOGUE, None)
    first = await pushes.claim_due(limit=2)
    rest = await pushes.claim_due(limit=2)
    assert len(first) == 2
    assert len(rest) == 1
    assert {c.delivery_id for c in first}.isdisjoint(c.delivery_id for c in rest)


async def test_a_claim_of_a_dead_worker_is_claimed_again_after_the_lease(db, pushes, world, clock):
    await pushes.create(world.trainer, world.group, DIALOGUE, None)
    claims = await pushes.claim_due()  # ... and the worker dies before sending
    assert len(claims) == 3
    clock.advance(timedelta(seconds=30))
    assert await pushes.claim_due() == []  # the lease still holds
    clock.advance(timedelta(seconds=31))
    again = await pushes.claim_due()
    assert sorted(c.delivery_id for c in again) == sorted(c.delivery_id for c in claims)
    rows = await deliveries(db, claims[0].push_id)
    assert {d.attempts for d in rows.values()} == {2}


async def test_a_transient_failure_is_retried_with_backoff_then_given_up(db, pushes, world, clock):
    push = await pushes.create(world.trainer, world.group, DIALOGUE, None)
    claims = await pushes.claim_due()
    target = next(c for c in claims if c.person_id == world.pros[0])
    await deliver(pushes, [c for c in claims if c is not target])

    await pushes.failed(target.delivery_id, "timed out", blocked=False)
    row = (await deliveries(db, push.id))[world.pros[0]]
    assert (row.status, row.next_at, row.error) == (
        "pending",
        START + timedelta(seconds=30),
        "timed out",
    )
    assert await pushes.claim_due() == []
    assert (await push_row(db, push.id)).status == "sending"

    for attempt in range(2, 6):
        clock.advance(timedelta(minutes=10))
        (claim,) = await pushes.claim_due()
        assert claim.delivery_id == target.delivery_id
        await pushes.failed(claim.delivery_id, "server error", blocked=False)
        row = (await deliveries(db, push.id))[world.pros[0]]
        assert row.attempts == attempt
    assert row.status == "failed"
    assert (await push_row(db, push.id)).status == "sent"
    _, members = await pushes.progress(world.trainer, push.id)
    assert {m.person_id: m.status for m in members}[world.pros[0]] == "failed"


async def test_a_blocked_member_is_marked_and_skipped_by_later_pushes(db, pushes, world):
    first = await pushes.create(world.trainer, world.group, DIALOGUE, None)
    claims = await pushes.claim_due()
    blocker = next(c for c in claims if c.person_id == world.pros[1])
    await pushes.failed(blocker.delivery_id, "Forbidden: bot was blocked by the user", blocked=True)
    await deliver(pushes, [c for c in claims if c is not blocker])
    summary, members = await pushes.progress(world.trainer, first.id)
    assert summary.counts["failed"] == 1
    assert {m.person_id: m.status for m in members}[world.pros[1]] == "failed"

    second = await pushes.create(world.trainer, world.group, DIALOGUE, None)
    claims = await pushes.claim_due()
    assert sorted(c.person_id for c in claims) == sorted([world.pros[0], world.pros[2]])
    row = (await deliveries(db, second.id))[world.pros[1]]
    assert (row.status, row.error) == ("failed", "blocked")
    assert (await pushes.progress(world.trainer, second.id))[0].counts["failed"] == 1


async def test_a_member_who_left_before_sending_is_skipped(db, pushes, world, clock):
    monday = parse_when("maandag 9:00", START)
    push = await pushes.create(world.trainer, world.group, DIALOGUE, monday)
    clock.set(monday)
    await pushes.claim_due(limit=1)
    await leave(db, world.pros[2], world.group)
    rest = await pushes.claim_due()
    assert world.pros[2] not in {c.person_id for c in rest}
    assert (await deliveries(db, push.id))[world.pros[2]].status == "skipped"
    _, members = await pushes.progress(world.trainer, push.id)
    assert world.pros[2] not in {m.person_id for m in members}
    assert await pushes.status_of(world.pros[2], push.id) == "skipped"


async def test_reports_are_idempotent_and_unknown_deliveries_are_not_found(db, pushes, world):
    push = await pushes.create(world.trainer, world.group, DIALOGUE, None)
    (claim, *_) = await pushes.claim_due()
    await pushes.delivered(claim.delivery_id, 7)
    await pushes.delivered(claim.delivery_id, 8)  # a repeated report changes nothing
    await pushes.failed(claim.delivery_id, "late", blocked=False)
    row = (await deliveries(db, push.id))[claim.person_id]
    assert (row.status, row.message_id, row.error) == ("delivered", 7, None)
    with pytest.raises(PushError) as raised:
        await pushes.delivered(9999, 1)
    assert raised.value.code == "not_found"


# -- cancelling -----------------------------------------------------------------------


async def test_cancel_before_and_after_sending(db, pushes, world, clock):
    monday = parse_when("maandag 9:00", START)
    push = await pushes.create(world.trainer, world.group, DIALOGUE, monday)
    for person, code in ((world.other_trainer, "not_trainer"), (world.pros[0], "not_trainer")):
        with pytest.raises(PushError) as raised:
            await pushes.cancel(person, push.id)
        assert raised.value.code == code
    with pytest.raises(PushError) as raised:
        await pushes.cancel(world.trainer, 9999)
    assert raised.value.code == "not_found"

    assert (await pushes.cancel(world.trainer, push.id)).status == "cancelled"
    assert (await pushes.cancel(world.trainer, push.id)).status == "cancelled"  # twice is fine
    clock.set(monday)
    assert await pushes.claim_due() == []
    assert await deliveries(db, push.id) == {}

    sent = await sent_push(pushes, world)
    with pytest.raises(PushError) as raised:
        await pushes.cancel(world.trainer, sent)
    assert raised.value.code == "not_cancellable"
    sending = await pushes.create(world.trainer, world.group, DIALOGUE, None)
    await pushes.claim_due()
    with pytest.raises(PushError) as raised:
        await pushes.cancel(world.trainer, sending.id)
    assert raised.value.code == "not_cancellable"


# -- reminders ------------------------------------------------------------------------


async def test_reminders_after_48_hours_for_who_did_not_finish(db, pushes, world, clock):
    push_id = await sent_push(pushes, world)
    a, b, c = world.pros
    await add_run(db, a, "finished", START + timedelta(hours=1), push_id)
    await add_run(db, b, "active", START + timedelta(hours=1), push_id)

    pushed_message = (await deliveries(db, push_id))[b].message_id
    clock.advance(timedelta(hours=47))
    assert await pushes.claim_reminders() == []
    clock.advance(timedelta(hours=1))
    reminders = await pushes.claim_reminders()
    assert sorted(r.person_id for r in reminders) == sorted([b, c])  # started counts as not done
    assert {r.kind for r in reminders} == {"reminder"}
    assert await pushes.claim_reminders() == []  # claimed
    await deliver(pushes, reminders)

    rows = await deliveries(db, push_id)
    assert (rows[b].status, rows[b].reminders_sent, rows[b].last_reminder_at) == (
        "delivered",
        1,
        clock.now(),
    )
    assert rows[b].message_id == pushed_message  # the push's own message id is kept
    clock.advance(timedelta(days=7))
    assert await pushes.claim_reminders() == []  # at most one by default
    _, members = await pushes.progress(world.trainer, push_id)
    assert {m.person_id: m.reminders_sent for m in members} == {a: 0, b: 1, c: 1}


async def test_no_reminder_during_quiet_hours(pushes, world, clock):
    clock.set(local(2026, 11, 27, 23))
    await pushes.create(world.trainer, world.group, DIALOGUE, None, override_quiet=True)
    await deliver(pushes, await pushes.claim_due())
    clock.advance(timedelta(hours=48))  # Sunday 23:00
    assert await pushes.claim_reminders() == []
    clock.set(local(2026, 11, 30, 7, 59))
    assert await pushes.claim_reminders() == []
    clock.set(local(2026, 11, 30, 8))
    assert len(await pushes.claim_reminders()) == 3


async def test_no_reminder_when_turned_off_blocked_or_gone(db, pushes, world, clock):
    push_id = await sent_push(pushes, world)
    a, b, c = world.pros
    await pushes.set_reminders(a, False)
    await set_active(db, b, False)
    await leave(db, c, world.group)
    clock.advance(timedelta(hours=48))
    assert await pushes.claim_reminders() == []
    await pushes.set_reminders(a, True)
    assert [r.person_id for r in await pushes.claim_reminders()] == [a]
    with pytest.raises(PushError) as raised:
        await pushes.set_reminders(9999, True)
    assert raised.value.code == "not_found"
    assert (await deliveries(db, push_id))[a].status == "reminding"


async def test_a_run_from_the_menu_after_the_push_counts_as_done(db, pushes, world, clock):
    push_id = await sent_push(pushes, world)
    a, b, _ = world.pros
    await add_run(db, a, "finished", START + timedelta(hours=2), None)  # after delivery
    await add_run(db, b, "finished", START - timedelta(days=10), None)  # long before
    clock.advance(timedelta(hours=48))
    assert a not in {r.person_id for r in await pushes.claim_reminders()}
    assert await pushes.status_of(a, push_id) == "finished"
    assert await pushes.status_of(b, push_id) == "delivered"  # a reminder is in flight


async def test_more_reminders_when_configured_and_failed_reminders_retry(db, clock, world):
    pushes = Pushes(db, clock, max_reminders=2, worker="test")
    push_id = await sent_push(pushes, world)
    clock.advance(timedelta(hours=48))
    reminders = await pushes.claim_reminders()
    assert len(reminders) == 3
    flaky, *rest = reminders
    await deliver(pushes, rest)
    await pushes.failed(flaky.delivery_id, "timed out", blocked=False)
    assert await pushes.claim_reminders() == []  # backing off
    clock.advance(timedelta(seconds=31))
    assert [r.delivery_id for r in await pushes.claim_reminders()] == [flaky.delivery_id]
    await pushes.delivered(flaky.delivery_id, None)

    clock.advance(timedelta(hours=47, minutes=59))
    assert await pushes.claim_reminders() == []
    clock.advance(timedelta(minutes=2))
    second = await pushes.claim_reminders()
    assert len(second) == 3
    await deliver(pushes, second)
    clock.advance(timedelta(days=7))
    assert await pushes.claim_reminders() == []
    assert {d.reminders_sent for d in (await deliveries(db, push_id)).values()} == {2}


async def test_a_reminder_of_a_dead_worker_is_claimed_again(pushes, world, clock):
    await sent_push(pushes, world)
    clock.advance(timedelta(hours=48))
    first = await pushes.claim_reminders()
    clock.advance(timedelta(seconds=30))
    assert await pushes.claim_reminders() == []
    clock.advance(timedelta(seconds=31))
    again = await pushes.claim_reminders()
    assert sorted(r.delivery_id for r in again) == sorted(r.delivery_id for r in first)


async def test_blocking_on_a_reminder_marks_the_member_failed(db, pushes, world, clock):
    push_id = await sent_push(pushes, world)
    clock.advance(timedelta(hours=48))
    (reminder, *_) = await pushes.claim_reminders()
    await pushes.failed(reminder.delivery_id, "Forbidden", blocked=True)
    assert await pushes.status_of(reminder.person_id, push_id) == "failed"
    person = await db.read(lambda session: session.get(Person, reminder.person_id))
    assert person.active is False


# -- progress, lists and access ---------------------------------------------------------


async def test_progress_counts_started_and_finished_runs(db, pushes, world, clock):
    push = await pushes.create(world.trainer, world.group, DIALOGUE, None)
    claims = await pushes.claim_due()
    summary, members = await pushes.progress(world.trainer, push.id)
    assert summary.status == "sending"
    assert summary.counts["pending"] == 3

    await deliver(pushes, claims)
    a, b, c = world.pros
    clock.advance(timedelta(hours=1))
    await add_run(db, a, "finished", clock.now(), push.id)
    await add_run(db, b, "paused", clock.now(), push.id)
    summary, members = await pushes.progress(world.trainer, push.id)
    assert summary.status == "sent"
    assert summary.counts == {
        "pending": 0,
        "delivered": 1,
        "started": 1,
        "finished": 1,
        "failed": 0,
    }
    assert [(m.first_name, m.status) for m in members] == [
        ("A", "finished"),
        ("B", "started"),
        ("C", "delivered"),
    ]
    assert [await pushes.status_of(p, push.id) for p in (a, b, c)] == [
        "finished",
        "started",
        "delivered",
    ]
    assert await pushes.status_of(world.outsider, push.id) == "skipped"
    with pytest.raises(PushError) as raised:
        await pushes.status_of(a, 9999)
    assert raised.value.code == "not_found"


async def test_list_is_newest_first_and_only_for_the_groups_trainer(pushes, world):
    first = await pushes.create(world.trainer, world.group, DIALOGUE, None)
    second = await pushes.create(world.trainer, world.group, "politiewerk", None)
    await pushes.cancel(world.trainer, second.id)
    listed = await pushes.list(world.trainer, world.group)
    assert [(s.id, s.status) for s in listed] == [(second.id, "cancelled"), (first.id, "scheduled")]
    assert await pushes.list(world.other_trainer, world.other_group) == []
    for person, group in ((world.other_trainer, world.group), (world.pros[0], world.group)):
        with pytest.raises(PushError) as raised:
            await pushes.list(person, group)
        assert raised.value.code == "not_trainer"
    for person in (world.other_trainer, world.pros[0]):
        with pytest.raises(PushError) as raised:
            await pushes.progress(person, first.id)
        assert raised.value.code == "not_trainer"
    with pytest.raises(PushError) as raised:
        await pushes.progress(world.trainer, 9999)
    assert raised.value.code == "not_found"
