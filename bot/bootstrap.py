"""The composition root: the one place that builds infrastructure and services.

Nothing is built at import time; commands call `build()` with their settings,
and hand the resulting `App` (bot/services/app.py) to an adapter.
"""

from __future__ import annotations

import asyncio
import logging
import re
from datetime import time, timedelta
from functools import partial

from bot.clock import Clock, SystemClock
from bot.dialogues.catalog import Catalog, load_valid_catalog
from bot.dialogues.content import available_locales
from bot.engine import Engine
from bot.privacy import TextCipher
from bot.services.app import App
from bot.services.audit import Audit
from bot.services.coaching import Coach
from bot.services.contacts import Contacts
from bot.services.drafts import Drafts
from bot.services.groups import Groups
from bot.services.logins import Logins
from bot.services.membership import Members
from bot.services.organisations import Organisations
from bot.services.progress import Progress
from bot.services.pushes import Pushes, QuietHours
from bot.services.reports import Aggregates
from bot.services.retention import Retention
from bot.services.review import Review
from bot.services.rights import Rights
from bot.settings import REPO_ROOT, Settings
from bot.store.db import Database, create_engine
from bot.store.migrate import upgrade


def load_catalog(settings: Settings, locales: list[str] | None = None) -> Catalog:
    """The validated dialogue set, or InvalidDialogues with every problem.

    By default all locales present are checked, plus the configured one (so an
    unknown STRAATWIJS_LOCALE is reported as such).
    """
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
        groups=Groups(db, clock),
        rights=Rights(db, cipher.open),
        audit=Audit(db, clock),
        reports=Aggregates(db, engine),
        logins=Logins(db, settings, clock),
        progress=Progress(db),
        retention=Retention(db, clock, settings.retention_months),
        organisations=Organisations(db),
        contacts=Contacts(db, catalog, clock),
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


# -- the long-running commands ---------------------------------------------------------


def run_telegram(settings: Settings) -> int:
    """`straatwijs run`: refuse invalid dialogues, migrate, then hand the bot its services."""
    from bot.telegram import run_bot  # start-up: PTB only for the command that runs it

    catalog = load_catalog(settings)
    upgrade(settings.database_url)
    return run_bot(settings, partial(build, settings, migrate=False, catalog=catalog))


def serve_dashboard(settings: Settings, host: str, port: int) -> int:
    """`straatwijs web`: the dashboard, built like the bot (dialogues checked, migrated)."""
    from bot.web import serve  # start-up: uvicorn and the web app only for `web`

    return serve(settings, host, port, partial(build, settings))
