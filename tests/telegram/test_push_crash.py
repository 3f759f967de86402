"""A push sender that dies in the middle of a push: nobody gets it twice, nobody is
forgotten, and a message that may have been lost is still followed by the reminder.

The dying worker is the real `Dispatcher` and `ChatRateLimiter` in front of the fake
Bot API; its results never reach the database (as if it died each time right after
Telegram took a message), and its task is then cancelled. A second worker takes over
once the lease (60 s, on the test's FakeClock) has run out.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from telegram.ext import ExtBot

from bot.services.pushes import UNCONFIRMED, Pushes
from bot.store.models import Delivery, Person
from bot.telegram import ChatRateLimiter, Dispatcher, dispatcher
from tests.telegram.conftest import TOKEN, Telegram
from tests.telegram.conftest import Person as Chat
from tests.telegram.test_trainers import a_due_push

LEASE = timedelta(seconds=61)  # the default lease of 60 s has run out


def pushes_to(person: Chat) -> int:
    return sum("zette een oefening voor je klaar" in (m.text or "") for m in person.messages)


def reminders_to(person: Chat) -> int:
    return sum((m.text or "").startswith("Herinnering:") for m in person.messages)


class Unrecorded:
    """The push service of a worker that dies before it records any result: claims and
    in-flight marks reach the database, `delivered()` never returns."""

    def __init__(self, pushes: Pushes) -> None:
        self._pushes = pushes

    def __getattr__(self, name: str) -> Any:
        return getattr(self._pushes, name)

    async def delivered(self, delivery_id: int, message_id: int | None) -> None:
        await asyncio.Event().wait()


@contextlib.asynccontextmanager
async def slow_bot(tg: Telegram, rate: float) -> AsyncIterator[ExtBot[Any]]:
    """A bot whose limiter lets `rate` messages a second go, so a batch waits in it."""
    bot: ExtBot[Any] = ExtBot(
        TOKEN,
        base_url=tg.fake.base_url,
        base_file_url=tg.fake.base_file_url,
        request=tg.fake.ptb_request(),
        get_updates_request=tg.fake.ptb_request(),
        rate_limiter=ChatRateLimiter(overall_rate=rate, overall_burst=1),
    )
    async with bot:
        yield bot


async def kill(task: asyncio.Task[Any]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def statuses(tg: Telegram) -> dict[str, tuple[str, int | None, str | None]]:
    """First name -> (delivery status, message id, error)."""

    def work(session: Any) -> dict[str, tuple[str, int | None, str | None]]:
        rows = session.execute(
            select(Person.first_name, Delivery.status, Delivery.message_id, Delivery.error).join(
                Person, Person.id == Delivery.person_id
            )
        )
        return {name: (status, message, error) for name, status, message, error in rows.all()}

    return await tg.app.db.read(work)


async def test_a_sender_killed_mid_push_sends_nothing_twice_and_forgets_nobody(tg, caplog):
    pros = await a_due_push(tg, ("Ali", "Bo", "Cas", "Dirk", "Eva", "Fen"))
    async with slow_bot(tg, rate=5.0) as bot:  # one message every 200 ms
        first = Dispatcher(bot, Unrecorded(tg.app.pushes), tg.app.catalog)
        task = asyncio.create_task(first.tick())
        await tg.fake.wait_for(lambda: sum(map(pushes_to, pros)) >= 2, 10, "two pushes")
        await kill(task)  # the rest of the batch is still waiting in the limiter
    arrived = {p.user.first_name for p in pros if pushes_to(p) == 1}
    assert 2 <= len(arrived) < len(pros)
    before = await statuses(tg)
    assert {before[name][0] for name in arrived} == {"in_flight"}
    assert {before[p.user.first_name][0] for p in pros if p.user.first_name not in arrived} == {
        "sending"
    }

    tg.clock.advance(LEASE)
    caplog.set_level(logging.WARNING, logger="bot.services.pushes")
    second = dispatcher(tg.application, tg.app)  # a new worker
    assert await second.tick() == len(pros) - len(arrived)  # only what never left
    assert await second.tick() == 0
    assert [pushes_to(p) for p in pros] == [1] * len(pros)

    after = await statuses(tg)
    for name in arrived:  # counted as delivered, Telegram's answer unknown
        assert after[name] == ("delivered", None, UNCONFIRMED)
    assert {status for status, _, _ in after.values()} == {"delivered"}
    logged = [r.getMessage() for r in caplog.records if "not sent again" in r.getMessage()]
    assert len(logged) == len(arrived)
    for name in (*arrived, "Tess", "Jongerenwerk", *(str(p.user.id) for p in pros)):
        assert all(name not in line for line in logged)

    # Two days later the reminder goes to everyone who has not started, the ones whose
    # push was never confirmed included: a message that was in fact lost is covered.
    tg.clock.advance(timedelta(hours=48))
    assert await second.tick() == len(pros)
    assert [reminders_to(p) for p in pros] == [1] * len(pros)
    assert await second.tick() == 0


@pytest.mark.slow
async def test_a_sender_killed_in_a_flood_wait_sends_that_message_after_the_lease(tg):
    """Telegram refused the request (429), so nothing went out: a crash during the wait
    must not count the message as delivered."""
    (ali,) = await a_due_push(tg, ("Ali",))
    tg.fake.impose_flood(retry_after=5, count=1)
    first = Dispatcher(tg.application.bot, Unrecorded(tg.app.pushes), tg.app.catalog)
    task = asyncio.create_task(first.tick())
    await tg.fake.wait_for(lambda: any(c.status == 429 for c in tg.fake.calls), 5, "the 429")
    for _ in range(200):  # until the refusal is recorded (the limiter waits 5 s)
        if (await statuses(tg))["Ali"][0] == "sending":
            break
        await asyncio.sleep(0.01)
    await kill(task)
    assert pushes_to(ali) == 0
    assert (await statuses(tg))["Ali"][0] == "sending"

    tg.clock.advance(LEASE)
    assert await tg.dispatch() == 1
    assert pushes_to(ali) == 1
    assert (await statuses(tg))["Ali"][0] == "delivered"


async def test_a_worker_that_wakes_up_after_losing_its_claim_does_not_send(tg, caplog):
    ali, bo = await a_due_push(tg, ("Ali", "Bo"))
    stale = await tg.app.pushes.claim_due()  # a worker claims, then hangs for a while
    tg.clock.advance(LEASE)
    assert await tg.dispatch() == 2  # another worker takes over and sends
    caplog.set_level(logging.INFO, logger="bot.telegram.dispatch")
    woken = dispatcher(tg.application, tg.app)
    await asyncio.gather(*(woken.send(claim) for claim in stale))  # the first one wakes up
    assert [pushes_to(ali), pushes_to(bo)] == [1, 1]
    assert sum("no longer claimed" in r.getMessage() for r in caplog.records) == 2
    assert {status for status, _, _ in (await statuses(tg)).values()} == {"delivered"}
