"""ChatRateLimiter, driven by the real python-telegram-bot against the fake Bot API.

Most tests share one virtual clock between the limiter and the fake's flood limits, so
Telegram's real limits (1/s per chat) and real ``retry_after`` values cost no wall time.
A few use real time with faster limits to show that chats really run in parallel.
"""

from __future__ import annotations

import asyncio
import datetime as dtm
import logging
import time
from types import SimpleNamespace
from typing import Any

import pytest
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TimedOut,
)
from telegram.ext import ExtBot

from bot.telegram.limiter import (
    CallOptions,
    ChatRateLimiter,
    is_rate_limited,
    retry_after_seconds,
)
from tests.fake_telegram import FakeTelegram, FakeUser


@pytest.fixture(autouse=True)
def _ptb_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    # PTB 22 warns (an error here) when it builds a RetryAfter unless this opt-in is set.
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


class VirtualTime:
    """A clock plus a sleep that advances it; exact while one task sleeps at a time."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 6))
        self.now += max(0.0, seconds)
        await asyncio.sleep(0)


def ext_bot(fake: FakeTelegram, limiter: ChatRateLimiter) -> ExtBot[int]:
    return ExtBot(
        fake.token,
        base_url=fake.base_url,
        base_file_url=fake.base_file_url,
        request=fake.ptb_request(),
        get_updates_request=fake.ptb_request(),
        rate_limiter=limiter,
    )


def virtual(**limiter_kwargs: Any) -> tuple[VirtualTime, FakeTelegram, ChatRateLimiter]:
    """A fake with Telegram's real limits and a limiter, both on one virtual clock."""
    clock = VirtualTime()
    fake = FakeTelegram(clock=clock)
    limiter = ChatRateLimiter(clock=clock, sleep=clock.sleep, **limiter_kwargs)
    return clock, fake, limiter


def statuses(fake: FakeTelegram, method: str = "sendMessage") -> list[int]:
    return [c.status for c in fake.calls if c.method == method]


def texts(fake: FakeTelegram, user: FakeUser) -> list[str | None]:
    return [m.text for m in fake.sent(user)]


# -- pacing ---------------------------------------------------------------------------------


async def test_ten_messages_to_one_chat_burst_then_one_a_second():
    clock, fake, limiter = virtual()
    sam = fake.user(started=True)
    async with ext_bot(fake, limiter) as bot:
        start = clock.now
        await asyncio.gather(*(bot.send_message(sam.id, f"m{n}") for n in range(10)))
        elapsed = clock.now - start
    assert fake.flood_violations == []
    assert texts(fake, sam) == [f"m{n}" for n in range(10)]  # and in call order
    assert elapsed == pytest.approx((10 - 3) / 1, abs=0.1)


async def test_real_time_pacing_with_application_builder():
    fake = FakeTelegram()
    fake.flood.per_chat_rate = 10.0
    sam, kim = fake.user("Sam", started=True), fake.user("Kim", started=True)
    async with fake.bot() as plain:  # the control: without the limiter the fake does refuse
        for n in range(3):
            await plain.send_message(kim.id, f"k{n}")
        with pytest.raises(RetryAfter):
            await plain.send_message(kim.id, "k3")
    fake.flood_violations.clear()

    app = fake.application_builder().rate_limiter(ChatRateLimiter(chat_rate=10.0)).build()
    async with app:
        start = time.monotonic()
        await asyncio.gather(*(app.bot.send_message(sam.id, f"m{n}") for n in range(10)))
        elapsed = time.monotonic() - start
    assert fake.flood_violations == []
    assert texts(fake, sam) == [f"m{n}" for n in range(10)]
    assert 0.6 <= elapsed < 1.5  # (10 - 3) / 10 s


async def test_chats_are_not_serialised_behind_each_other():
    fake = FakeTelegram()
    fake.flood.per_chat_rate = 10.0
    users = [fake.user(f"u{n}", started=True) for n in range(3)]
    async with ext_bot(fake, ChatRateLimiter(chat_rate=10.0)) as bot:
        start = time.monotonic()
        await asyncio.gather(*(bot.send_message(u.id, f"m{n}") for n in range(10) for u in users))
        elapsed = time.monotonic() - start
    assert fake.flood_violations == []
    for user in users:
        assert texts(fake, user) == [f"m{n}" for n in range(10)]
    assert 0.6 <= elapsed < 1.3  # one chat's time (0.7 s), not three (2.1 s)


async def test_a_paused_chat_does_not_hold_up_other_chats():
    fake = FakeTelegram()
    slow, quick = fake.user("Slow", started=True), fake.user("Quick", started=True)
    fake.impose_flood(retry_after=1, count=1)
    async with ext_bot(fake, ChatRateLimiter()) as bot:
        start = time.monotonic()
        slow_send = asyncio.create_task(bot.send_message(slow.id, "late"))
        await fake.wait_for(lambda: 429 in statuses(fake), what="the 429")
        for n in range(3):
            await bot.send_message(quick.id, f"q{n}")
        quick_elapsed = time.monotonic() - start
        await slow_send
        slow_elapsed = time.monotonic() - start
    assert quick_elapsed < 0.5
    assert slow_elapsed >= 1.0
    assert texts(fake, slow) == ["late"]


async def test_floods_in_two_chats_pause_every_chat(caplog: pytest.LogCaptureFixture):
    fake = FakeTelegram()
    a, b, c = (fake.user(name, started=True) for name in "ABC")
    fake.impose_flood(retry_after=1, count=2)
    async with ext_bot(fake, ChatRateLimiter()) as bot:
        first = asyncio.gather(bot.send_message(a.id, "a"), bot.send_message(b.id, "b"))
        await fake.wait_for(lambda: statuses(fake).count(429) == 2, what="two 429s")
        start = time.monotonic()
        await bot.send_message(c.id, "c")  # a chat never refused, yet it waits too
        waited = time.monotonic() - start
        await first
    assert waited >= 0.8
    assert [texts(fake, u) for u in (a, b, c)] == [["a"], ["b"], ["c"]]
    assert any("pausing all" in r.getMessage() for r in caplog.records)


async def test_other_endpoints_do_not_wait():
    clock, fake, limiter = virtual(overall_burst=1, chat_burst=1)
    sam = fake.user(started=True)
    async with ext_bot(fake, limiter) as bot:
        await bot.send_message(sam.id, "uses the only token")
        clock.sleeps.clear()
        await bot.get_me()
        await bot.set_my_commands([("start", "Begin")])
        await bot.send_chat_action(sam.id, "typing")
        assert clock.sleeps == []
        await bot.send_message(sam.id, "waits for a token")
        assert clock.sleeps != []
    assert fake.flood_violations == []


@pytest.mark.parametrize(
    ("endpoint", "limited"),
    [
        ("sendMessage", True),
        ("sendPhoto", True),
        ("editMessageText", True),
        ("editMessageReplyMarkup", True),
        ("copyMessage", True),
        ("forwardMessages", True),
        ("sendChatAction", False),
        ("answerCallbackQuery", False),
        ("getMe", False),
        ("setMyCommands", False),
        ("deleteMessage", False),
    ],
)
def test_which_endpoints_are_paced(endpoint: str, limited: bool):
    assert is_rate_limited(endpoint) is limited


# -- retries --------------------------------------------------------------------------------


async def test_retry_after_is_waited_out_and_the_message_arrives_once(
    caplog: pytest.LogCaptureFixture,
):
    clock, fake, limiter = virtual()
    sam = fake.user(started=True)
    fake.impose_flood(retry_after=1, count=1)
    caplog.set_level(logging.WARNING, logger="bot.telegram.limiter")
    async with ext_bot(fake, limiter) as bot:
        await bot.send_message(sam.id, "geheime tekst")
    assert statuses(fake) == [429, 200]
    assert texts(fake, sam) == ["geheime tekst"]
    assert clock.sleeps == [pytest.approx(1.1)]
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "sendMessage" in logged
    assert "RetryAfter" in logged
    for secret in (str(sam.id), "geheime tekst", fake.token):
        assert secret not in logged


@pytest.mark.parametrize("status", [500, 502])
async def test_server_errors_are_retried(status: int):
    clock, fake, limiter = virtual()
    sam = fake.user(started=True)
    fake.fail_next("sendMessage", status=status)
    async with ext_bot(fake, limiter) as bot:
        await bot.send_message(sam.id, "hallo")
    assert statuses(fake) == [status, 200]
    assert texts(fake, sam) == ["hallo"]
    assert clock.sleeps == [0.5]


async def test_a_blocked_user_raises_forbidden_at_once():
    clock, fake, limiter = virtual()
    sam = fake.user(started=True)
    fake.block(sam)
    async with ext_bot(fake, limiter) as bot:
        with pytest.raises(Forbidden):
            await bot.send_message(sam.id, "hallo")
    assert statuses(fake) == [403]
    assert clock.sleeps == []


async def test_bad_request_is_not_retried():
    clock, fake, limiter = virtual()
    sam = fake.user(started=True)
    async with ext_bot(fake, limiter) as bot:
        with pytest.raises(BadRequest, match="too long"):
            await bot.send_message(sam.id, "x" * 5000)
    assert statuses(fake) == [400]
    assert clock.sleeps == []


async def test_network_errors_give_up_after_max_retries():
    clock, fake, limiter = virtual(max_retries=2)
    sam = fake.user(started=True)
    fake.fail_next("sendMessage", status=500, count=3)
    async with ext_bot(fake, limiter) as bot:
        with pytest.raises(NetworkError, match="Internal Server Error"):
            await bot.send_message(sam.id, "hallo")
    assert statuses(fake) == [500, 500, 500]
    assert clock.sleeps == [0.5, 1.0]
    assert fake.sent(sam) == []


async def test_retry_after_gives_up_after_max_retries():
    _, fake, limiter = virtual(max_retries=1)
    sam = fake.user(started=True)
    fake.impose_flood(retry_after=2, count=2)
    async with ext_bot(fake, limiter) as bot:
        with pytest.raises(RetryAfter):
            await bot.send_message(sam.id, "hallo")
    assert statuses(fake) == [429, 429]


@pytest.mark.parametrize("args", [1, CallOptions(max_retries=1)], ids=["a number", "call options"])
async def test_rate_limit_args_override_max_retries(args):
    _, fake, limiter = virtual()
    sam = fake.user(started=True)
    fake.fail_next("sendMessage", status=500, count=2)
    async with ext_bot(fake, limiter) as bot:
        with pytest.raises(NetworkError):
            await bot.send_message(sam.id, "hallo", rate_limit_args=args)
    assert statuses(fake) == [500, 500]


class Flaky:
    """A stand-in for PTB's request callback that raises the given errors, then answers."""

    def __init__(self, *errors: Exception) -> None:
        self.errors = list(errors)
        self.calls = 0

    async def __call__(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return {"ok": True}


async def call(limiter: ChatRateLimiter, callback: Flaky, endpoint: str = "sendMessage") -> Any:
    data = {"chat_id": 42, "text": "hallo"}
    return await limiter.process_request(callback, (endpoint, data), {}, endpoint, data, None)


async def test_timeouts_are_retried():
    clock = VirtualTime()
    limiter = ChatRateLimiter(clock=clock, sleep=clock.sleep)
    callback = Flaky(TimedOut(), TimedOut())
    assert await call(limiter, callback) == {"ok": True}
    assert callback.calls == 3
    assert clock.sleeps == [0.5, 1.0]


@pytest.mark.parametrize(
    "error",
    [
        BadRequest("Bad Request: chat not found"),
        Forbidden("Forbidden: bot was blocked by the user"),
        InvalidToken(),
        Conflict("Conflict: terminated by other getUpdates request"),
        ChatMigrated(-1001),
    ],
)
async def test_final_errors_are_never_retried(error: Exception):
    clock = VirtualTime()
    limiter = ChatRateLimiter(clock=clock, sleep=clock.sleep)
    callback = Flaky(error)
    with pytest.raises(type(error)):
        await call(limiter, callback, "answerCallbackQuery")
    callback.errors.append(error)
    with pytest.raises(type(error)):
        await call(limiter, callback)
    assert callback.calls == 2
    assert clock.sleeps == []


async def test_backoff_doubles_up_to_the_cap():
    clock = VirtualTime()
    limiter = ChatRateLimiter(backoff_cap=3.0, clock=clock, sleep=clock.sleep)
    callback = Flaky(*(NetworkError("Bad Gateway") for _ in range(6)))
    with pytest.raises(NetworkError):
        await call(limiter, callback)
    assert callback.calls == 6
    assert clock.sleeps == [0.5, 1.0, 2.0, 3.0, 3.0]


async def test_retry_after_on_an_unpaced_endpoint_delays_only_that_call():
    clock = VirtualTime()
    limiter = ChatRateLimiter(clock=clock, sleep=clock.sleep)
    callback = Flaky(RetryAfter(dtm.timedelta(seconds=3)))
    assert await call(limiter, callback, "answerCallbackQuery") == {"ok": True}
    assert clock.sleeps == [pytest.approx(3.1)]
    clock.sleeps.clear()
    assert await call(limiter, Flaky(), "sendMessage") == {"ok": True}
    assert clock.sleeps == []  # no chat and no global pause came of it


@pytest.mark.parametrize(
    ("value", "seconds"), [(dtm.timedelta(seconds=2), 2.0), (3, 3.0), (1.5, 1.5)]
)
def test_retry_after_seconds_accepts_timedelta_and_numbers(value: object, seconds: float):
    error = SimpleNamespace(retry_after=value)
    assert retry_after_seconds(error) == seconds  # type: ignore[arg-type]


# -- the hooks around a request (what a push uses to be sent at most once) -----------------


class Hooks:
    """``CallOptions`` hooks that note what the fake had received when each ran."""

    def __init__(self, fake: FakeTelegram, clock: VirtualTime | None = None) -> None:
        self.fake = fake
        self.clock = clock
        self.events: list[tuple[str, str, int, float]] = []

    def options(self, name: str) -> CallOptions:
        async def before_send() -> None:
            self._note("before_send", name)

        async def refused() -> None:
            self._note("refused", name)

        return CallOptions(before_send=before_send, refused=refused)

    def _note(self, hook: str, name: str) -> None:
        at = self.clock.now if self.clock is not None else 0.0
        self.events.append((hook, name, len(statuses(self.fake)), at))


async def test_before_send_runs_when_the_slot_is_granted_right_before_the_request():
    clock, fake, limiter = virtual()
    sam = fake.user(started=True)
    hooks = Hooks(fake, clock)
    async with ext_bot(fake, limiter) as bot:
        start = clock.now
        await asyncio.gather(
            *(
                bot.send_message(sam.id, f"m{n}", rate_limit_args=hooks.options(f"m{n}"))
                for n in range(4)
            )
        )
    # Once per message, each when the fake had every earlier message and not its own; the
    # fourth (beyond the chat's burst of 3) after its wait in the limiter, not before it.
    assert [(name, seen) for _, name, seen, _ in hooks.events] == [
        ("m0", 0),
        ("m1", 1),
        ("m2", 2),
        ("m3", 3),
    ]
    assert hooks.events[3][3] - start == pytest.approx(1.0, abs=0.1)
    assert texts(fake, sam) == ["m0", "m1", "m2", "m3"]


async def test_before_send_runs_once_when_a_server_error_is_retried():
    """The request may have arrived: the mark stays, the retry is the known trade-off."""
    _, fake, limiter = virtual()
    sam = fake.user(started=True)
    hooks = Hooks(fake)
    fake.fail_next("sendMessage", status=502, count=2)
    async with ext_bot(fake, limiter) as bot:
        await bot.send_message(sam.id, "hallo", rate_limit_args=hooks.options("hallo"))
    assert statuses(fake) == [502, 502, 200]
    assert [hook for hook, *_ in hooks.events] == ["before_send"]


async def test_a_flood_refusal_is_reported_and_before_send_runs_again_after_the_wait():
    clock, fake, limiter = virtual()
    sam = fake.user(started=True)
    hooks = Hooks(fake, clock)
    fake.impose_flood(retry_after=2, count=1)
    async with ext_bot(fake, limiter) as bot:
        start = clock.now
        await bot.send_message(sam.id, "hallo", rate_limit_args=hooks.options("hallo"))
    assert statuses(fake) == [429, 200]
    assert [(hook, seen) for hook, _, seen, _ in hooks.events] == [
        ("before_send", 0),
        ("refused", 1),
        ("before_send", 1),
    ]
    assert hooks.events[2][3] - start == pytest.approx(2.1)  # after the flood wait


async def test_a_failing_before_send_sends_nothing():
    _, fake, limiter = virtual()
    sam = fake.user(started=True)

    async def taken_over() -> None:
        raise LookupError("someone else sends this one")

    async with ext_bot(fake, limiter) as bot:
        with pytest.raises(LookupError):
            await bot.send_message(
                sam.id, "hallo", rate_limit_args=CallOptions(before_send=taken_over)
            )
        await bot.send_message(sam.id, "the chat is not stuck")
    assert texts(fake, sam) == ["the chat is not stuck"]


async def test_a_slow_before_send_does_not_make_the_server_refuse_a_later_burst():
    """Calls past their slot but held up in ``before_send`` (a slow database commit)
    reach the server late; meanwhile the limiter must not refill its bucket as if they
    had arrived, or the next burst plus the late ones exceed what the server allows."""
    clock, fake, limiter = virtual()
    early = [fake.user(f"e{n}", started=True) for n in range(20)]
    later = [fake.user(f"l{n}", started=True) for n in range(25)]
    gate = asyncio.Event()

    async def slow_commit() -> None:
        await gate.wait()

    async with ext_bot(fake, limiter) as bot:
        held = [
            asyncio.create_task(
                bot.send_message(u.id, "push", rate_limit_args=CallOptions(before_send=slow_commit))
            )
            for u in early
        ]
        for _ in range(50):  # the twenty get their slots and stop in the hook
            await asyncio.sleep(0)
        assert statuses(fake) == []
        clock.now += 1.0  # a second passes while they are held up
        for user in later:  # one at a time: the virtual clock is exact with one sleeper
            await bot.send_message(user.id, "other")
        gate.set()
        await asyncio.gather(*held)
    assert fake.flood_violations == []
    assert all(texts(fake, u) == ["push"] for u in early)


# -- memory ---------------------------------------------------------------------------------


async def test_idle_chat_buckets_are_dropped():
    clock, fake, limiter = virtual(idle_sweep_interval=10.0)
    users = [fake.user(f"u{n}", started=True) for n in range(5)]
    kim, lee = fake.user("Kim", started=True), fake.user("Lee", started=True)
    async with ext_bot(fake, limiter) as bot:
        for user in users:
            await bot.send_message(user.id, "hallo")
        assert limiter.tracked_chats == 5
        clock.now += 11
        await bot.send_message(kim.id, "hallo")  # the sweep runs: the five are idle
        assert limiter.tracked_chats == 1
        clock.now += 9.9
        await bot.send_message(kim.id, "nog eens")
        clock.now += 0.2
        await bot.send_message(lee.id, "hallo")  # next sweep: Kim has not refilled yet
        assert limiter.tracked_chats == 2
    assert fake.flood_violations == []
