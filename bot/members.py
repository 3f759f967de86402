"""Joining with an invite, consent, language and reachability: who may use the bot.

Nothing about a person is stored before they consent: an invite is checked
read-only, and the person row is created only in the transaction that records
the consent and the membership.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from bot.audit import ROLE_ADDED, record_in
from bot.clock import Clock, SystemClock
from bot.coach import Who, who_of
from bot.store.db import Database
from bot.store.models import Group, Invite
from bot.store.repo import Repository

InviteStatus = Literal["ok", "invalid", "expired", "used_up"]
JoinStatus = Literal["joined", "joined_also", "already_member", "invalid", "expired", "used_up"]


@dataclass(frozen=True)
class InviteCheck:
    status: InviteStatus
    group: str | None = None
    role: str | None = None


@dataclass(frozen=True)
class Joined:
    status: JoinStatus
    who: Who | None = None
    group: str | None = None
    duplicate: bool = False


def invite_status(invite: Invite | None, now: datetime) -> InviteStatus:
    """Whether an invite can still be used."""
    if invite is None or invite.revoked:
        return "invalid"
    if invite.expires_at is not None and invite.expires_at <= now:
        return "expired"
    if invite.max_uses is not None and invite.uses >= invite.max_uses:
        return "used_up"
    return "ok"


class Members:
    """Membership operations for channels."""

    def __init__(self, db: Database, clock: Clock | None = None) -> None:
        self.db = db
        self.clock = clock or SystemClock()

    async def find(self, channel: str, external_id: str) -> Who | None:
        """A person who consented, or None (never creates anyone)."""

        async def work(session: AsyncSession) -> Who | None:
            person = await Repository(session).person_by_external(channel, external_id)
            if person is None or person.consented_at is None:
                return None
            return who_of(person)

        return await self.db.read(work)

    async def check_invite(self, code: str) -> InviteCheck:
        """Read-only look at an invite, shown before consent."""

        async def work(session: AsyncSession) -> InviteCheck:
            found = await Repository(session).invite(code)
            invite, group = found if found else (None, None)
            status = invite_status(invite, self.clock.now())
            if status != "ok" or invite is None or group is None:
                return InviteCheck(status)
            return InviteCheck(status, _group_name(group), invite.role)

        return await self.db.read(work)

    async def join(
        self,
        channel: str,
        external_id: str,
        first_name: str | None,
        locale: str,
        code: str,
        once: int | None = None,
    ) -> Joined:
        """Consent given: create the person if new and add the membership, atomically.

        The new role goes into the audit log in the same transaction, with the
        invite's creator as the actor (None: the operator's CLI invite), since
        whoever made the invite decided the role.
        """

        async def work(session: AsyncSession) -> Joined:
            repo = Repository(session)
            if once is not None and not await repo.mark_handled(once):
                return Joined("already_member", duplicate=True)
            found = await repo.invite(code)
            invite, group = found if found else (None, None)
            status = invite_status(invite, self.clock.now())
            if status != "ok" or invite is None or group is None:
                return Joined(status)
            await repo.lock_identity(channel, external_id)  # a double tap on two workers
            person = await repo.person_by_external(channel, external_id)
            new_person = person is None or person.consented_at is None
            person = await repo.ensure_person(channel, external_id, first_name, locale)
            if person.consented_at is None:
                person.consented_at = self.clock.now()
            person.active = True
            name = _group_name(group)
            if await repo.membership(person.id, group.id) is not None:
                return Joined("already_member", who_of(person), name)
            await repo.add_membership(person.id, group.id, invite.role)
            invite.uses += 1
            await record_in(
                session,
                self.clock.now(),
                invite.created_by,
                ROLE_ADDED,
                group_id=group.id,
                subject_id=person.id,
                detail=f"{invite.role} (invite {invite.id})",
            )
            return Joined("joined" if new_person else "joined_also", who_of(person), name)

        return await self.db.write(work)

    async def set_locale(self, who: Who, locale: str, once: int | None = None) -> Who | None:
        """Change the language; None when update `once` was handled before."""

        async def work(session: AsyncSession) -> Who | None:
            repo = Repository(session)
            person = await repo.person(who.id, lock=True)
            if once is not None and not await repo.mark_handled(once):
                return None
            person.locale = locale
            return who_of(person)

        return await self.db.write(work)

    async def set_active(self, who: Who, active: bool) -> None:
        """Blocked the bot (inactive) or came back (active)."""

        async def work(session: AsyncSession) -> None:
            person = await Repository(session).person(who.id, lock=True)
            person.active = active

        await self.db.write(work)

    async def prompt(self, who: Who) -> int | None:
        async def work(session: AsyncSession) -> int | None:
            return await Repository(session).prompt(who.id)

        return await self.db.read(work)

    async def set_prompt(self, who: Who, message_id: int | None) -> None:
        async def work(session: AsyncSession) -> None:
            await Repository(session).set_prompt(who.id, message_id)

        await self.db.write(work)

    async def groups(self, who: Who) -> list[str]:
        async def work(session: AsyncSession) -> list[str]:
            repo = Repository(session)
            names = []
            for member in await repo.memberships(who.id):
                group = await session.get(Group, member.group_id)
                if group is not None:
                    names.append(_group_name(group))
            return names

        return await self.db.read(work)


def _group_name(group: Group) -> str:
    return group.name
