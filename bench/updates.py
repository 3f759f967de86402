"""End-to-end updates per second through the real python-telegram-bot Application.

Three bots on one harness: the fake Bot API in-process (no socket, no flood
limits), updates the fake creates fed to `Application.process_update`, replies
going back over PTB's HTTP client to the fake, and the same ChatRateLimiter
(with pacing rates set out of the way) in front of every bot.

- `full`: the real Straatwijs bot (`make_application` + `attach`), engine, every
  answer committed to a SQLite file database before the reply is sent.
- `echo`: a bare bot that answers every text and every button press with one
  message (a press is answered first, as Telegram wants).
- `conversation`: drijfveren as a PTB ConversationHandler + PicklePersistence
  (bench/convbot.py); its pickle file is written once at the end of the timed
  part, as PTB would on shutdown (PTB flushes every 60 s by default).

The workload: people do the drijfveren exercise from its start button to its
last answer (8 or 9 updates each, half of them through the low-confidence
branch), `lanes` people at a time, each waiting for the bot before the next tap.
The three bots run side by side and take turns every `lanes` people: this VM's
speed drifts by up to 2x within seconds, and bots measured one after the other
caught different moments (the ratio to the ConversationHandler bot swung from
0.51 to 0.89 between identical runs). `bench/breakdown.py` shows where each
bot's time goes.
"""

from __future__ import annotations

import asyncio
import contextlib
import pickle
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select
from telegram import Update
from telegram.ext import CallbackQueryHandler, ContextTypes, MessageHandler, filters

from bench.common import (
    TOKEN,
    bench_settings,
    load_catalog,
    person_rows,
    shared_engine,
    temp_database,
)
from bot.telegram.limiter import ChatRateLimiter
from tests.fake_telegram import FakeTelegram, FakeUser

WAAROM = "Een jongen die ik al maanden volg vroeg om hulp"
GRENS = "Ik ga nooit alleen een woning in"


@dataclass(frozen=True)
class Step:
    kind: str  # "open", "press" (a button label) or "text"
    value: str


def script(index: int) -> list[Step]:
    """One person's way through drijfveren; even indexes take the low-confidence branch."""
    low = index % 2 == 0
    steps = [
        Step("open", "o:drijfveren"),
        Step("press", "Ik begin"),
        Step("text", WAAROM),
        Step("press", "⬜ Verbinding"),
        Step("press", "⬜ Zorg voor anderen"),
        Step("press", "Klaar ✅"),
        Step("press", "2" if low else "4"),
    ]
    if low:
        steps.append(Step("press", "Ja"))
    steps.append(Step("text", GRENS))
    return steps


def fast_limiter() -> ChatRateLimiter:
    """The real limiter (retries included) with pacing out of the way: the fake's limits
    are off here; bench/push.py measures pacing against the real limits."""
    return ChatRateLimiter(
        chat_rate=10_000, chat_burst=10_000, overall_rate=10_000, overall_burst=10_000
    )


@dataclass
class Harness:
    """A running bot: the fake, the PTB application and how to check the outcome."""

    name: str
    fake: FakeTelegram
    application: Any
    users: list[FakeUser]
    by_label: bool  # presses find their button by label (False: the echo bot has none)
    extra: dict[str, Any]

    async def act(self, user: FakeUser, step: Step) -> None:
        fake = self.fake
        if step.kind == "text":
            update = await fake.send_text(user, step.value)
        else:
            if step.kind == "open":
                await fake.press_data(user, 1, step.value)
            elif self.by_label:
                await fake.press(user, step.value)
            else:
                await fake.press_data(user, fake.last(user).message_id, "echo")
            update = fake.world.pending()[-1]
        fake.world.drop_pending()  # nothing polls; keep the fake's queue short
        await self.application.process_update(Update.de_json(update, self.application.bot))


async def play(harness: Harness, people: list[int]) -> tuple[int, float]:
    """These people play their scripts at the same time, each waiting for the bot before
    the next tap; returns (updates, seconds)."""

    async def person(index: int) -> None:
        for step in script(index):
            await harness.act(harness.users[index], step)

    start = time.perf_counter()
    await asyncio.gather(*(person(index) for index in people))
    return sum(len(script(index)) for index in people), time.perf_counter() - start


async def run_workload(harness: Harness, lanes: int) -> tuple[int, float]:
    """Every person's script, `lanes` people at a time; returns (updates, seconds)."""
    updates, seconds = 0, 0.0
    for batch in batches(len(harness.users), lanes):
        done, took = await play(harness, batch)
        updates, seconds = updates + done, seconds + took
    return updates, seconds + await flush(harness)


def batches(people: int, lanes: int) -> list[list[int]]:
    return [list(range(i, min(i + lanes, people))) for i in range(0, people, lanes)]


async def flush(harness: Harness) -> float:
    """Seconds the bot takes to write what it keeps in memory (the pickle, for the
    ConversationHandler bot), counted as part of its timed work."""
    if "flush" not in harness.extra:
        return 0.0
    start = time.perf_counter()
    await harness.extra["flush"]()
    return time.perf_counter() - start


# -- the three bots -------------------------------------------------------------------------


def _users(fake: FakeTelegram, people: int) -> list[FakeUser]:
    return [fake.user(f"P{i}", started=True) for i in range(people)]


@asynccontextmanager
async def full_bot(people: int) -> AsyncIterator[Harness]:
    """The real bot on a fresh SQLite file; the people have joined a group and consented."""
    from bot.bootstrap import build
    from bot.store.models import Membership, Person
    from bot.store.repo import Repository
    from bot.telegram.runner import attach, make_application

    with temp_database() as url:
        settings = bench_settings(url)
        fake = FakeTelegram(token=TOKEN, limits=False)
        users = _users(fake, people)
        app = await build(settings, migrate=False, engine=shared_engine())
        now = datetime.now(UTC)

        def seed(session: Any) -> None:
            repo = Repository(session)
            repo.add_organisation("Bench")
            group = repo.add_group("Bench", "Jongerenwerk")
            rows = person_rows(users, now)
            session.execute(insert(Person), rows)
            ids = session.execute(select(Person.id)).scalars().all()
            session.execute(
                insert(Membership),
                [
                    {
                        "person_id": i,
                        "group_id": group.id,
                        "role": "professional",
                        "created_at": now,
                    }
                    for i in ids
                ],
            )

        await app.db.write(seed)
        application = make_application(
            settings,
            request=fake.ptb_request(),
            get_updates_request=fake.ptb_request(),
            rate_limiter=fast_limiter(),
        )
        attach(application, app)
        try:
            async with application:
                yield Harness("full", fake, application, users, True, {"app": app})
        finally:
            await app.close()


async def check_full(harness: Harness) -> bool:
    """Every person finished drijfveren, with all answers stored."""
    from bot.store.models import AnswerRow, Run

    app = harness.extra["app"]

    def work(session: Any) -> tuple[int, int]:
        finished = session.scalar(
            select(func.count()).select_from(Run).where(Run.status == "finished")
        )
        answers = session.scalar(select(func.count()).select_from(AnswerRow))
        return finished, answers

    finished, answers = await app.db.read(work)
    people = len(harness.users)
    expected_answers = sum(5 if i % 2 == 0 else 4 for i in range(people))
    return finished == people and answers == expected_answers


@asynccontextmanager
async def echo_bot(people: int) -> AsyncIterator[Harness]:
    """A bare echo bot: one message back for every text and every press."""
    fake = FakeTelegram(token=TOKEN, limits=False)
    users = _users(fake, people)
    application = fake.application_builder().rate_limiter(fast_limiter()).build()

    async def on_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        assert update.effective_message.text is not None
        await update.effective_message.reply_text(update.effective_message.text)

    async def on_press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        assert update.effective_chat is not None
        await query.answer()
        await context.bot.send_message(update.effective_chat.id, query.data or "")

    application.add_handler(MessageHandler(filters.TEXT, on_text))
    application.add_handler(CallbackQueryHandler(on_press))
    async with application:
        yield Harness("echo", fake, application, users, False, {})


def check_echo(harness: Harness) -> bool:
    return all(len(harness.fake.sent(u)) == len(script(i)) for i, u in enumerate(harness.users))


@asynccontextmanager
async def conversation_bot(people: int) -> AsyncIterator[Harness]:
    """drijfveren as a ConversationHandler with PicklePersistence (bench/convbot.py)."""
    from bench.convbot import build_application

    fake = FakeTelegram(token=TOKEN, limits=False)
    users = _users(fake, people)
    with tempfile.TemporaryDirectory(prefix="straatwijs-bench-ch-") as folder:
        path = Path(folder) / "conversation.pickle"
        application = build_application(
            fake.application_builder(), load_catalog(), path, fast_limiter()
        )
        async with application:
            yield Harness(
                "conversation",
                fake,
                application,
                users,
                True,
                {"flush": application.update_persistence, "path": path},
            )


def check_conversation(harness: Harness) -> bool:
    """Every person saw the closing text, and the pickle holds every answer."""
    path: Path = harness.extra["path"]
    with path.open("rb") as handle:
        stored = pickle.load(handle)
    user_data = stored["user_data"]
    for index, user in enumerate(harness.users):
        if "Je koos voor" not in (harness.fake.last(user).text or ""):
            return False
        run = user_data.get(user.id, {}).get("drijfveren", {})
        if not run.get("finished") or len(run.get("answers", {})) != (5 if index % 2 == 0 else 4):
            return False
    return True


BOTS = {
    "full": (full_bot, check_full),
    "echo": (echo_bot, check_echo),
    "conversation": (conversation_bot, check_conversation),
}


async def _checked(harness: Harness) -> bool:
    result = BOTS[harness.name][1](harness)
    valid = bool(await result) if asyncio.iscoroutine(result) else bool(result)
    assert harness.fake.unknown_calls == [], harness.fake.unknown_calls
    return valid


async def measure(name: str, people: int, lanes: int) -> tuple[float, bool]:
    """Updates per second of one bot on its own, and whether its output was right."""
    async with BOTS[name][0](people) as harness:
        updates, seconds = await run_workload(harness, lanes)
        return updates / seconds, await _checked(harness)


async def interleaved(people: int, lanes: int) -> dict[str, tuple[float, bool]]:
    """One pass: the three bots running side by side, taking turns every `lanes` people
    (first bot alternating), so the machine's slow and fast moments (this VM's speed
    drifts by up to 2x over seconds) fall on all three alike; updates/s and validity."""
    async with contextlib.AsyncExitStack() as stack:
        harnesses = [await stack.enter_async_context(BOTS[n][0](people)) for n in BOTS]
        totals = {h.name: [0, 0.0] for h in harnesses}
        for turn, batch in enumerate(batches(people, lanes)):
            for harness in harnesses if turn % 2 == 0 else harnesses[::-1]:
                done, took = await play(harness, batch)
                totals[harness.name][0] += done
                totals[harness.name][1] += took
        result = {}
        for harness in harnesses:
            updates, seconds = totals[harness.name]
            seconds += await flush(harness)
            result[harness.name] = (updates / seconds, await _checked(harness))
        return result


async def compare(people: int, lanes: int, rounds: int) -> list[dict[str, tuple[float, bool]]]:
    """`rounds` interleaved passes, each on fresh bots: per pass, each bot's updates/s
    and whether its output was right. Ratios are best taken per pass (same moments)."""
    if rounds > 1:  # warm-up: imports, first connections (not worth it for one round)
        await measure("full", max(2, lanes), lanes)
    return [await interleaved(people, lanes) for _ in range(rounds)]
