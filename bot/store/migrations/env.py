"""Alembic environment: migrations run with a sync driver on the configured URL."""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import create_engine, pool

from bot.store.db import is_sqlite, sync_url
from bot.store.models import Base

config = context.config
url = config.attributes.get("url") or os.environ.get(
    "STRAATWIJS_DATABASE_URL", "sqlite:///straatwijs.db"
)


def run_migrations() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = create_engine(sync_url(url), poolclass=pool.NullPool)
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()


def _run(connection: object) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=is_sqlite(url),
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
