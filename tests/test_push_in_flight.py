"""Pushes sent at most once: the in-flight mark and what a later worker does with it.

A claim waits (in the rate limiter) until its request leaves; `Pushes.in_flight`
marks that moment. After a crash, a claim that never left is sent again, one that
was in flight never is: it is counted as delivered, with an unknown message id,
and the reminder still follows. Same fixtures as tests/test_pushes.py (SQLite, and
PostgreSQL with STRAATWIJS_TEST_DATABASE_URL).
"""

from __future__ import annotations

import dataclasses
import logging
from datetime import timedelta

import pytest

from bot.services.pushes import (
    CLAIMED,
    IN_FLIGHT,
    PROGRESS_OF,
    UNCONFIRMED,
    UNSETTLED,
    ClaimLost,
    Pushes,
)
from bot.store.models import Delivery
from tests import test_pushes
from tests.test_pushes import (
    DIALOGUE,
    START,
    add_run,
    deliver,
    deliveries,
    push_row,
    sent_push,
)

# The fixtures of tests/test_pushes.py (pytest finds fixtures by name in the module).
clock, db, pushes, world = test_pushes.clock, test_pushes.db, test_pushes.pushes, test_pushes.world

LEASE = timedelta(seconds=60)


async def test_a_claim_that_never_left_is_sent_again_one_in_flight_is_not(
    db, pushes, world, clock, caplog
):
    push = await pushes.create(world.trainer, world.group, DIALOGUE, None)
    claims = await pushes.claim_due()
    a, b, c = (next(x for x in claims if x.person_id == p) for p in world.pros)
    await pushes.in_flight(a)  # left; then the worker died before the answer came back
    await pushes.in_flight(b)
    await pushes.delivered(b.delivery_id, 77)  # left and recorded
    # c was still waiting in the rate limiter when the worker died.
    rows = await deliveries(db, push.id)
    assert [rows[p].status for p in world.pros] == ["in_flight", "delivered", "sending"]

    clock.advance(LEASE + timedelta(seconds=1))
    caplog.set_level(logging.INFO, logger="bot.services.pushes")
    again = await pushes.claim_due()
    assert [x.person_id for x in again] == [c.person_id]  # only the one that never left
    row = (await deliveries(db, push.id))[a.person_id]
    assert (row.status, row.message_id, row.error) == ("delivered", None, UNCONFIRMED)
    assert row.delivered_at == clock.now()
    assert row.lease_until is None

    await deliver(pushes, again)
    assert (await push_row(db, push.id)).status == "sent"
    summary, _ = await pushes.progress(world.trainer, push.id)
    assert summary.counts["delivered"] == 3

    (logged,) = [r.getMessage() for r in caplog.records if "not sent again" in r.getMessage()]
    assert logged.startswith(f"delivery {a.delivery_id} of push {push.id}: ")
    for secret in ("200", "Team Noord", "Tess", "Zwolle"):  # no ids, group or trainer names
        assert secret not in logged


async def test_in_flight_renews_the_lease_so_a_slow_answer_is_not_taken_for_a_crash(
    db, pushes, world, clock
):
    push = await pushes.create(world.trainer, world.group, DIALOGUE, None)
    (claim, *_) = await pushes.claim_due()
    clock.advance(timedelta(seconds=50))  # a long wait in the rate limiter
    await pushes.in_flight(claim)
    clock.advance(timedelta(seconds=30))  # past the claim's lease, not the mark's
    await pushes.claim_due()
    assert (await deliveries(db, push.id))[claim.person_id].status == "in_flight"
    await pushes.delivered(claim.delivery_id, 5)
    row = (await deliveries(db, push.id))[claim.person_id]
    assert (row.status, row.message_id, row.error) == ("delivered", 5, None)


async def test_of_two_workers_holding_one_expired_claim_only_the_first_sends(
    db, pushes, world, clock
):
    other = Pushes(db, clock, worker="other")
    await pushes.create(world.trainer, world.group, DIALOGUE, None)
    stale = await pushes.claim_due()  # this worker then hangs in its rate limiter
    clock.advance(LEASE + timedelta(seconds=1))
    fresh = await other.claim_due()
    assert sorted(x.delivery_id for x in fresh) == sorted(x.delivery_id for x in stale)

    first, second = stale[0], fresh[0]
    assert first.delivery_id == second.delivery_id
    await pushes.in_flight(first)  # the stale worker woke up first: it sends
    with pytest.raises(ClaimLost):
        await other.in_flight(second)  # the other one must not
    await pushes.delivered(first.delivery_id, 9)
    with pytest.raises(ClaimLost):  # settled: nobody sends it any more
        await pushes.in_flight(first)


async def test_a_settled_or_failed_delivery_cannot_be_marked_in_flight(db, pushes, world):
    await pushes.create(world.trainer, world.group, DIALOGUE, None)
    done, retried, *_ = await pushes.claim_due()
    await pushes.delivered(done.delivery_id, 1)
    await pushes.failed(retried.delivery_id, "TimedOut", blocked=False)  # pending, backing off
    for claim in (done, retried):
        with pytest.raises(ClaimLost):
            await pushes.in_flight(claim)


async def test_a_refused_request_is_claimed_again_and_a_crash_then_resends_it(
    db, pushes, world, clock
):
    push = await pushes.create(world.trainer, world.group, DIALOGUE, None)
    claims = await pushes.claim_due()
    await pushes.in_flight(claims[0])
    await pushes.not_in_flight(claims[0])  # 429: nothing left; the worker dies in the wait
    assert (await deliveries(db, push.id))[claims[0].person_id].status == "sending"
    await deliver(pushes, claims[1:])
    clock.advance(LEASE + timedelta(seconds=1))
    (again,) = await pushes.claim_due()
    assert again.delivery_id == claims[0].delivery_id
    await pushes.in_flight(again)  # and the new claim can be sent
    await pushes.not_in_flight(claims[1])  # a late undo of a settled one changes nothing
    assert (await deliveries(db, push.id))[claims[1].person_id].status == "delivered"


async def test_a_failure_after_the_mark_is_retried_as_before(db, pushes, world, clock):
    push = await pushes.create(world.trainer, world.group, DIALOGUE, None)
    (claim, *_) = await pushes.claim_due()
    await pushes.in_flight(claim)
    await pushes.failed(claim.delivery_id, "NetworkError", blocked=False)  # retries used up
    row = (await deliveries(db, push.id))[claim.person_id]
    assert (row.status, row.next_at) == ("pending", START + timedelta(seconds=30))
    assert (await push_row(db, push.id)).status == "sending"


async def test_a_push_counted_without_an_answer_still_gets_its_reminder(db, pushes, world, clock):
    push = await pushes.create(world.trainer, world.group, DIALOGUE, None)
    claims = await pushes.claim_due()
    lost = claims[0]
    await pushes.in_flight(lost)  # perhaps it never arrived
    await deliver(pushes, claims[1:])
    clock.advance(LEASE + timedelta(seconds=1))
    assert await pushes.claim_due() == []
    recovered = clock.now()
    await add_run(db, claims[1].person_id, "finished", recovered, push.id)

    clock.advance(timedelta(hours=47, minutes=58))
    assert await pushes.claim_reminders() == []
    clock.advance(timedelta(minutes=2))  # 48 h after it was counted as delivered
    reminders = await pushes.claim_reminders()
    assert sorted(r.person_id for r in reminders) == sorted([lost.person_id, claims[2].person_id])


async def test_a_reminder_in_flight_is_counted_sent_and_not_sent_again(
    db, pushes, world, clock, caplog
):
    push_id = await sent_push(pushes, world)
    clock.advance(timedelta(hours=48))
    reminders = await pushes.claim_reminders()
    assert len(reminders) == 3
    await pushes.in_flight(reminders[0])  # went out; the worker died
    # reminders[1] and [2] were still waiting in the rate limiter
    assert (await deliveries(db, push_id))[reminders[0].person_id].status == "remind_in_flight"
    assert await pushes.status_of(reminders[0].person_id, push_id) == "delivered"

    clock.advance(LEASE + timedelta(seconds=1))
    caplog.set_level(logging.WARNING, logger="bot.services.pushes")
    assert await pushes.claim_due() == []  # settles the one in flight
    again = await pushes.claim_reminders()
    assert sorted(r.person_id for r in again) == sorted(r.person_id for r in reminders[1:])
    row = (await deliveries(db, push_id))[reminders[0].person_id]
    assert (row.status, row.reminders_sent, row.error) == ("delivered", 1, UNCONFIRMED)
    assert any("sending the reminder" in r.getMessage() for r in caplog.records)
    await deliver(pushes, again)
    clock.advance(timedelta(days=7))
    assert await pushes.claim_reminders() == []  # one reminder each, the lost one included
    summary_rows = await deliveries(db, push_id)
    assert {d.reminders_sent for d in summary_rows.values()} == {1}


async def test_a_reminder_refused_then_crashed_is_sent_again(db, pushes, world, clock):
    push_id = await sent_push(pushes, world)
    clock.advance(timedelta(hours=48))
    (reminder, *rest) = await pushes.claim_reminders()
    await deliver(pushes, rest)
    await pushes.in_flight(reminder)
    await pushes.not_in_flight(reminder)
    assert (await deliveries(db, push_id))[reminder.person_id].status == "reminding"
    clock.advance(LEASE + timedelta(seconds=1))
    (again,) = await pushes.claim_reminders()
    assert again.delivery_id == reminder.delivery_id


async def test_in_flight_needs_the_claim_of_its_kind(db, pushes, world, clock):
    """A push claim cannot mark a reminder in flight, nor the other way round."""
    push_id = await sent_push(pushes, world)
    clock.advance(timedelta(hours=48))
    (reminder, *_) = await pushes.claim_reminders()
    with pytest.raises(ClaimLost):
        await pushes.in_flight(dataclasses.replace(reminder, kind="push"))
    assert (await deliveries(db, push_id))[reminder.person_id].status == "reminding"


def test_every_delivery_status_fits_its_column():
    """Statuses are plain strings (no CHECK constraint), but PostgreSQL enforces the
    column's length."""
    length = Delivery.__table__.c.status.type.length
    statuses = {*UNSETTLED, *CLAIMED.values(), *IN_FLIGHT.values(), *PROGRESS_OF}
    assert max(map(len, statuses)) <= length
