"""What every benchmark shares: results, medians, the compiled engine, temp databases."""

from __future__ import annotations

import atexit
import functools
import os
import shutil
import statistics
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.settings import REPO_ROOT, Settings

if TYPE_CHECKING:
    from bot.dialogues.catalog import Catalog
    from bot.engine import Engine

TOKEN = "123456:ABCDEFGHIJKLMNOPQRSTUVWXYZ_bench"
OPS: dict[str, Callable[[float, float], bool]] = {
    ">=": lambda x, y: x >= y,
    "<=": lambda x, y: x <= y,
    "==": lambda x, y: x == y,
}


@dataclass(frozen=True)
class Result:
    """One benchmark line: `<name>: ratio=<x> target=<op><y> ok|MISS`.

    `detail` holds the absolute numbers behind the ratio (printed on stderr).
    `valid` is False when a side produced wrong output (then the line is a MISS).
    """

    name: str
    ratio: float
    op: str
    target: float
    detail: str = ""
    valid: bool = True

    @property
    def ok(self) -> bool:
        return self.valid and OPS[self.op](self.ratio, self.target)

    def line(self) -> str:
        ratio = f"{self.ratio:.0f}" if float(self.ratio).is_integer() else f"{self.ratio:.3g}"
        target = f"{self.target:g}"
        return f"{self.name}: ratio={ratio} target={self.op}{target} {'ok' if self.ok else 'MISS'}"


def median(values: list[float]) -> float:
    return statistics.median(values)


@functools.cache
def shared_engine() -> Engine:
    """The shipped dialogues, loaded, validated and compiled once per process."""
    from bot.engine import Engine

    return Engine(load_catalog())


@functools.cache
def load_catalog() -> Catalog:
    from bot.dialogues.catalog import load_valid_catalog

    return load_valid_catalog([REPO_ROOT / "dialogues"], REPO_ROOT / "content", root=REPO_ROOT)


@functools.cache
def _migrated_template() -> Path:
    """A migrated, empty SQLite file; copied for every fresh database."""
    from bot.store.migrate import upgrade

    folder = Path(tempfile.mkdtemp(prefix="straatwijs-bench-template-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    path = folder / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


#: A PostgreSQL URL to run the database-backed benchmarks on instead of SQLite
#: (`bench/run.py --postgres URL`); each database then is a fresh schema.
POSTGRES: dict[str, str] = {}


@contextmanager
def temp_database() -> Iterator[str]:
    """A fresh migrated database: a SQLite file in a temp dir (or a PostgreSQL schema)."""
    if POSTGRES.get("url"):
        with _postgres_schema(POSTGRES["url"]) as url:
            yield url
        return
    folder = Path(tempfile.mkdtemp(prefix="straatwijs-bench-"))
    try:
        path = folder / "straatwijs.db"
        shutil.copyfile(_migrated_template(), path)
        yield f"sqlite:///{path}"
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def bench_settings(database_url: str, **overrides: Any) -> Settings:
    """Settings for a bot talking to the in-process fake Bot API."""
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    values: dict[str, Any] = {
        "database_url": database_url,
        "telegram_token": TOKEN,
        "telegram_api_url": "http://fake/bot",
        "dialogues_dir": REPO_ROOT / "dialogues",
        "content_dir": REPO_ROOT / "content",
        "locale": "nl",
        "db_busy_timeout": 10.0,
        "quiet_hours": "00:00-00:00",  # pushes go out whatever the hour the bench runs
    }
    values.update(overrides)
    return Settings(**values, _env_file=None)  # type: ignore[call-arg]


@contextmanager
def _postgres_schema(base_url: str) -> Iterator[str]:
    """A fresh schema on PostgreSQL, migrated, dropped afterwards."""
    import secrets

    from sqlalchemy import create_engine, make_url, text

    from bot.store.db import sync_url
    from bot.store.migrate import upgrade

    schema = f"straatwijs_bench_{os.getpid()}_{secrets.token_hex(3)}"
    engine = create_engine(sync_url(base_url))
    with engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = (
        make_url(base_url)
        .update_query_dict({"options": f"-csearch_path={schema}"})
        .render_as_string(hide_password=False)
    )
    try:
        upgrade(url)
        yield url
    finally:
        with engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()


def person_rows(users: Iterable[Any], now: datetime) -> list[dict[str, Any]]:
    """Bulk-insert rows for consented Telegram people (the benchmarks' members)."""
    return [
        {
            "channel": "telegram",
            "external_id": str(u.id),
            "first_name": u.first_name,
            "locale": "nl",
            "consented_at": now,
            "active": True,
            "reminders": True,
            "created_at": now,
        }
        for u in users
    ]
