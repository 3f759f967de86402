"""Workers that start together on one PostgreSQL database migrate it once, without errors."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, make_url, text

from bot.store.db import sync_url
from tests.conftest import TEST_DATABASE_URL, on_postgres

EXE = str(Path(sys.executable).parent / "straatwijs")

pytestmark = pytest.mark.skipif(
    not on_postgres(),
    reason="concurrent migrations need PostgreSQL: set STRAATWIJS_TEST_DATABASE_URL",
)


@pytest.fixture
def empty_schema() -> Iterator[str]:
    """A URL whose search_path is a new, empty schema."""
    schema = f"straatwijs_migrate_{os.getpid()}_{secrets.token_hex(3)}"
    engine = create_engine(sync_url(TEST_DATABASE_URL))
    with engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    yield (
        make_url(TEST_DATABASE_URL)
        .update_query_dict({"options": f"-csearch_path={schema}"})
        .render_as_string(hide_password=False)
    )
    with engine.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    engine.dispose()


def test_four_workers_migrating_at_once(empty_schema: str) -> None:
    """Four `straatwijs db upgrade` processes started together, as workers do at boot."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("STRAATWIJS_")}
    env["STRAATWIJS_DATABASE_URL"] = empty_schema
    procs = [
        subprocess.Popen([EXE, "db", "upgrade"], env=env, stderr=subprocess.PIPE, text=True)
        for _ in range(4)
    ]
    errors = [proc.communicate(timeout=120)[1] for proc in procs]
    assert [proc.returncode for proc in procs] == [0, 0, 0, 0], errors
    engine = create_engine(sync_url(empty_schema))
    with engine.connect() as conn:
        assert "runs" in inspect(conn).get_table_names()
        versions = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    engine.dispose()
    assert len(versions) == 1
