"""Every service of the application, wired: what the adapters are handed.

Built only by `bot.bootstrap.build` (the composition root); the Telegram adapter,
the dashboard and the console take what they need from it and build nothing of
their own, so every channel uses the same access rule, exporter and reports.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.clock import Clock
from bot.dialogues.catalog import Catalog
from bot.engine import Engine
from bot.privacy import TextCipher
from bot.services.audit import Audit
from bot.services.coaching import Coach
from bot.services.contacts import Contacts
from bot.services.drafts import Drafts
from bot.services.exports import Pseudonymiser, pseudonymiser
from bot.services.groups import Groups
from bot.services.logins import Logins
from bot.services.membership import Members
from bot.services.organisations import Organisations
from bot.services.progress import Progress
from bot.services.pushes import Pushes
from bot.services.reports import Aggregates
from bot.services.retention import Retention
from bot.services.review import Review
from bot.services.rights import Rights
from bot.settings import Settings
from bot.store.db import Database, StoreError

log = logging.getLogger(__name__)


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
    groups: Groups
    rights: Rights
    audit: Audit
    reports: Aggregates
    logins: Logins
    progress: Progress
    retention: Retention
    organisations: Organisations
    # An organisation's local contacts, filled into exercises' `{contact.*}` placeholders.
    contacts: Contacts

    async def healthy(self) -> bool:
        """Whether the database answers (for `/healthz` of the webhook and dashboard)."""
        try:
            await self.db.ping()
        except StoreError as exc:
            log.warning("health check: %s", exc)
            return False
        return True

    async def pseudonymiser(self) -> Pseudonymiser:
        """Keyed pseudonyms for people, for pages that list members without names."""
        return await pseudonymiser(self.db)

    async def close(self) -> None:
        await self.db.dispose()
