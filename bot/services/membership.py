"""Joining with an invite, consent, language and reachability: who may use the bot.

Nothing about a person is stored before they consent: an invite is checked
read-only, and the person row is created only in the transaction that records
the consent and the membership.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal, cast

from sqlalchemy.orm import Session

from bot.clock import Clock, SystemClock
from bot.services.audit import ROLE_ADDED, record_in
from bot.services.coaching import Who, who_of
from bot.store import direct
from bot.store.db import Database
from bot.store.direct import Visitor
from bot.store.driver import Direct
from bot.store.models import Group, Invite, Removal
from bot.store.repo import Repository

InviteStatus = Literal["ok", "invalid", "expired", "used_up"]
JoinStatus = Literal[
    "joined", "joined_also", "already_member", "removed", "invalid", "expired", "used_up"
]


@dataclass(frozen=True)
class InviteCheck:
    status: InviteStatus
    group: str | None = None
    role: str | None = None


@dataclass(frozen=True)
class Visit:
    """What a channel needs at the start of an update, read in one query.

    `prompt` is the message carrying the person's current keyboard (to clear it
    when the conversation moves on); `drafting` says typed text belongs to a
    chat task in progress (a trainer composing a push), not to an exercise.
    """

    who: Who
    prompt: int | None
    drafting: bool


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

        def work(session: Session) -> Who | None:
            person = Repository(session).person_by_external(channel, external_id)
            if person is None or person.consented_at is None:
                return None
            return who_of(person)

        return await self.db.read(work)

    async def visit(self, channel: str, external_id: str) -> Visit | None:
        """`find` plus the prompt and whether a task is in progress, in one read:
        every update starts here, so it is kept to a single statement."""

        def work(tx: Direct) -> Visitor | None:
            return direct.visit(tx, channel, external_id)

        found = await self.db.read_direct(work)
        if found is None or found.person.consented_at is None:
            return None
        return Visit(who_of(found.person), found.prompt, found.drafting)

    async def check_invite(self, code: str) -> InviteCheck:
        """Read-only look at an invite, shown before consent."""

        def work(session: Session) -> InviteCheck:
            found = Repository(session).invite(code)
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

        def work(session: Session) -> Joined:
            repo = Repository(session)
            if once is not None and not repo.mark_handled(once):
                return Joined("already_member", duplicate=True)
            found = repo.invite(code)
            invite, group = found if found else (None, None)
            status = invite_status(invite, self.clock.now())
            if status != "ok" or invite is None or group is None:
                return Joined(cast(JoinStatus, status))
            repo.lock_identity(channel, external_id)  # a double tap on two workers
            person = repo.person_by_external(channel, external_id)
            new_person = person is None or person.consented_at is None
            person = repo.ensure_person(channel, external_id, first_name, locale)
            if person.consented_at is None:
                person.consented_at = self.clock.now()
            person.active = True
            name = _group_name(group)
            if repo.membership(person.id, group.id) is not None:
                return Joined("already_member", who_of(person), name)
            removal = session.get(Removal, (person.id, group.id))
            if removal is not None:
                if invite.created_at <= removal.removed_at:  # a link from before
                    return Joined("removed", who_of(person), name)
                session.delete(removal)  # a trainer invited them again since
            repo.add_membership(person.id, group.id, invite.role)
            invite.uses += 1
            record_in(
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

        def work(session: Session) -> Who | None:
            repo = Repository(session)
            person = repo.person(who.id, lock=True)
            if once is not None and not repo.mark_handled(once):
                return None
            person.locale = locale
            return who_of(person)

        return await self.db.write(work)

    async def set_active(self, who: Who, active: bool) -> None:
        """Blocked the bot (inactive) or came back (active)."""

        def work(session: Session) -> None:
            person = Repository(session).person(who.id, lock=True)
            person.active = active

        await self.db.write(work)

    async def set_prompt(self, who: Who, message_id: int | None) -> None:
        """Remember the message with the person's current keyboard (None: there is none)."""

        def work(tx: Direct) -> None:
            direct.set_prompt(tx, who.id, message_id)

        await self.db.write_direct(work)

    async def groups(self, who: Who) -> list[str]:
        def work(session: Session) -> list[str]:
            repo = Repository(session)
            names = []
            for member in repo.memberships(who.id):
                group = session.get(Group, member.group_id)
                if group is not None:
                    names.append(_group_name(group))
            return names

        return await self.db.read(work)


def _group_name(group: Group) -> str:
    return group.name
