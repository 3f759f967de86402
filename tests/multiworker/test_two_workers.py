"""Two `straatwijs run` workers in webhook mode sharing one PostgreSQL database (issue 8).

One fake Bot API on loopback (its real flood limits on), two worker processes on
two loopback ports with the same database, secret and public webhook URL. The
test plays Telegram and the load balancer in front of the workers: it builds
updates with the fake and posts each one to worker A or B (seeded random). One
person's updates go in order, as Telegram sends them; different people's
updates interleave over both workers at once. Every tenth person has the same
update arrive at both workers at the same moment (a redelivery racing the
original) and taps a button twice, one tap at each worker; every tenth person
(others) sends two messages at once, one to each worker. Only the database's
locks keep those apart.

Then a trainer's push to all of them goes out, and both workers' dispatchers
race to claim it.

Checked: every answer stored once and none lost, every update recorded once,
every run in a valid state, every member got the push exactly once, no 5xx from
a worker, no call the fake does not know, and no flood-limit violation (the two
workers share Telegram's 30 messages/s through STRAATWIJS_TELEGRAM_RATE).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from bot.clock import SystemClock
from bot.engine import Engine
from bot.services.pushes import Pushes
from bot.store.db import Database, create_engine
from bot.store.models import (
    AnswerRow,
    Delivery,
    Group,
    HandledUpdate,
    Membership,
    Organisation,
    Person,
    Push,
    Run,
)
from tests.conftest import on_postgres
from tests.fake_telegram import SECRET_HEADER, FakeTelegram, FakeUser, SentMessage
from tests.telegram.conftest import TOKEN

pytestmark = pytest.mark.skipif(
    not on_postgres(),
    reason="several workers share one PostgreSQL database: "
    "set STRAATWIJS_TEST_DATABASE_URL=postgresql://... (as .ci/run does)",
)

log = logging.getLogger(__name__)
EXE = str(Path(sys.executable).parent / "straatwijs")
PEOPLE = 200
CONCURRENCY = 100  # people in the middle of their exercise at once
RACED_EVERY = 10  # persons 0, 10, ... and 5, 15, ... get updates at both workers at once
SEED = 8
SECRET = "twee_werkers_geheim"
PUBLIC_URL = "https://bot.straatwijs.test/telegram/hook"  # what both register, as behind a proxy
HOOK_PATH = "/telegram/hook"
WORKER_RATE = "12"  # messages/s per worker: two share Telegram's 30/s, with room for jitter
PUSHED = "checkin"

# Each reply the bot sends once per person, recognised by its text.
ONCE = (
    "Hoi ",  # the intro
    "Denk aan een moment",  # the text question
    "Welke waarden zaten daaronder?",  # the multiple choice
    "Hoe zeker voel je je",  # the scale, where the run stops
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def motivation(index: int) -> str:
    return f"Een jongere op het plein vroeg om hulp, verhaal nummer {index}"


def second_thought(index: int) -> str:
    return f"{motivation(index)}, en nog iets"


class Worker:
    """One `straatwijs run` process in webhook mode; its output goes to a file."""

    def __init__(self, name: str, env: dict[str, str], port: int, logs: Path) -> None:
        self.name = name
        self.env = env | {"STRAATWIJS_WEBHOOK_PORT": str(port)}
        self.port = port
        self.url = f"http://127.0.0.1:{port}{HOOK_PATH}"
        self.log_path = logs / f"worker-{name}.log"
        self.proc: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        with self.log_path.open("wb") as log:
            self.proc = await asyncio.create_subprocess_exec(
                EXE,
                "run",
                env=self.env,
                cwd=self.log_path.parent,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    async def ready(self, client: httpx.AsyncClient, timeout: float = 30.0) -> None:  # noqa: ASYNC109
        deadline = time.monotonic() + timeout
        while True:
            assert self.proc is not None
            assert self.proc.returncode is None, self.output()
            try:
                if (await client.get(f"http://127.0.0.1:{self.port}/healthz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"worker {self.name} did not start:\n{self.output()}")
            await asyncio.sleep(0.1)

    async def stop(self) -> int:
        """SIGTERM, then wait for a clean exit (killed after 30 s)."""
        assert self.proc is not None
        if self.proc.returncode is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return await asyncio.wait_for(self.proc.wait(), 30)
        except TimeoutError:
            self.proc.kill()
            await self.proc.wait()
            raise

    def output(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


@dataclass
class Traffic:
    """Telegram and the load balancer: posts updates to the workers like Telegram does."""

    fake: FakeTelegram
    client: httpx.AsyncClient
    workers: tuple[Worker, Worker]
    rng: random.Random
    posts: Counter[tuple[str, int]] = field(default_factory=Counter)
    server_errors: list[tuple[str, int, int]] = field(default_factory=list)
    update_ids: set[int] = field(default_factory=set)

    async def post(self, update: dict[str, Any], worker: Worker) -> int:
        response = await self.client.post(worker.url, json=update, headers={SECRET_HEADER: SECRET})
        self.posts[(worker.name, response.status_code)] += 1
        self.update_ids.add(int(update["update_id"]))
        if response.status_code >= 500:
            self.server_errors.append((worker.name, int(update["update_id"]), response.status_code))
        return response.status_code

    async def deliver(self, update: dict[str, Any]) -> None:
        """Post to a random worker until one answers 2xx (Telegram retries), then confirm."""
        for _ in range(5):
            if 200 <= await self.post(update, self.rng.choice(self.workers)) < 300:
                self.fake.world.confirm(int(update["update_id"]))
                return
            await asyncio.sleep(0.5)
        raise AssertionError(f"update {update['update_id']} was never accepted")

    async def to_both(self, first: dict[str, Any], second: dict[str, Any]) -> None:
        """`first` to one worker and `second` to the other at the same moment."""
        a, b = self.workers if self.rng.random() < 0.5 else self.workers[::-1]
        statuses = await asyncio.gather(self.post(first, a), self.post(second, b))
        for update, status in zip((first, second), statuses, strict=True):
            if 200 <= status < 300:
                self.fake.world.confirm(int(update["update_id"]))
            else:
                await self.deliver(update)

    # -- building updates with the fake (it does not post them: auto_deliver=False) ----------

    async def text(self, user: FakeUser, text: str) -> dict[str, Any]:
        return await self.fake.send_text(user, text)

    async def press(self, user: FakeUser, label: str, on: SentMessage) -> dict[str, Any]:
        query_id = await self.fake.press(user, label, message_id=on.message_id)
        return self._callback_update(query_id)

    async def press_data(self, user: FakeUser, data: str) -> dict[str, Any]:
        return self._callback_update(await self.fake.press_data(user, 1, data))

    def _callback_update(self, query_id: str) -> dict[str, Any]:
        for update in reversed(self.fake.pending_updates):
            if update.get("callback_query", {}).get("id") == query_id:
                return update
        raise LookupError(f"no pending update for callback query {query_id}")

    def newest(self, user: FakeUser, label: str) -> SentMessage:
        """The bot's latest message in the chat with a button `label` (the webhook answers
        only after the update was handled, so the reply is there when the post returns)."""
        for message in reversed(self.fake.sent(user)):
            if not message.deleted and label in message.labels:
                return message
        transcript = [(m.text or "")[:60] for m in self.fake.sent(user)]
        raise AssertionError(f"no message with {label!r} for {user.first_name}: {transcript}")


async def exercise(traffic: Traffic, user: FakeUser, index: int) -> None:
    """Open 'Wat drijft jou?' from the menu and answer three questions (a choice, a
    text and a multiple choice; the last two are stored).

    Short on purpose: the bot paces every message and edit (1/s per chat, 30/s in all
    workers together), so each step costs about two paced calls. The run stays open at
    its next question.
    """
    raced = index % RACED_EVERY == 0
    crossed = index % RACED_EVERY == RACED_EVERY // 2
    await traffic.deliver(await traffic.press_data(user, "o:drijfveren"))
    intro = traffic.newest(user, "Ik begin")
    await traffic.deliver(await traffic.press(user, "Ik begin", intro))

    answer = await traffic.text(user, motivation(index))
    if raced:  # the same update at both workers at once: one effect only
        await traffic.to_both(answer, answer)
    elif crossed:  # two messages at once, one at each worker: one answers, one is refused
        await traffic.to_both(answer, await traffic.text(user, second_thought(index)))
    else:
        await traffic.deliver(answer)

    kern = traffic.newest(user, "⬜ Verbinding")
    await traffic.deliver(await traffic.press(user, "⬜ Verbinding", kern))
    if raced:  # a double press, one tap at each worker: one advances, the other is stale
        first = await traffic.press(user, "Klaar ✅", kern)
        second = await traffic.press(user, "Klaar ✅", kern)
        await traffic.to_both(first, second)
    else:
        await traffic.deliver(await traffic.press(user, "Klaar ✅", kern))
    traffic.newest(user, "4")  # the next question (a scale) was asked


@dataclass(frozen=True)
class Setup:
    trainer: FakeUser
    trainer_id: int
    group_id: int
    users: list[FakeUser]


async def populate(db: Database, fake: FakeTelegram) -> Setup:
    """An organisation, a group, a trainer and PEOPLE consented professionals."""
    trainer = fake.user("Tess", started=True)
    users = [fake.user(f"Pro{i:03d}", started=True) for i in range(PEOPLE)]
    now = datetime.now(UTC)

    def work(session: Any) -> tuple[int, int]:
        org = Organisation(name="Breda")
        session.add(org)
        session.flush()
        group = Group(organisation_id=org.id, name="Wijkteam")
        session.add(group)
        people = [
            Person(
                channel="telegram",
                external_id=str(u.id),
                first_name=u.first_name,
                locale="nl",
                consented_at=now,
                active=True,
            )
            for u in (trainer, *users)
        ]
        session.add_all(people)
        session.flush()
        session.add_all(
            Membership(
                person_id=p.id, group_id=group.id, role="trainer" if i == 0 else "professional"
            )
            for i, p in enumerate(people)
        )
        return people[0].id, group.id

    trainer_id, group_id = await db.write(work)
    return Setup(trainer, trainer_id, group_id, users)


@contextlib.asynccontextmanager
async def running(workers: tuple[Worker, Worker]) -> AsyncIterator[dict[str, int]]:
    """Both workers started; on the way out SIGTERM both and collect exit codes."""
    codes: dict[str, int] = {}
    try:
        await asyncio.gather(*(w.start() for w in workers))
        yield codes
    finally:
        results = await asyncio.gather(
            *(w.stop() for w in workers if w.proc is not None), return_exceptions=True
        )
        for worker, result in zip(workers, results, strict=False):
            codes[worker.name] = result if isinstance(result, int) else -1


async def wait_for_push(db: Database, push_id: int, timeout: float = 60.0) -> None:  # noqa: ASYNC109
    """Until the push is 'sent': every delivery settled (and settled by a worker)."""

    def work(session: Any) -> tuple[str, int]:
        status = (session.execute(select(Push.status).where(Push.id == push_id))).scalar()
        open_ = session.execute(
            select(func.count())
            .select_from(Delivery)
            .where(Delivery.push_id == push_id, Delivery.status.in_(("pending", "sending")))
        )
        return status, open_.scalar_one()

    deadline = time.monotonic() + timeout
    while True:
        status, open_count = await db.read(work)
        if status == "sent" and open_count == 0:
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"push {push_id}: status {status}, {open_count} deliveries open")
        await asyncio.sleep(0.25)


async def test_two_workers_share_one_database(
    cli_env: dict[str, str], database_url: str, shared_engine: Engine, tmp_path: Path
) -> None:
    timings: dict[str, float] = {}
    fake = FakeTelegram(token=TOKEN, limits=True, auto_deliver=False)
    db = Database(create_engine(database_url))
    setup = await populate(db, fake)
    try:
        async with (
            fake.serve() as api_url,
            httpx.AsyncClient(trust_env=False, timeout=120) as client,
        ):
            env = cli_env | {
                "STRAATWIJS_TELEGRAM_TOKEN": TOKEN,
                "STRAATWIJS_TELEGRAM_API_URL": api_url,
                "STRAATWIJS_TELEGRAM_RATE": WORKER_RATE,
                "STRAATWIJS_WEBHOOK_URL": PUBLIC_URL,
                "STRAATWIJS_WEBHOOK_SECRET": SECRET,
                "STRAATWIJS_WEBHOOK_LISTEN": "127.0.0.1",
                "STRAATWIJS_LOG_LEVEL": "INFO",
            }
            workers = (
                Worker("A", env, free_port(), tmp_path),
                Worker("B", env, free_port(), tmp_path),
            )
            traffic = Traffic(fake, client, workers, random.Random(SEED))
            async with running(workers) as codes:
                started = time.monotonic()
                await asyncio.gather(*(w.ready(client) for w in workers))
                assert len(fake.calls_of("setWebhook")) == 2
                assert fake.world.webhook is not None
                assert fake.world.webhook.url == PUBLIC_URL
                timings["start"] = time.monotonic() - started

                # 1. Everyone does an exercise at once, spread over both workers.
                started = time.monotonic()
                gate = asyncio.Semaphore(CONCURRENCY)

                async def one(index: int, user: FakeUser) -> None:
                    async with gate:
                        await exercise(traffic, user, index)

                await asyncio.gather(*(one(i, u) for i, u in enumerate(setup.users)))
                timings["exercises"] = time.monotonic() - started

                # 2. A push to all of them; both dispatchers race to send it. After the
                # exercises, not during them: each worker paces a chat on its own, so a
                # push from one and a reply from the other could together exceed the
                # chat's 1/s. Let every chat's flood bucket refill first (3 at 1/s).
                await asyncio.sleep(3.5)
                started = time.monotonic()
                pushes = Pushes(db, SystemClock())
                push = await pushes.create(
                    setup.trainer_id, setup.group_id, PUSHED, when=None, override_quiet=True
                )
                await wait_for_push(db, push.id)
                timings["push"] = time.monotonic() - started
                await asyncio.sleep(1.5)  # a second copy, if any, would arrive by now
            started = time.monotonic()
        timings["stop"] = time.monotonic() - started
        report = await db.read(lambda session: snapshot(session, push.id))
    finally:
        await db.dispose()

    logs = {w.name: w.output() for w in workers}
    log.info(
        "two workers: %s; posts %s; push messages claimed %s",
        ", ".join(f"{k} {v:.1f}s" for k, v in timings.items()),
        dict(traffic.posts),
        {name: claimed(output) for name, output in logs.items()},
    )

    # Both workers shut down cleanly and nothing failed inside them.
    assert codes == {"A": 0, "B": 0}, logs
    for name, output in logs.items():
        assert "Traceback" not in output, f"worker {name}:\n{output}"
        assert "update handling failed" not in output, f"worker {name}:\n{output}"
        assert TOKEN not in output
    assert traffic.server_errors == []
    assert {status for _, status in traffic.posts} == {200}
    assert all(traffic.posts[(w.name, 200)] > PEOPLE for w in workers)  # both did real work
    assert fake.unknown_calls == []
    assert fake.flood_violations == []

    # No update lost or handled twice: each id recorded exactly once.
    assert report.handled == traffic.update_ids

    # No answer lost or doubled: exactly the expected answers, on one run.
    expected_runs = {}
    for index, user in enumerate(setup.users):
        person_id = report.person_ids[str(user.id)]
        runs = report.runs.get(person_id, [])
        assert [(r.dialogue_id, r.status, r.state) for r in runs] == [
            ("drijfveren", "active", "zeker")
        ], user.first_name
        stored = report.answers.get(runs[0].id, {})
        first = stored.get("motivatie")
        if index % RACED_EVERY == RACED_EVERY // 2 and first == second_thought(index):
            first = motivation(index)  # either message of the crossed pair may win
        expected_runs[runs[0].id] = {
            "motivatie": motivation(index),
            "kernwaarden": ["verbinding"],
        }
        assert {**stored, "motivatie": first} == expected_runs[runs[0].id], user.first_name
    assert report.answers.keys() == expected_runs.keys()
    assert report.answer_rows == 2 * PEOPLE  # (run, key) is unique: no hidden duplicates

    # Every run in a valid state of its dialogue, its status consistent with that state.
    for run in report.all_runs:
        states = shared_engine.dialogue(run.dialogue_id).spec.states
        assert run.state in states, (run.id, run.state)
        assert run.status in ("active", "paused", "stopped", "finished"), run.status
        assert (run.status == "finished") == states[run.state].end, (run.id, run.state)
        assert (run.finished_at is not None) == (run.status == "finished"), run.id

    # What each person saw: every reply exactly once, and the push exactly once.
    for user in setup.users:
        sent = fake.sent(user)
        texts = [m.text or "" for m in sent]
        for reply in ONCE:
            assert sum(reply in t for t in texts) == 1, (user.first_name, reply, texts)
        copies = [
            m for m in sent if any(str(d).startswith(f"s:{push.id}:") for _, d in row_data(m))
        ]
        assert len(copies) == 1, (user.first_name, texts)
    assert fake.sent(setup.trainer) == []  # trainers are not sent the push

    assert report.deliveries == {"delivered": PEOPLE}
    assert report.push_status == "sent"
    claims = [claimed(output) for output in logs.values()]
    assert sum(claims) == PEOPLE
    assert all(claims), claims  # both dispatchers sent part of it


def row_data(message: SentMessage) -> list[tuple[str, str]]:
    return [button for row in message.buttons for button in row]


def claimed(output: str) -> int:
    """Push messages this worker claimed, from its log lines."""
    total = 0
    for line in output.splitlines():
        if "claimed" in line and "push message(s)" in line:
            total += int(line.split("claimed", 1)[1].split()[0])
    return total


@dataclass
class Snapshot:
    person_ids: dict[str, int]
    runs: dict[int, list[Run]]
    all_runs: list[Run]
    answers: dict[int, dict[str, Any]]
    answer_rows: int
    handled: set[int]
    deliveries: dict[str, int]
    push_status: str


def snapshot(session: Any, push_id: int) -> Snapshot:
    people = session.execute(select(Person)).scalars().all()
    all_runs = list((session.execute(select(Run).order_by(Run.id))).scalars().all())
    runs: dict[int, list[Run]] = {}
    for run in all_runs:
        runs.setdefault(run.person_id, []).append(run)
    answers: dict[int, dict[str, Any]] = {}
    rows = session.execute(select(AnswerRow)).scalars().all()
    for row in rows:
        answers.setdefault(row.run_id, {})[row.key] = row.text if row.kind == "text" else row.value
    handled = set(session.execute(select(HandledUpdate.update_id)).scalars().all())
    deliveries = Counter(
        (session.execute(select(Delivery.status).where(Delivery.push_id == push_id))).scalars()
    )
    status = (session.execute(select(Push.status).where(Push.id == push_id))).scalar_one()
    return Snapshot(
        {p.external_id: p.id for p in people},
        runs,
        all_runs,
        answers,
        len(rows),
        handled,
        dict(deliveries),
        status,
    )
