"""Database engines and transactions: the one place that knows about drivers.

SQLite (default) runs in WAL mode with a busy timeout and foreign keys on, and
write transactions start with BEGIN IMMEDIATE so they take the write lock up
front instead of failing half-way (DESIGN.md, facts). PostgreSQL takes a row
lock on the person for every write that concerns them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, create_async_engine

log = logging.getLogger(__name__)
T = TypeVar("T")


class StoreError(Exception):
    """The database cannot be used; the message is meant for the operator."""


class StoreBusy(StoreError):
    """The database stayed locked for longer than the retries allow."""


def async_url(url: str) -> URL:
    """The async driver for a plain URL: aiosqlite for SQLite, psycopg for PostgreSQL."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return parsed.set(drivername="sqlite+aiosqlite")
    if backend in ("postgresql", "postgres"):
        return parsed.set(drivername="postgresql+psycopg")
    raise StoreError(f"unsupported database URL scheme '{parsed.drivername}'")


def sync_url(url: str) -> URL:
    """The sync driver (for migrations): pysqlite, or psycopg for PostgreSQL."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return parsed.set(drivername="sqlite")
    if backend in ("postgresql", "postgres"):
        return parsed.set(drivername="postgresql+psycopg")
    raise StoreError(f"unsupported database URL scheme '{parsed.drivername}'")


def is_sqlite(url: str | URL) -> bool:
    return make_url(str(url) if isinstance(url, URL) else url).get_backend_name() == "sqlite"


def configure_sqlite(sync_engine: Any, busy_timeout: float) -> None:
    """Pragmas on every new connection; BEGIN IMMEDIATE unless a read was asked for."""

    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout * 1000)}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        mode = connection.get_execution_options().get("sqlite_begin", "IMMEDIATE")
        connection.exec_driver_sql(f"BEGIN {mode}")


def create_engine(url: str, busy_timeout: float = 5.0) -> AsyncEngine:
    """An async engine for `url` with the right pragmas and pool."""
    target = async_url(url)
    if target.get_backend_name() == "sqlite":
        engine = create_async_engine(target, connect_args={"timeout": busy_timeout})
        configure_sqlite(engine.sync_engine, busy_timeout)
        return engine
    return create_async_engine(target, pool_pre_ping=True, pool_size=10, max_overflow=10)


def is_locked(exc: BaseException) -> bool:
    """A lock we may wait out: SQLite busy/locked, or a PostgreSQL lock/serialization failure."""
    if not isinstance(exc, OperationalError | DBAPIError):
        return False
    text = str(exc.orig if isinstance(exc, DBAPIError) and exc.orig else exc).lower()
    code = getattr(getattr(exc, "orig", None), "sqlstate", None)
    return (
        "database is locked" in text
        or "database is busy" in text
        or code in ("40001", "40P01", "55P03")
    )


class Database:
    """Sessions and transactions over one engine, with retries on short locks."""

    def __init__(self, engine: AsyncEngine, retries: int = 4, backoff: float = 0.05) -> None:
        self.engine = engine
        self.retries = retries
        self.backoff = backoff
        self.sqlite = engine.url.get_backend_name() == "sqlite"
        reader = engine.execution_options(sqlite_begin="DEFERRED") if self.sqlite else engine
        self._reader = reader

    async def write(self, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
        """Run `work` in one write transaction; retry it whole if the database is locked."""
        return await self._run(self.engine, work)

    async def read(self, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
        """Run `work` in a read transaction (SQLite: deferred, not holding the write lock)."""
        return await self._run(self._reader, work)

    async def _run(self, bind: AsyncEngine, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
        attempt = 0
        while True:
            try:
                async with AsyncSession(bind, expire_on_commit=False) as session, session.begin():
                    return await work(session)
            except (OperationalError, DBAPIError) as exc:
                if not is_locked(exc):
                    raise
                attempt += 1
                if attempt > self.retries:
                    raise StoreBusy(
                        "the database stayed locked; another process holds it. "
                        "Try again in a moment."
                    ) from exc
                delay = self.backoff * (2 ** (attempt - 1))
                log.warning("database locked, retry %d/%d in %.2fs", attempt, self.retries, delay)
                await asyncio.sleep(delay)

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[AsyncConnection]:
        """A raw connection, for health checks."""
        async with self.engine.connect() as conn:
            yield conn

    async def ping(self) -> None:
        """Raise StoreError with a readable message if the database cannot be reached."""
        from sqlalchemy import text

        try:
            async with self._reader.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except Exception as exc:
            raise StoreError(f"cannot reach the database: {describe(exc)}") from exc

    async def dispose(self) -> None:
        await self.engine.dispose()


def describe(exc: BaseException) -> str:
    """One line about a driver error, without the SQL or a traceback."""
    orig = getattr(exc, "orig", None) or exc
    text = str(orig).strip().splitlines()
    return text[0] if text else type(orig).__name__
