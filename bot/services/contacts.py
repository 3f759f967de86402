"""Local contacts per organisation: what a value may be, and who may read or change it.

Exercises about reporting and threats name the municipality's own routes with
`{contact.<key>}` placeholders (bot/dialogues/contacts.py); this service is how
they are set. The operator sets them with `straatwijs admin contacts` and is
trusted with every organisation, like the rest of `straatwijs admin`. A trainer
sets them for the organisation of a group they train, on the dashboard; the
check is the one trainer rule of `access.py`, in the same transaction as the
write. A coordinator of the organisation may read them.

A wrong number sends a worried professional to the wrong place, so every
change is written to the organisation's audit log (which keys, never values:
the log lists acts), and values are checked before anything is written: a known
key, one short line, no control characters.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from bot.clock import Clock, SystemClock
from bot.dialogues.catalog import Catalog
from bot.dialogues.checks.names import suggest
from bot.dialogues.contacts import (
    CONTACT_KEYS,
    MAX_CONTACT_CHARS,
    placeholder,
    unreadable_character,
)
from bot.services import access
from bot.services.audit import record_in
from bot.store.contacts import ContactRepository, ContactRow
from bot.store.db import Database
from bot.store.models import Organisation

#: The audit action of a change to an organisation's contacts.
CONTACTS_CHANGED = "contacts_changed"


class ContactError(ValueError):
    """A contact that cannot be stored; `code` names why (for a page's text), the
    message says it in full (for the CLI)."""

    def __init__(self, code: str, key: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.key = key


@dataclass(frozen=True)
class Contact:
    """One contact as a page or the CLI shows it: the value set, or the national
    route an exercise reads instead."""

    key: str
    value: str | None
    fallback: str
    updated_at: datetime | None

    @property
    def shown(self) -> str:
        """What an exercise reads for this contact."""
        return self.value or self.fallback


@dataclass(frozen=True)
class ContactSheet:
    """Every contact of one organisation, in the order of CONTACT_KEYS."""

    organisation_id: int
    organisation: str
    contacts: tuple[Contact, ...]

    def get(self, key: str) -> Contact:
        return next(c for c in self.contacts if c.key == key)


#: Changes to apply: key -> the new value, or None to clear it.
Changes = Mapping[str, str | None]


def clean(key: str, value: str | None) -> str | None:
    """The value to store for `key` (None: clear it), or ContactError saying why not."""
    if key not in CONTACT_KEYS:
        hint = suggest(key, CONTACT_KEYS)
        known = ", ".join(CONTACT_KEYS)
        raise ContactError(
            "unknown_key",
            key,
            f"unknown contact '{key}'" + (f" ({hint})" if hint else "") + f"; known: {known}",
        )
    if value is None:
        return None
    value = value.strip()
    if not value:
        raise ContactError("empty", key, f"contact '{key}' is empty; clear it instead")
    if len(value) > MAX_CONTACT_CHARS:
        raise ContactError(
            "too_long",
            key,
            f"contact '{key}' is {len(value)} characters long; at most {MAX_CONTACT_CHARS}",
        )
    bad = unreadable_character(value)
    if bad is not None:
        raise ContactError(
            "control",
            key,
            f"contact '{key}' holds a control character ({bad}); write it on one line",
        )
    return value


def clean_all(changes: Changes) -> dict[str, str | None]:
    """Every change checked before any is applied: one bad value changes nothing."""
    return {key: clean(key, value) for key, value in changes.items()}


class Contacts:
    """Reading and changing an organisation's local contacts."""

    def __init__(self, db: Database, catalog: Catalog, clock: Clock | None = None) -> None:
        self.db = db
        self.catalog = catalog
        self.clock: Clock = clock or SystemClock()

    # -- the operator (`straatwijs admin contacts`) ---------------------------------------

    async def sheet(self, organisation: str, locale: str) -> ContactSheet:
        """An organisation's contacts, by id or name (NotFound from bot.store.repo)."""

        def work(session: Session) -> ContactSheet:
            repo = ContactRepository(session)
            return self._sheet(repo, repo.organisation(organisation), locale)

        return await self.db.read(work)

    async def change(self, organisation: str, changes: Changes, locale: str) -> ContactSheet:
        """Set and clear contacts of an organisation by id or name, as the operator."""
        cleaned = clean_all(changes)

        def work(session: Session) -> ContactSheet:
            repo = ContactRepository(session)
            org = repo.organisation(organisation)
            self._apply(session, repo, org.id, cleaned, actor_id=None, group_id=None)
            return self._sheet(repo, org, locale)

        return await self.db.write(work)

    # -- a trainer (the dashboard) --------------------------------------------------------

    async def for_group(self, viewer_id: int, group_id: int, locale: str) -> ContactSheet:
        """The contacts of the organisation of a group the viewer trains."""

        def work(session: Session) -> ContactSheet:
            access.require_trainer(session, viewer_id, group_id)
            repo = ContactRepository(session)
            return self._sheet(repo, repo.group_organisation(group_id), locale)

        return await self.db.read(work)

    async def change_for_group(
        self, viewer_id: int, group_id: int, changes: Changes, locale: str
    ) -> ContactSheet:
        """Set and clear contacts of the organisation of a group the viewer trains
        (AccessDenied for anyone else, Gone for a group that does not exist)."""
        cleaned = clean_all(changes)

        def work(session: Session) -> ContactSheet:
            access.require_trainer(session, viewer_id, group_id)
            repo = ContactRepository(session)
            org = repo.group_organisation(group_id)
            self._apply(session, repo, org.id, cleaned, actor_id=viewer_id, group_id=group_id)
            return self._sheet(repo, org, locale)

        return await self.db.write(work)

    # -- a coordinator ----------------------------------------------------------------------

    async def for_organisation(
        self, viewer_id: int, organisation_id: int, locale: str
    ) -> ContactSheet:
        """The contacts of an organisation the viewer coordinates a group of (read only)."""

        def work(session: Session) -> ContactSheet:
            access.require_coordinator(session, viewer_id, organisation_id)
            repo = ContactRepository(session)
            return self._sheet(repo, repo.organisation_by_id(organisation_id), locale)

        return await self.db.read(work)

    # -- shared -------------------------------------------------------------------------------

    def _apply(
        self,
        session: Session,
        repo: ContactRepository,
        organisation_id: int,
        cleaned: Mapping[str, str | None],
        actor_id: int | None,
        group_id: int | None,
    ) -> None:
        """Write what differs from what is stored, and log which keys changed."""
        stored = repo.contacts(organisation_id)
        changed = []
        for key, value in cleaned.items():
            before = stored.get(key)
            if value is None and before is not None:
                changed.append(key)
            elif value is not None and (before is None or before.value != value):
                repo.put(organisation_id, key, value, actor_id)
                changed.append(key)
        if not changed:
            return
        repo.drop(organisation_id, [key for key in changed if cleaned[key] is None])
        record_in(
            session,
            self.clock.now(),
            actor_id,
            CONTACTS_CHANGED,
            organisation_id=organisation_id,
            group_id=group_id,
            detail=", ".join(sorted(changed)),
        )

    def _sheet(self, repo: ContactRepository, org: Organisation, locale: str) -> ContactSheet:
        stored: dict[str, ContactRow] = repo.contacts(org.id)
        contacts = tuple(
            Contact(
                key,
                stored[key].value if key in stored else None,
                self.catalog.text(locale, placeholder(key)),
                stored[key].updated_at if key in stored else None,
            )
            for key in CONTACT_KEYS
        )
        return ContactSheet(org.id, org.name, contacts)
