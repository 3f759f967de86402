"""kill -9 of a real `straatwijs run` process at random points of a scripted conversation.

Each kill point: a fresh `straatwijs run` (long polling against the fake Bot API on
loopback, the same test database every time) resumes the person's exercise through
`/oefeningen`, gets one scripted input, and is killed with SIGKILL after a random
delay (fixed seed). Then the next process starts (it first gets the input again if the
dead one had not confirmed it to Telegram), the person resumes, and we check:

* no acknowledged answer lost: if the bot showed any reaction to the input before it
  died (an answered button, an edited question, a new message), the input is applied
  in the database;
* no answer stored twice: every typed answer is unique, and is stored at most once
  (and exactly once if it was applied);
* the person resumes at the same step: `/oefeningen` > 🪞 Zelfkennis shows the
  exercise as ⏳ (in progress; ✅ once the input finished it), and opening it shows
  the "stap n van m" of the step the database holds: the step shown before the input
  if the input was lost, the step after it if it was applied.

`STRAATWIJS_KILL_POINTS` sets the number of kill points (default 5, for CI); the
full run is `STRAATWIJS_KILL_POINTS=50 .venv/bin/pytest tests/faults/test_kill.py`.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import string
import sys
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.store.db import Database, create_engine
from bot.store.models import AnswerRow, HandledUpdate, Run
from tests.fake_telegram import FakeTelegram, FakeUser, SentMessage
from tests.faults.conftest import ERROR_TEXT
from tests.telegram.conftest import TOKEN

log = logging.getLogger(__name__)
EXE = str(Path(sys.executable).parent / "straatwijs")
KILL_POINTS = int(os.environ.get("STRAATWIJS_KILL_POINTS", "5"))
SEED = 20261127
MAX_DELAY = 1.5  # seconds after an input: covers fetching, the commit and the replies
TIMEOUT = 30.0

EXERCISE = "Wat drijft jou? · 5 min"
# The step label each state of `drijfveren` shows on the path this script takes.
LABELS = {
    "intro": "stap 1 van 6",
    "waarom": "stap 2 van 6",
    "kern": "stap 3 van 6",
    "zeker": "stap 4 van 6",
    "grens": "stap 5 van 5",
}


@dataclass(frozen=True)
class RunSnapshot:
    id: int
    state: str
    status: str
    step: int
    pending: tuple[str, ...]


@dataclass(frozen=True)
class Input:
    """One scripted input: typed text, or a button label on the question."""

    text: str | None = None
    label: str | None = None


class BotProcess:
    """A `straatwijs run` child process with its log in a file."""

    def __init__(self, env: dict[str, str], cwd: Path, log: Path) -> None:
        self.env = env
        self.cwd = cwd
        self.log = log
        self.proc: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        with self.log.open("wb") as err:
            self.proc = await asyncio.create_subprocess_exec(
                EXE,
                "run",
                env=self.env,
                cwd=self.cwd,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=err,
            )

    async def kill(self) -> None:
        """SIGKILL: no shutdown, no flushing, no goodbye."""
        assert self.proc is not None
        if self.proc.returncode is None:
            self.proc.kill()
        await self.proc.wait()

    async def stop(self) -> int:
        assert self.proc is not None
        if self.proc.returncode is None:
            self.proc.terminate()
        return await asyncio.wait_for(self.proc.wait(), 20)

    @property
    def output(self) -> str:
        return self.log.read_text(errors="replace")


class Conversation:
    """The person, the fake Telegram, and the database as the test sees them."""

    def __init__(self, fake: FakeTelegram, user: FakeUser, db: Database) -> None:
        self.fake = fake
        self.user = user
        self.db = db
        self.words = random.Random(SEED + 1)

    def sent(self) -> list[SentMessage]:
        return self.fake.sent(self.user)

    async def new_message(self, since: int, predicate: Any, what: str) -> SentMessage:
        """The first bot message after the first `since` that satisfies `predicate`."""
        found: list[SentMessage] = []

        def check() -> bool:
            found[:] = [m for m in self.sent()[since:] if predicate(m)]
            return bool(found)

        await self.fake.wait_for(check, TIMEOUT, what)
        return found[0]

    async def resume(self) -> tuple[SentMessage, str]:
        """`/oefeningen` > 🪞 Zelfkennis > the exercise: its question and the status shown."""
        since = len(self.sent())
        await self.fake.send_text(self.user, "/oefeningen")
        menu = await self.new_message(since, lambda m: "🪞 Zelfkennis" in m.labels, "the menu")
        await self.fake.press(self.user, "🪞 Zelfkennis", message_id=menu.message_id)
        await self.fake.wait_for(
            lambda: any(EXERCISE in label for label in menu.labels), TIMEOUT, "the family menu"
        )
        (label,) = [label for label in menu.labels if EXERCISE in label]
        since = len(self.sent())
        await self.fake.press(self.user, label, message_id=menu.message_id)
        question = await self.new_message(since, lambda m: "stap " in (m.text or ""), "a question")
        return question, label.split(" ", 1)[0]

    def text_answer(self) -> str:
        word = "".join(self.words.choice(string.ascii_lowercase) for _ in range(12))
        return f"mijn antwoord {word} over het werk"

    async def run(self) -> RunSnapshot | None:
        """The person's open run of the exercise (None after it finished)."""

        def work(session: Any) -> RunSnapshot | None:
            row = (
                session.execute(
                    select(Run)
                    .where(Run.dialogue_id == "drijfveren", Run.status.in_(("active", "paused")))
                    .order_by(Run.id.desc())
                )
            ).scalar()
            if row is None:
                return None
            return RunSnapshot(row.id, row.state, row.status, row.step, tuple(row.pending or ()))

        return await self.db.read(work)

    async def run_by_id(self, run_id: int) -> RunSnapshot:
        def work(session: Any) -> RunSnapshot:
            row = session.get(Run, run_id)
            return RunSnapshot(row.id, row.state, row.status, row.step, tuple(row.pending or ()))

        return await self.db.read(work)

    async def wait_handled(self, update_id: int) -> None:
        """Until the update's id is recorded: it is committed, and the person's lock is
        held while its replies go out (a menu press made now cannot overtake it)."""

        def work(session: Any) -> bool:
            return session.get(HandledUpdate, update_id) is not None

        for _ in range(int(TIMEOUT * 20)):
            if await self.db.read(work):
                return
            await asyncio.sleep(0.05)
        raise TimeoutError(f"update {update_id} was not handled")

    async def count_text(self, text: str) -> int:
        def work(session: Any) -> int:
            return (
                session.execute(
                    select(func.count()).select_from(AnswerRow).where(AnswerRow.text == text)
                )
            ).scalar_one()

        return await self.db.read(work)

    async def duplicate_keys(self) -> list[Any]:
        def work(session: Any) -> list[Any]:
            rows = session.execute(
                select(AnswerRow.run_id, AnswerRow.key, func.count())
                .group_by(AnswerRow.run_id, AnswerRow.key)
                .having(func.count() > 1)
            )
            return list(rows.all())

        return await self.db.read(work)


def next_input(run: RunSnapshot, conversation: Conversation) -> tuple[Input, str]:
    """The scripted input for the run's state, and the state it leads to."""
    if run.state == "intro":
        return Input(label="Ik begin"), "waarom"
    if run.state == "waarom":
        return Input(text=conversation.text_answer()), "kern"
    if run.state == "kern" and "verbinding" not in run.pending:
        return Input(label="⬜ Verbinding"), "kern"
    if run.state == "kern":
        return Input(label="Klaar ✅"), "zeker"
    if run.state == "zeker":
        return Input(label="4"), "grens"
    assert run.state == "grens", run
    return Input(text=conversation.text_answer()), "slot"


def fetched(fake: FakeTelegram, update_id: int) -> bool:
    return all(u["update_id"] != update_id for u in fake.pending_updates)


def reactions(fake: FakeTelegram, user: FakeUser, since: int, query_id: str | None) -> list[str]:
    """Bot API calls after `since` that the person can see as a reaction to their input."""
    seen = []
    for call in fake.calls[since:]:
        if call.status != 200:
            continue
        params = call.params
        answered = call.method == "answerCallbackQuery" and (
            params.get("callback_query_id") == query_id
        )
        shown = call.method.startswith(("send", "edit")) and params.get("chat_id") == user.id
        if answered or shown:
            seen.append(call.method)
    return seen


@pytest.fixture
def bot_env(cli_env: dict[str, str]) -> dict[str, str]:
    return cli_env | {"STRAATWIJS_TELEGRAM_TOKEN": TOKEN, "STRAATWIJS_LOG_LEVEL": "INFO"}


async def invite_code(db: Database) -> str:
    from bot.store.repo import Repository

    def work(session: Any) -> str:
        repo = Repository(session)
        repo.add_organisation("Breda")
        group = repo.add_group("Breda", "Wijkteam")
        return (repo.create_invite(group.id, "professional")).code

    return await db.write(work)


@pytest.mark.slow
async def test_kill_9_at_random_points_loses_nothing_and_resumes(bot_env, tmp_path):
    rng = random.Random(SEED)
    db = Database(create_engine(bot_env["STRAATWIJS_DATABASE_URL"]))
    fake = FakeTelegram(token=TOKEN, limits=False)
    sam = fake.user("Sam", language_code="nl", started=True)
    talk = Conversation(fake, sam, db)
    processes: list[BotProcess] = []

    async def start() -> BotProcess:
        proc = BotProcess(env, tmp_path, tmp_path / f"bot-{len(processes)}.log")
        processes.append(proc)
        await proc.start()
        return proc

    outcomes: list[str] = []  # point:state:delay:reactions:redelivered:applied, for failures
    try:
        async with fake.serve() as api_url:
            env = bot_env | {"STRAATWIJS_TELEGRAM_API_URL": api_url}
            await fake.send_text(sam, f"/start {await invite_code(db)}")
            proc = await start()
            await fake.wait_sent(sam, 2, timeout=TIMEOUT)
            await fake.press(sam, "Akkoord, ik doe mee")
            await fake.wait_sent(sam, 4, timeout=TIMEOUT)  # joined, and the language choice

            question, status = await talk.resume()
            for point in range(KILL_POINTS):
                before = await talk.run()
                assert before is not None
                assert status == "⏳" or (status in ("🆕", "✅") and before.state == "intro")
                assert LABELS[before.state] in (question.text or ""), (point, before, question)
                given, target = next_input(before, talk)

                # one input, then SIGKILL after a random delay
                mark = len(fake.calls)
                query_id = None
                if given.text is not None:
                    update = await fake.send_text(sam, given.text)
                else:
                    query_id = await fake.press(sam, given.label, message_id=question.message_id)
                    (update,) = [
                        u
                        for u in fake.pending_updates
                        if u.get("callback_query", {}).get("id") == query_id
                    ]
                # a quarter of the kills come at once (often before the bot fetched the input)
                delay = rng.uniform(0, 0.05) if rng.random() < 0.25 else rng.uniform(0, MAX_DELAY)
                await asyncio.sleep(delay)
                await proc.kill()
                await asyncio.sleep(0.2)  # requests already on their way still land
                seen = reactions(fake, sam, mark, query_id)
                waiting = {u["update_id"] for u in fake.pending_updates}
                redelivered = update["update_id"] in waiting

                proc = await start()
                if redelivered:  # the new process handles it before the person goes on
                    await fake.wait_for(
                        partial(fetched, fake, update["update_id"]), TIMEOUT, "the redelivery"
                    )
                    await talk.wait_handled(update["update_id"])
                question, status = await talk.resume()
                after = await talk.run_by_id(before.id)
                applied = after.step != before.step
                outcomes.append(
                    f"{point}:{before.state}:{delay:.2f}s:{seen}:{redelivered}:{applied}"
                )

                # no acknowledged answer lost
                if seen:
                    assert applied, f"point {point}: the bot reacted ({seen}) but nothing is stored"
                if applied:
                    done = target == "slot"
                    assert after.state == target, (point, before, after)
                    assert after.status == ("finished" if done else "active"), after
                else:
                    assert after == before, (point, before, after)
                # no answer stored twice
                if given.text is not None:
                    assert await talk.count_text(given.text) == (1 if applied else 0), point
                assert await talk.duplicate_keys() == []
                # the person resumes at the same step
                current = await talk.run()
                assert current is not None
                if after.status == "finished":
                    assert current.id != after.id, outcomes
                    assert current.state == "intro", outcomes
                    assert status == "✅", outcomes
                else:
                    assert current.id == after.id, outcomes
                    assert status == "⏳", outcomes
                assert LABELS[current.state] in (question.text or ""), (outcomes, current, question)

            assert await proc.stop() == 0
            assert "Traceback" not in processes[-1].output
            log.info("kill points (point:state:delay:reactions:redelivered:applied): %s", outcomes)
    finally:
        for proc in processes:
            if proc.proc is not None and proc.proc.returncode is None:
                await proc.kill()
        await db.dispose()

    assert not any(ERROR_TEXT in (m.text or "") for m in fake.sent(sam)), outcomes
    assert fake.unknown_calls == []
