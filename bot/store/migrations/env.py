"""Alembic environment: migrations run with a sync driver on the configured URL.

On PostgreSQL the run holds an advisory lock, so workers that start at the same
moment migrate one after the other: the second finds the schema current instead
of creating the same tables again.
"""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import Connection, create_engine, func, pool, select

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
        if conn.dialect.name != "postgresql":
            _run(conn)
        else:
            _locked(conn)
    engine.dispose()


# Any fixed number: the key of the advisory lock that serialises migrations.
MIGRATION_LOCK = 0x5354_5241_4154_0001


def _locked(conn: Connection) -> None:
    conn.execute(select(func.pg_advisory_lock(MIGRATION_LOCK)))
    conn.commit()  # the lock belongs to the session and outlives this transaction
    try:
        _run(conn)
        conn.commit()
    finally:
        conn.execute(select(func.pg_advisory_unlock(MIGRATION_LOCK)))
        conn.commit()


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=is_sqlite(url),
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
