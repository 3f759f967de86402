"""Fault tests: the in-process Telegram harness of tests/telegram/, and variants of it
with a quick-retrying limiter, or over loopback HTTP with real request timeouts."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy import select
from telegram.request import HTTPXRequest

from bot.bootstrap import build
from bot.clock import FakeClock
from bot.engine import Engine
from bot.settings import Settings
from bot.store.models import AnswerRow, Base, Run
from bot.telegram.limiter import ChatRateLimiter
from bot.telegram.runner import attach, make_application
from tests.fake_telegram import FakeTelegram, serve_asgi
from tests.telegram.conftest import (
    START,
    TOKEN,
    Telegram,
    _ptb_timedelta,
    telegram_settings,
    tg,
)
from tests.telegram.conftest import Person as Chat

__all__ = [
    "ERROR_TEXT",
    "_ptb_timedelta",
    "answers",
    "harness",
    "open_text_question",
    "our_errors",
    "quick_limiter",
    "runs",
    "snapshot",
    "tg",
]

# The kind "try again" message (bot.error).
ERROR_TEXT = "Er ging iets mis aan mijn kant"


def quick_limiter(max_retries: int = 2) -> ChatRateLimiter:
    """The real limiter at test speed, retrying quickly and giving up soon."""
    return ChatRateLimiter(
        chat_rate=1000,
        chat_burst=1000,
        overall_rate=1000,
        overall_burst=1000,
        max_retries=max_retries,
        backoff_base=0.02,
        backoff_cap=0.1,
    )


@contextlib.asynccontextmanager
async def harness(
    settings: Settings,
    engine: Engine,
    *,
    limiter: ChatRateLimiter | None = None,
    asgi: Any = None,
    read_timeout: float | None = None,
    **overrides: Any,
) -> AsyncIterator[Telegram]:
    """Like the `tg` fixture; with `asgi` (the fake's app, or a wrapper around it) the
    bot reaches it over loopback HTTP, so request timeouts are real."""
    fake = FakeTelegram(token=TOKEN, limits=False)
    async with contextlib.AsyncExitStack() as stack:
        if asgi is not None:
            root = await stack.enter_async_context(serve_asgi(asgi(fake)))
            overrides["telegram_api_url"] = f"{root}/bot"
            timeouts = {"read_timeout": read_timeout} if read_timeout else {}

            def request() -> HTTPXRequest:
                return HTTPXRequest(httpx_kwargs={"trust_env": False}, **timeouts)

        else:
            request = fake.ptb_request
        tsettings = telegram_settings(settings, **overrides)
        clock = FakeClock(START)
        app = await build(tsettings, migrate=False, clock=clock, engine=engine)
        stack.push_async_callback(app.close)
        application = make_application(
            tsettings,
            request=request(),
            get_updates_request=request(),
            rate_limiter=limiter or quick_limiter(),
        )
        channel = attach(application, app)
        async with application:
            await channel.publish_commands(application)
            yield Telegram(fake, app, application, clock)
    assert fake.unknown_calls == [], f"Bot API calls the fake does not know: {fake.unknown_calls}"


async def snapshot(telegram: Telegram) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, for comparing the database before and after."""

    def work(session: Any) -> dict[str, list[tuple[Any, ...]]]:
        tables = {}
        for table in Base.metadata.sorted_tables:
            rows = session.execute(select(table)).all()
            tables[table.name] = sorted((tuple(r) for r in rows), key=repr)
        return tables

    return await telegram.app.db.read(work)


def our_errors(records: list[logging.LogRecord]) -> list[str]:
    """Messages logged at ERROR by our own code (PTB logs a 502 page it cannot parse)."""
    return [
        r.getMessage() for r in records if r.levelno >= logging.ERROR and r.name.startswith("bot.")
    ]


async def answers(telegram: Telegram) -> list[tuple[int, str, Any]]:
    def work(session: Any) -> list[tuple[int, str, Any]]:
        rows = (session.execute(select(AnswerRow).order_by(AnswerRow.id))).scalars()
        return [(r.run_id, r.key, r.text if r.kind == "text" else r.value) for r in rows]

    return await telegram.app.db.read(work)


async def runs(telegram: Telegram) -> list[tuple[str, str, int, list[str]]]:
    def work(session: Any) -> list[tuple[str, str, int, list[str]]]:
        rows = (session.execute(select(Run).order_by(Run.id))).scalars()
        return [(r.state, r.status, r.step, list(r.pending or [])) for r in rows]

    return await telegram.app.db.read(work)


async def open_text_question(telegram: Telegram) -> tuple[Chat, int, int]:
    """A person at step 2 (free text) of drijfveren; returns them, the run and its step."""
    sam = await telegram.joined()
    await sam.press_data(sam.messages[-1].message_id, "o:drijfveren")
    await sam.press("Ik begin")
    _run, step, _code = sam.last.buttons[0][0][1].removeprefix("r:").split(":", 2)
    return sam, int(_run), int(step)
