"""Bring a database to the newest schema with Alembic (`straatwijs db upgrade`)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.exc import DBAPIError, OperationalError

from bot.store.db import StoreError, describe

HERE = Path(__file__).resolve().parent


def alembic_config(url: str) -> Config:
    """An Alembic config for `url` that finds our migrations wherever we are installed."""
    config = Config(str(HERE / "alembic.ini"))
    config.set_main_option("script_location", str(HERE / "migrations"))
    config.attributes["url"] = url
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Run migrations; a database that cannot be reached becomes a readable StoreError."""
    try:
        command.upgrade(alembic_config(url), revision)
    except (OperationalError, DBAPIError) as exc:
        raise StoreError(f"cannot migrate the database: {describe(exc)}") from exc
