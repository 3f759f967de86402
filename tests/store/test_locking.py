"""A locked SQLite file: waited out and retried, then a clear error."""

from __future__ import annotations

import asyncio
import sqlite3
import threading

import pytest

from bot.store.db import Database, StoreBusy, create_engine
from bot.store.repo import Repository
from tests.conftest import on_postgres

pytestmark = pytest.mark.skipif(on_postgres(), reason="SQLite file locking")


def hold_lock(path: str, seconds: float, ready: threading.Event) -> None:
    """Another process's write transaction, as a plain sqlite3 connection."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("BEGIN EXCLUSIVE")
    ready.set()
    threading.Event().wait(seconds)
    conn.execute("ROLLBACK")
    conn.close()


async def add_org(db: Database, name: str) -> int:
    def work(session):
        return (Repository(session).add_organisation(name)).id

    return await db.write(work)


async def test_a_short_lock_is_waited_out(database_url):
    path = database_url.removeprefix("sqlite:///")
    db = Database(create_engine(database_url, busy_timeout=0.05), retries=6, backoff=0.05)
    ready = threading.Event()
    holder = threading.Thread(target=hold_lock, args=(path, 0.4, ready))
    holder.start()
    ready.wait()
    try:
        assert await add_org(db, "Zwolle") == 1
    finally:
        holder.join()
        await db.dispose()


async def test_a_long_lock_gives_a_clear_error(database_url):
    path = database_url.removeprefix("sqlite:///")
    db = Database(create_engine(database_url, busy_timeout=0.05), retries=2, backoff=0.01)
    ready = threading.Event()
    holder = threading.Thread(target=hold_lock, args=(path, 1.5, ready))
    holder.start()
    ready.wait()
    try:
        with pytest.raises(StoreBusy, match="stayed locked"):
            await add_org(db, "Zwolle")
    finally:
        holder.join()
    # once the lock is gone, the same database works again
    assert await add_org(db, "Zwolle") == 1
    await db.dispose()


async def test_concurrent_writers_serialise(database_url):
    db = Database(create_engine(database_url, busy_timeout=2.0))
    ids = await asyncio.gather(*(add_org(db, f"Gemeente {i}") for i in range(20)))
    assert sorted(ids) == list(range(1, 21))
    await db.dispose()
