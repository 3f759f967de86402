"""The database unavailable for a moment, in the middle of a conversation.

SQLite: another connection holds the write lock. Shorter than the retries: the update
simply waits. Longer: the person gets the kind "try again" message, nothing is half
written, the webhook would answer 500 so Telegram delivers the update again, and once
the lock is gone that delivery and the next update work.

PostgreSQL: the app's connections are killed on the server (as on a failover or a
restart), between two updates and in the middle of one. The next update works
(`pool_pre_ping` replaces dead connections) or gets the "try again" message; a run is
never left half written.
"""

from __future__ import annotations

import asyncio
import secrets
import sqlite3
from typing import Any

import pytest
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.pool import NullPool
from telegram import Update

from bot.store.db import sync_url
from bot.telegram import process_durably
from tests.conftest import on_postgres
from tests.faults.conftest import (
    ERROR_TEXT,
    answers,
    harness,
    open_text_question,
    our_errors,
    runs,
    snapshot,
)
from tests.telegram.conftest import Telegram

ANSWER = "Een gesprek op het plein dat me bijbleef"


def database_file(url: str) -> str:
    database = make_url(url).database
    assert database
    return database


async def feed_durably(telegram: Telegram, update: dict[str, Any]) -> bool:
    """Handle an update as the webhook does: False means it answers 500 (Telegram retries)."""
    handled = await process_durably(
        telegram.application, Update.de_json(update, telegram.application.bot)
    )
    telegram.handled.append(update["update_id"])
    return handled


# -- SQLite: locked by another connection ----------------------------------------------------


sqlite_only = pytest.mark.skipif(on_postgres(), reason="SQLite locking; see the PostgreSQL tests")


@sqlite_only
async def test_sqlite_locked_briefly_the_update_waits_and_goes_through(
    settings, shared_engine, caplog
):
    async with harness(settings, shared_engine, db_busy_timeout=0.1) as telegram:
        sam, _run, _step = await open_text_question(telegram)
        locker = sqlite3.connect(database_file(settings.database_url), isolation_level=None)
        locker.execute("BEGIN IMMEDIATE")  # the write lock, as another process would hold it
        asyncio.get_running_loop().call_later(0.3, locker.rollback)
        try:
            (multi,) = await sam.send(ANSWER)
        finally:
            locker.close()
        assert "stap 3 van 6" in multi.text
        assert [(k, v) for _r, k, v in await answers(telegram)] == [("motivatie", ANSWER)]
        assert any("database locked, retry" in r.getMessage() for r in caplog.records)
        assert our_errors(caplog.records) == []


@sqlite_only
async def test_sqlite_locked_longer_than_the_retries(settings, shared_engine, caplog):
    async with harness(settings, shared_engine, db_busy_timeout=0.1) as telegram:
        sam, _run, step = await open_text_question(telegram)
        before = await snapshot(telegram)
        update = await telegram.fake.send_text(sam.user, ANSWER)
        locker = sqlite3.connect(database_file(settings.database_url), isolation_level=None)
        locker.execute("BEGIN IMMEDIATE")
        try:
            assert await feed_durably(telegram, update) is False  # the webhook answers 500
        finally:
            locker.rollback()
            locker.close()
        (sorry,) = sam.messages[-1:]
        assert ERROR_TEXT in sorry.text  # the kind "try again"
        assert our_errors(caplog.records) == ["update handling failed: StoreBusy"]
        assert await snapshot(telegram) == before  # nothing half written
        assert await runs(telegram) == [("waarom", "active", step, [])]

        # the lock is gone: Telegram's next delivery of the same update is handled, once
        assert await feed_durably(telegram, update) is True
        assert "stap 3 van 6" in sam.last.text
        assert await feed_durably(telegram, update) is True  # and again: no second effect
        assert sum("stap 3 van 6" in m.text for m in sam.messages) == 1
        # and the next update works
        await sam.press("⬜ Verbinding")
        (scale,) = await sam.press("Klaar ✅")
        assert "stap 4 van 6" in scale.text
        assert [(k, v) for _r, k, v in await answers(telegram)] == [
            ("motivatie", ANSWER),
            ("kernwaarden", ["verbinding"]),
        ]


@sqlite_only
async def test_sqlite_locked_person_retypes_after_the_try_again(settings, shared_engine):
    """Without a webhook retry (polling): the person reads "try again" and sends it again."""
    async with harness(settings, shared_engine, db_busy_timeout=0.1) as telegram:
        sam, _run, _step = await open_text_question(telegram)
        locker = sqlite3.connect(database_file(settings.database_url), isolation_level=None)
        locker.execute("BEGIN IMMEDIATE")
        try:
            (sorry,) = await sam.send(ANSWER)
        finally:
            locker.rollback()
            locker.close()
        assert ERROR_TEXT in sorry.text
        (multi,) = await sam.send(ANSWER)
        assert "stap 3 van 6" in multi.text
        assert [(k, v) for _r, k, v in await answers(telegram)] == [("motivatie", ANSWER)]


# -- PostgreSQL: the app's connections killed on the server ------------------------------------


postgres_only = pytest.mark.skipif(not on_postgres(), reason="PostgreSQL connections")


class Backends:
    """Terminates the server backends of one application name (only the app under test:
    other test sessions share the server and must not lose their connections)."""

    def __init__(self, url: str) -> None:
        self.name = f"straatwijs_fault_{secrets.token_hex(4)}"
        self.app_url = (
            make_url(url)
            .update_query_dict({"application_name": self.name})
            .render_as_string(hide_password=False)
        )
        self.admin = create_engine(sync_url(url), poolclass=NullPool)

    def terminate(self) -> int:
        with self.admin.begin() as conn:
            rows = conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    " AND application_name = :name"
                ),
                {"name": self.name},
            )
            return len(rows.all())

    def close(self) -> None:
        self.admin.dispose()


@pytest.fixture
def backends(settings):
    killer = Backends(settings.database_url)
    yield killer
    killer.close()


@postgres_only
async def test_postgres_connections_dropped_between_two_updates(
    settings, shared_engine, backends, caplog
):
    async with harness(settings, shared_engine, database_url=backends.app_url) as telegram:
        sam, _run, step = await open_text_question(telegram)
        assert backends.terminate() >= 1  # the pool's idle connections are gone
        replies = await sam.send(ANSWER)
        if any(ERROR_TEXT in m.text for m in replies):  # allowed, but then nothing changed
            assert await runs(telegram) == [("waarom", "active", step, [])]
            replies = await sam.send(ANSWER)
        (multi,) = replies
        assert "stap 3 van 6" in multi.text
        assert backends.terminate() >= 1
        await sam.press("⬜ Verbinding")
        (scale,) = await sam.press("Klaar ✅")
        assert "stap 4 van 6" in scale.text
        assert [(k, v) for _r, k, v in await answers(telegram)] == [
            ("motivatie", ANSWER),
            ("kernwaarden", ["verbinding"]),
        ]
        assert our_errors(caplog.records) == []  # pool_pre_ping: not even a "try again"


@postgres_only
async def test_postgres_connection_dropped_in_the_middle_of_an_update(
    settings, shared_engine, backends, caplog
):
    async with harness(settings, shared_engine, database_url=backends.app_url) as telegram:
        sam, _run, step = await open_text_question(telegram)
        engine = telegram.app.coach.engine
        handle = engine.handle
        killed: list[int] = []

        def handle_then_lose_the_connection(*args: Any, **kwargs: Any) -> Any:
            outcome = handle(*args, **kwargs)  # the transaction is open, the person locked
            if not killed:
                killed.append(backends.terminate())
            return outcome

        engine.handle = handle_then_lose_the_connection  # type: ignore[method-assign]
        try:
            update = await telegram.fake.send_text(sam.user, ANSWER)
            assert await feed_durably(telegram, update) is False  # the webhook answers 500
        finally:
            engine.handle = handle  # type: ignore[method-assign]
        assert killed[0] >= 1
        assert ERROR_TEXT in sam.messages[-1].text
        assert len(our_errors(caplog.records)) == 1
        assert await answers(telegram) == []  # rolled back: nothing half written
        assert await runs(telegram) == [("waarom", "active", step, [])]
        # Telegram delivers it again: handled once; then the conversation goes on
        assert await feed_durably(telegram, update) is True
        assert "stap 3 van 6" in sam.last.text
        await sam.press("⬜ Verbinding")
        (scale,) = await sam.press("Klaar ✅")
        assert "stap 4 van 6" in scale.text
        assert [(k, v) for _r, k, v in await answers(telegram)] == [
            ("motivatie", ANSWER),
            ("kernwaarden", ["verbinding"]),
        ]
