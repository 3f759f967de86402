"""Shared fixtures: a migrated database per test, on SQLite or PostgreSQL.

Set STRAATWIJS_TEST_DATABASE_URL=postgresql://... to run the whole suite on
PostgreSQL (`.ci/run` does both). SQLite tests copy a template file migrated
once per session; PostgreSQL tests truncate every table between tests.
"""

from __future__ import annotations

import io
import os
import secrets
import shutil
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url, text

from bot.bootstrap import App, build
from bot.dialogues.catalog import load_valid_catalog
from bot.engine import Engine
from bot.settings import REPO_ROOT, Settings
from bot.store.db import is_sqlite, sync_url
from bot.store.migrate import upgrade
from bot.store.models import Base

TEST_DATABASE_URL = os.environ.get("STRAATWIJS_TEST_DATABASE_URL", "")


def on_postgres() -> bool:
    return bool(TEST_DATABASE_URL) and not is_sqlite(TEST_DATABASE_URL)


@pytest.fixture(scope="session")
def _migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated database: a template SQLite file, or a fresh PostgreSQL schema.

    Each PostgreSQL test session gets its own schema (via search_path), so two
    test runs on the same server never drop each other's tables.
    """
    if on_postgres():
        schema = f"straatwijs_test_{os.getpid()}_{secrets.token_hex(3)}"
        engine = create_engine(sync_url(TEST_DATABASE_URL))
        with engine.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        url = (
            make_url(TEST_DATABASE_URL)
            .update_query_dict({"options": f"-csearch_path={schema}"})
            .render_as_string(hide_password=False)
        )
        upgrade(url)
        yield url
        with engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()
        return
    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade(f"sqlite:///{path}")
    yield str(path)


@pytest.fixture
def database_url(_migrated_template: str, tmp_path: Path) -> Iterator[str]:
    """A migrated, empty database for one test."""
    if on_postgres():
        engine = create_engine(sync_url(_migrated_template))
        tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
        with engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        engine.dispose()
        yield _migrated_template
        return
    path = tmp_path / "straatwijs.db"
    shutil.copyfile(_migrated_template, path)
    yield f"sqlite:///{path}"


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        dialogues_dir=REPO_ROOT / "dialogues",
        content_dir=REPO_ROOT / "content",
        locale="nl",
        db_busy_timeout=2.0,
        _env_file=None,  # type: ignore[call-arg]
    )


@pytest.fixture(scope="session")
def shared_engine() -> Engine:
    """The shipped dialogues, loaded and compiled once for the whole run."""
    return Engine(
        load_valid_catalog([REPO_ROOT / "dialogues"], REPO_ROOT / "content", root=REPO_ROOT)
    )


@pytest.fixture
async def app(settings: Settings, shared_engine: Engine) -> AsyncIterator[App]:
    built = await build(settings, migrate=False, engine=shared_engine)
    try:
        yield built
    finally:
        await built.close()


@pytest.fixture
def cli_env(database_url: str, tmp_path: Path) -> dict[str, str]:
    """Environment for running the `straatwijs` command against the test database."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("STRAATWIJS_")}
    env["STRAATWIJS_DATABASE_URL"] = database_url
    env["PTB_TIMEDELTA"] = "true"
    return env


@pytest.fixture
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture
def cli(cli_env, monkeypatch, tmp_path, capsys):
    """Run `straatwijs ARGS` in-process with the test database; returns (code, out, err)."""
    from bot.cli import main

    for key in [k for k in os.environ if k.startswith("STRAATWIJS_")]:
        monkeypatch.delenv(key)
    for key, value in cli_env.items():
        if key.startswith("STRAATWIJS_"):
            monkeypatch.setenv(key, value)
    monkeypatch.chdir(tmp_path)

    def run(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
        if stdin is not None:
            monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        code = main(list(args))
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run
