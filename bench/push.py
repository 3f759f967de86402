"""A trainer's push to a whole group, against Telegram's real limits.

The fake Bot API enforces the limits (30 messages/s overall with a burst of 30,
1/s per chat with a burst of 3) and records every refusal. The bot side is the
real thing: `Pushes` (claims with leases on a SQLite file), the `Dispatcher`
that sends claimed messages, and the `ChatRateLimiter` at its default rates in
front of PTB's bot.

- rate: one push to `members` people; achieved messages/s vs the 30/s limit.
- kill: the same push, but the sending task is cancelled once half the group
  has its message; after the lease has run out a new worker (a new PTB
  application with its own limiter, new Pushes and Dispatcher, same database)
  finishes the push. Every member must end up with exactly one message.
  Deliveries that were in flight at the kill are counted as delivered without
  being sent again (bot/services/pushes/outbox.py); `unconfirmed` says how many, and `missing`
  counts members who really got nothing, whatever the database says.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time
from typing import Any

from sqlalchemy import func, insert, select

from bench.common import TOKEN, bench_settings, person_rows, shared_engine, temp_database
from tests.fake_telegram import FakeTelegram

LIMIT = 30.0  # messages per second, Telegram's overall limit for a bot
POLL = 0.02


@dataclass
class World:
    fake: FakeTelegram
    app: Any
    settings: Any
    members: list[int]  # Telegram user ids
    push_id: int


@asynccontextmanager
async def world(members: int) -> AsyncIterator[World]:
    """A database with one group of `members` professionals and a trainer's push, due now."""
    from bot.bootstrap import build
    from bot.store.models import Group, Membership, Organisation, Person

    with temp_database() as url:
        settings = bench_settings(url)
        fake = FakeTelegram(token=TOKEN, limits=True)
        users = [fake.user(f"P{i}", started=True) for i in range(members)]
        trainer = fake.user("Trainer", started=True)
        app = await build(settings, migrate=False, engine=shared_engine())
        now = datetime.now(UTC)

        def seed(session: Any) -> tuple[int, int]:
            organisation = Organisation(name="Bench")
            session.add(organisation)
            session.flush()
            group = Group(organisation_id=organisation.id, name="Jongerenwerk")
            session.add(group)
            session.flush()
            rows = person_rows([trainer, *users], now)
            session.execute(insert(Person), rows)
            found = session.execute(select(Person.external_id, Person.id))
            ids = dict(found.all())
            trainer_id = ids[str(trainer.id)]
            memberships = [
                {
                    "person_id": ids[str(u.id)],
                    "group_id": group.id,
                    "role": "professional",
                    "created_at": now,
                }
                for u in users
            ]
            memberships.append(
                {
                    "person_id": trainer_id,
                    "group_id": group.id,
                    "role": "trainer",
                    "created_at": now,
                }
            )
            session.execute(insert(Membership), memberships)
            return trainer_id, group.id

        trainer_id, group_id = await app.db.write(seed)
        push = await pushes_for(app, "bench-setup").create(trainer_id, group_id, "drijfveren", None)
        try:
            yield World(fake, app, settings, [u.id for u in users], push.id)
        finally:
            await app.close()


def pushes_for(app: Any, worker: str, lease: timedelta = timedelta(seconds=60)) -> Any:
    """A Pushes service as a worker builds it, with no quiet hours (the bench runs any time)."""
    from bot.clock import SystemClock
    from bot.services.pushes import Pushes, QuietHours

    return Pushes(
        app.db, SystemClock(), QuietHours(clock_time(0), clock_time(0)), lease=lease, worker=worker
    )


@dataclass
class Worker:
    """A running sender: the Dispatcher and its task."""

    dispatcher: Any
    task: asyncio.Task[None]

    async def stop(self) -> None:
        """A clean stop (SIGTERM): `Dispatcher.stop` lets the current batch finish."""
        stop = getattr(self.dispatcher, "stop", None)
        if stop is not None:
            await stop(self.task)
        else:
            await self.kill()

    async def kill(self) -> None:
        """The task cancelled wherever it is, mid-send included (as in a crash)."""
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.task


@asynccontextmanager
async def worker(
    w: World, name: str, lease: timedelta, rate: float = LIMIT
) -> AsyncIterator[Worker]:
    """One bot worker sending pushes: its own PTB application, limiter and Dispatcher.

    `rate` is the worker's share of Telegram's overall limit (STRAATWIJS_TELEGRAM_RATE),
    used as `make_application` uses it.
    """
    from bot.telegram.dispatch import Dispatcher
    from bot.telegram.limiter import ChatRateLimiter
    from bot.telegram.runner import make_application

    application = make_application(
        w.settings,
        request=w.fake.ptb_request(),
        get_updates_request=w.fake.ptb_request(),
        rate_limiter=ChatRateLimiter(overall_rate=rate, overall_burst=max(1.0, rate)),
    )
    async with application:
        dispatcher = Dispatcher(application.bot, pushes_for(w.app, name, lease), w.app.catalog)
        running = Worker(dispatcher, asyncio.create_task(dispatcher.run()))
        try:
            yield running
        finally:
            if not running.task.done():
                await running.stop()


class Sent:
    """Counts successful sendMessage calls to the members, incrementally."""

    def __init__(self, w: World) -> None:
        self.w = w
        self.members = set(w.members)
        self.seen = 0
        self.per_member: Counter[int] = Counter()
        self.last_at = 0.0

    def update(self) -> int:
        calls = self.w.fake.calls
        while self.seen < len(calls):
            call = calls[self.seen]
            self.seen += 1
            if call.method == "sendMessage" and call.status == 200:
                chat = int(call.params.get("chat_id", 0))
                if chat in self.members:
                    self.per_member[chat] += 1
                    self.last_at = time.perf_counter()
        return sum(self.per_member.values())

    async def until(self, count: int, timeout: float) -> None:  # noqa: ASYNC109
        deadline = time.perf_counter() + timeout
        while self.update() < count:
            if time.perf_counter() > deadline:
                raise TimeoutError(f"{self.update()} of {count} push messages sent")
            await asyncio.sleep(POLL)


async def delivered(w: World) -> int:
    from bot.store.models import Delivery

    def work(session: Any) -> int:
        query = select(func.count()).select_from(Delivery)
        return int(session.scalar(query.where(Delivery.status == "delivered")) or 0)

    return await w.app.db.read(work)


async def open_deliveries(w: World) -> int:
    """Deliveries a worker still has to send or settle (in flight ones included)."""
    from bot.services.pushes import UNSETTLED
    from bot.store.models import Delivery

    def work(session: Any) -> int:
        query = select(func.count()).select_from(Delivery)
        query = query.where(Delivery.status.in_(UNSETTLED))
        return int(session.scalar(query) or 0)

    return await w.app.db.read(work)


async def unconfirmed(w: World) -> set[int]:
    """Telegram ids of members whose delivery was counted as delivered without
    Telegram's answer (in flight when its worker died; never sent again)."""
    from bot.services.pushes import UNCONFIRMED
    from bot.store.models import Delivery, Person

    def work(session: Any) -> set[int]:
        query = (
            select(Person.external_id)
            .join(Delivery, Delivery.person_id == Person.id)
            .where(Delivery.status == "delivered", Delivery.error == UNCONFIRMED)
        )
        return {int(external_id) for external_id in session.scalars(query).all()}

    return await w.app.db.read(work)


async def rate(members: int) -> dict[str, Any]:
    """Messages per second for one push to `members` people, and flood violations."""
    async with world(members) as w:
        sent = Sent(w)
        start = time.perf_counter()
        async with worker(w, "bench-rate", timedelta(seconds=60)):
            await sent.until(members, timeout=members / LIMIT * 3 + 30)
            for _ in range(200):  # let the last results be recorded before stopping
                if await open_deliveries(w) == 0:
                    break
                await asyncio.sleep(POLL)
        achieved = members / (sent.last_at - start)
        return {
            "rate": achieved,
            "ratio": achieved / LIMIT,
            "violations": len(w.fake.flood_violations),
            "valid": sent.update() == members and await open_deliveries(w) == 0,
        }


async def kill(members: int, lease_s: float = 2.0, graceful: bool = False) -> dict[str, Any]:
    """Stop the sender half-way, let a new worker finish after the lease; count messages.

    `graceful=False`: the sending task is cancelled wherever it is (the benchmark line;
    a crash loses the same). `graceful=True`: `Dispatcher.stop`, as on SIGTERM.
    """
    lease = timedelta(seconds=lease_s)
    async with world(members) as w:
        sent = Sent(w)
        async with worker(w, "bench-1", lease) as first:
            await sent.until(members // 2, timeout=members / LIMIT * 3 + 30)
            if graceful:
                await first.stop()
            else:
                await first.kill()
        at_kill = sent.update()
        unrecorded = at_kill - await delivered(w)  # sent, but the result not committed
        await asyncio.sleep(lease_s + 0.5)  # the dead worker's claims expire
        async with worker(w, "bench-2", lease):
            deadline = time.perf_counter() + members / LIMIT * 3 + 30
            while await open_deliveries(w) > 0:
                if time.perf_counter() > deadline:
                    break
                await asyncio.sleep(0.1)
        sent.update()
        counts = [sent.per_member.get(m, 0) for m in w.members]
        uncertain = await unconfirmed(w)
        return {
            "at_kill": at_kill,
            "unrecorded_at_kill": unrecorded,
            "duplicates": sum(c - 1 for c in counts if c > 1),
            "missing": sum(1 for c in counts if c == 0),
            # in flight at the kill: how many, and how many of those never arrived
            "unconfirmed": len(uncertain),
            "unconfirmed_missing": sum(1 for m in uncertain if sent.per_member.get(m, 0) == 0),
            "violations": len(w.fake.flood_violations),
            "open": await open_deliveries(w),
        }


async def two_workers(members: int, rate: float = LIMIT) -> dict[str, Any]:
    """Not a benchmark line: one push sent by two workers at once (as with two bot
    replicas), each limiter allowing `rate` messages/s overall. Telegram's limit is per
    bot, not per process: at the default 30/s each, two workers exceed it together."""
    async with world(members) as w:
        sent = Sent(w)
        start = time.perf_counter()
        lease = timedelta(seconds=60)
        async with worker(w, "bench-a", lease, rate), worker(w, "bench-b", lease, rate):
            await sent.until(members, timeout=members / min(rate * 2, LIMIT) * 3 + 30)
            for _ in range(200):
                if await open_deliveries(w) == 0:
                    break
                await asyncio.sleep(POLL)
        counts = [sent.per_member.get(m, 0) for m in w.members]
        return {
            "rate": members / (sent.last_at - start),
            "violations": len(w.fake.flood_violations),
            "duplicates": sum(c - 1 for c in counts if c > 1),
            "missing": sum(1 for c in counts if c == 0),
        }
