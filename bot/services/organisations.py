"""The operator's set-up: organisations, their groups, and the first invites.

`straatwijs admin` calls these; trainers invite people into their own groups
through `groups.py`, which checks the trainer rule. An operator is trusted with
the whole installation, so nothing here asks who is calling.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.store.db import Database
from bot.store.repo import Repository


class AlreadyExists(Exception):
    """An organisation, or a group within its organisation, of that name exists."""


@dataclass(frozen=True)
class Created:
    id: int
    name: str


@dataclass(frozen=True)
class NewInvite:
    code: str
    expires_at: datetime | None
    max_uses: int | None


class Organisations:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def add(self, name: str) -> Created:
        def work(session: Session) -> Created:
            org = Repository(session).add_organisation(name)
            return Created(org.id, org.name)

        return await self._unique(work, f"organisation '{name}' already exists")

    async def add_group(self, organisation: str, name: str) -> Created:
        """NotFound (bot.store.repo) when the organisation does not exist."""

        def work(session: Session) -> Created:
            group = Repository(session).add_group(organisation, name)
            return Created(group.id, group.name)

        return await self._unique(work, f"group '{name}' already exists in '{organisation}'")

    async def invite(
        self, group: str, role: str, expires_at: datetime, max_uses: int | None
    ) -> NewInvite:
        """An invite to a group named `NAME` or `ORG/NAME`, in any role."""

        def work(session: Session) -> NewInvite:
            repo = Repository(session)
            invite = repo.create_invite(repo.group(group).id, role, expires_at, max_uses)
            return NewInvite(invite.code, invite.expires_at, invite.max_uses)

        return await self.db.write(work)

    async def _unique(self, work: Callable[[Session], Created], message: str) -> Created:
        try:
            return await self.db.write(work)
        except IntegrityError:
            raise AlreadyExists(message) from None
