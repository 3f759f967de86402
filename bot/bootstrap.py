"""The composition root: the one place that builds infrastructure.

Nothing is built at import time; commands call `build()` with their settings.
"""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass
from datetime import time, timedelta

from bot.clock import Clock, SystemClock
from bot.dialogues.catalog import Catalog, load_valid_catalog
from bot.engine import Engine
from bot.privacy.cipher import TextCipher
from bot.services.coaching import Coach
from bot.services.drafts import Drafts
from bot.services.membership import Members
from bot.services.pushes import Pushes, QuietHours
from bot.services.review import Review
from bot.settings import REPO_ROOT, Settings
from bot.store.db import Database, create_engine
from bot.store.migrate import upgrade


@dataclass
class App:
    """Everything a channel needs, wired together."""

    settings: Settings
    catalog: Catalog
    engine: Engine
    db: Database
    coach: Coach
    clock: Clock
    members: Members
    pushes: Pushes
    review: Review
    drafts: Drafts
    # Seals and opens free text (answers, feedback); plain pass-through without a key.
    cipher: TextCipher

    async def close(self) -> None:
        await self.db.dispose()


def load_catalog(settings: Settings, locales: list[str] | None = None) -> Catalog:
    """The validated dialogue set, or InvalidDialogues with every problem.

    By default all locales present are checked, plus the configured one (so an
    unknown STRAATWIJS_LOCALE is reported as such).
    """
    from bot.dialogues.content import available_locales

    wanted = locales
    if wanted is None:
        wanted = sorted({*available_locales(settings.content_dir), settings.locale})
    return load_valid_catalog(
        [settings.dialogues_dir], settings.content_dir, wanted, root=REPO_ROOT
    )


async def build(
    settings: Settings,
    migrate: bool = True,
    catalog: Catalog | None = None,
    clock: Clock | None = None,
    engine: Engine | None = None,
) -> App:
    """Validate dialogues, migrate and connect the database, wire the services.

    An already compiled engine may be passed in (tests share one; it is immutable).
    """
    catalog = engine.catalog if engine is not None else catalog or load_catalog(settings)
    catalog.default_locale = settings.locale
    if migrate:
        await asyncio.to_thread(upgrade, settings.database_url)
    db = Database(create_engine(settings.database_url, settings.db_busy_timeout))
    await db.ping()
    engine = engine or Engine(catalog)
    clock = clock or SystemClock()
    cipher = TextCipher(settings.encryption_key)
    start, end = (time.fromisoformat(part) for part in settings.quiet_hours.split("-"))
    pushes = Pushes(
        db,
        clock,
        QuietHours(start, end),
        reminder_after=timedelta(hours=settings.reminder_after_hours),
        max_reminders=settings.max_reminders,
        cipher=cipher,
    )
    return App(
        settings,
        catalog,
        engine,
        db,
        Coach(db, engine, cipher),
        clock,
        Members(db, clock),
        pushes,
        Review(db, engine, clock, cipher),
        Drafts(db, cipher),
        cipher,
    )


# Libraries whose debug and info records carry payloads: request URLs with the bot
# token, update JSON with what people typed, SQL parameters with answers. Kept at
# WARNING whatever our level.
QUIET_LOGGERS = (
    "httpx",
    "httpcore",
    "telegram",
    "uvicorn.access",
    "alembic",
    "sqlalchemy",
    "psycopg",
)
_TOKEN = re.compile(r"\d{5,}:[A-Za-z0-9_-]{20,}")


class RedactTokens(logging.Filter):
    """Masks anything shaped like a bot token in a record, as a second line of defence."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if _TOKEN.search(message):
            record.msg = _TOKEN.sub("<token>", message)
            record.args = None
        return True


def configure_logging(level: str) -> None:
    """Plain logs on stderr, without answer texts, names, tokens or invite codes.

    Our own modules never log what people type; the libraries that would are held
    at WARNING, and tokens are masked in whatever remains.
    """
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, RedactTokens) for f in handler.filters):
            handler.addFilter(RedactTokens())
    for noisy in QUIET_LOGGERS:
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLevelName(level)))
