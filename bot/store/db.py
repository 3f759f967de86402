"""Database engines and transactions: the one place that knows about drivers.

SQLite (default) runs in WAL mode with a busy timeout and foreign keys on, and
write transactions start with BEGIN IMMEDIATE so they take the write lock up
front instead of failing half-way (DESIGN.md, facts). PostgreSQL takes a row
lock on the person for every write that concerns them.

A transaction is a *work function* given a session: plain synchronous code that
runs whole in a worker thread, so the event loop waits for one thread hop per
transaction. (An async driver costs a hop per statement, fetch, begin and commit,
about nine for a single SELECT through aiosqlite, measured: a bot update spent
most of its time waiting on them.) The few statements every update runs go
straight to the driver instead (`read_direct`/`write_direct`, bot/store/direct.py).
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar, cast

from sqlalchemy import Engine, event, text
from sqlalchemy import create_engine as create_sync_engine
from sqlalchemy.engine import URL, CursorResult, Result, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from bot.store.driver import Direct

log = logging.getLogger(__name__)
T = TypeVar("T")


class StoreError(Exception):
    """The database cannot be used; the message is meant for the operator."""


class StoreBusy(StoreError):
    """The database stayed locked for longer than the retries allow."""


def sync_url(url: str) -> URL:
    """The driver for a plain URL: pysqlite for SQLite, psycopg for PostgreSQL."""
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


# Worker threads per Database: enough for the pool's connections to be in use at once.
THREADS = 10


def create_engine(url: str, busy_timeout: float = 5.0) -> Engine:
    """An engine for `url`, with the right pragmas and pool."""
    target = sync_url(url)
    if target.get_backend_name() == "sqlite":
        engine = create_sync_engine(
            target,
            connect_args={"timeout": busy_timeout, "check_same_thread": False},
            pool_size=THREADS,
        )
        configure_sqlite(engine, busy_timeout)
        return engine
    return create_sync_engine(target, pool_pre_ping=True, pool_size=THREADS, max_overflow=THREADS)


def is_locked(exc: BaseException) -> bool:
    """A lock we may wait out: SQLite busy/locked, or a PostgreSQL lock/serialization
    failure; wrapped by SQLAlchemy or straight from the driver (bot/store/direct.py)."""
    if isinstance(exc, DBAPIError):
        orig: BaseException = exc.orig or exc
    elif type(exc).__module__.startswith(("sqlite3", "psycopg")):
        orig = exc
    else:
        return False
    text = str(orig).lower()
    code = getattr(orig, "sqlstate", None)
    return (
        "database is locked" in text
        or "database is busy" in text
        or code in ("40001", "40P01", "55P03")
    )


class Database:
    """Sessions and transactions over one database, with retries on short locks."""

    def __init__(self, engine: Engine, retries: int = 4, backoff: float = 0.05) -> None:
        self.engine = engine
        self.retries = retries
        self.backoff = backoff
        self.sqlite = engine.url.get_backend_name() == "sqlite"
        deferred = {"sqlite_begin": "DEFERRED"} if self.sqlite else {}
        self._reader = engine.execution_options(**deferred)
        self._inline: Any = None  # SQLite: a connection for work done on the event loop
        self._threads, self._writer = self._executors()

    def _executors(self) -> tuple[ThreadPoolExecutor, ThreadPoolExecutor]:
        """Threads for transactions, and the one that writes.

        SQLite takes one writer at a time. Queueing our writes on one thread keeps
        them off SQLite's busy handler, which sleeps in growing steps (1, 2, 5,
        10 ms...) and made three concurrent updates wait far longer than they ran.
        Other processes (a second worker, the CLI) are still waited out by it.
        """
        threads = ThreadPoolExecutor(THREADS, thread_name_prefix="straatwijs-db")
        if not self.sqlite:
            return threads, threads
        return threads, ThreadPoolExecutor(1, thread_name_prefix="straatwijs-db-writer")

    async def write(self, work: Callable[[Session], T]) -> T:
        """Run `work` in one write transaction; retry it whole if the database is locked."""
        return await self._retrying(lambda: self._in_thread(self._writer, self.engine, work))

    async def read(self, work: Callable[[Session], T]) -> T:
        """Run `work` in a read transaction (SQLite: deferred, not holding the write lock)."""
        return await self._retrying(lambda: self._in_thread(self._threads, self._reader, work))

    async def read_direct(self, work: Callable[[Direct], T]) -> T:
        """Run `work` with driver-level statements (bot/store/direct.py) in a read
        transaction: for the few reads every update makes."""
        return await self._direct_anywhere(work, write=False)

    async def write_direct(self, work: Callable[[Direct], T]) -> T:
        """Run `work` with driver-level statements in one write transaction."""
        return await self._direct_anywhere(work, write=True)

    async def _direct_anywhere(self, work: Callable[[Direct], T], write: bool) -> T:
        """On SQLite, first right here on the event loop: such a transaction takes
        about 0.1 ms, less than handing it to a thread and back. It may not wait
        for a lock there (busy timeout 0: the loop must never block); when another
        writer holds the database it goes to the threads, which wait it out."""
        if self.sqlite:
            try:
                return self._direct(work, write, self._inline_connection())
            except Exception as exc:
                if not is_locked(exc):
                    raise
        threads = self._writer if write else self._threads
        return await self._retrying(lambda: self._on(threads, lambda: self._direct(work, write)))

    def _inline_connection(self) -> Any:
        if self._inline is None:
            raw = self.engine.raw_connection()
            raw.detach()  # ours alone from now on: it never goes back to the pool
            cursor = raw.cursor()
            cursor.execute("PRAGMA busy_timeout=0")
            cursor.close()
            self._inline = raw
        return self._inline

    def _direct(self, work: Callable[[Direct], T], write: bool, raw: Any = None) -> T:
        """One transaction on a driver connection: `raw` (kept), else one from the pool."""
        connection = raw if raw is not None else self.engine.raw_connection()
        try:
            cursor = connection.cursor()
            if self.sqlite:
                cursor.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            result = work(Direct(cursor, self.engine.dialect))
            connection.commit()
            return result
        except BaseException:
            connection.rollback()
            raise
        finally:
            if raw is None:
                connection.close()

    async def _on(self, threads: ThreadPoolExecutor, call: Callable[[], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(threads, call)

    async def _in_thread(
        self, threads: ThreadPoolExecutor, bind: Engine, work: Callable[[Session], T]
    ) -> T:
        if inspect.iscoroutinefunction(work):
            raise TypeError("work functions are plain functions: they run in a thread")

        def transaction() -> T:
            with Session(bind, expire_on_commit=False) as session, session.begin():
                result = work(session)
                if inspect.isawaitable(result):  # e.g. a lambda around an async function
                    close = getattr(result, "close", None)
                    if close is not None:
                        close()
                    raise TypeError("a sync work function returned an awaitable")
                return result

        return await asyncio.get_running_loop().run_in_executor(threads, transaction)

    async def _retrying(self, attempt: Callable[[], Awaitable[T]]) -> T:
        tries = 0
        while True:
            try:
                return await attempt()
            except Exception as exc:  # the driver's own errors too (bot/store/direct.py)
                if not is_locked(exc):
                    raise
                tries += 1
                if tries > self.retries:
                    raise StoreBusy(
                        "the database stayed locked; another process holds it. "
                        "Try again in a moment."
                    ) from exc
                delay = self.backoff * (2 ** (tries - 1))
                log.warning("database locked, retry %d/%d in %.2fs", tries, self.retries, delay)
                await asyncio.sleep(delay)

    async def ping(self) -> None:
        """Raise StoreError with a readable message if the database cannot be reached."""

        def select_one(session: Session) -> None:
            session.execute(text("SELECT 1"))

        try:
            await self.read(select_one)
        except Exception as exc:
            raise StoreError(f"cannot reach the database: {describe(exc)}") from exc

    async def dispose(self) -> None:
        await asyncio.to_thread(self._shutdown)

    def _shutdown(self) -> None:
        """Close every connection; like an engine, the Database reconnects if used again."""
        if self._inline is not None:
            self._inline.close()
            self._inline = None
        self._writer.shutdown(wait=True)
        self._threads.shutdown(wait=True)
        self.engine.dispose()
        self._threads, self._writer = self._executors()


def affected(result: Result[Any]) -> int:
    """How many rows an UPDATE or DELETE changed (0 when the driver cannot tell).

    `Session.execute` is typed as returning a plain Result; for DML it is a
    CursorResult, which alone carries the row count.
    """
    return cast(CursorResult[Any], result).rowcount or 0


def describe(exc: BaseException) -> str:
    """One line about a driver error, without the SQL or a traceback."""
    orig = getattr(exc, "orig", None) or exc
    text = str(orig).strip().splitlines()
    return text[0] if text else type(orig).__name__
