"""A trainer's groups: who is in them, inviting people, and removing them.

Joining through an invite is the person's side and lives in `membership.py`;
this module is the trainer's side. Every call checks the one trainer rule
(`access.py`) in the same transaction as the data it reads or changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, delete, func, select, update
from sqlalchemy.orm import Session, aliased

from bot.clock import Clock, SystemClock
from bot.services import access
from bot.services.access import COORDINATOR, PROFESSIONAL, TRAINER, AccessDenied, Gone
from bot.services.audit import MEMBER_REMOVED, record_in
from bot.store.db import Database
from bot.store.models import Group, Invite, Membership, Organisation, Person, Removal, utcnow
from bot.store.repo import Repository

#: The roles a trainer may invite people into; coordinator invites are the operator's.
TRAINER_GRANTS = (PROFESSIONAL, TRAINER)
_ROLE_ORDER = {TRAINER: 0, COORDINATOR: 1, PROFESSIONAL: 2}


@dataclass(frozen=True)
class GroupInfo:
    """A group the viewer is in; `role` is the viewer's own role there."""

    id: int
    name: str
    organisation: str
    role: str
    members: int


@dataclass(frozen=True)
class MemberInfo:
    """One member as the group's trainer sees them."""

    person_id: int
    first_name: str
    role: str
    active: bool
    joined_at: datetime


class Groups:
    """The trainer's side of a group's membership."""

    def __init__(self, db: Database, clock: Clock | None = None) -> None:
        self.db = db
        self.clock: Clock = clock or SystemClock()

    async def groups(self, viewer_id: int) -> list[GroupInfo]:
        """Every group the viewer is a member of, in any role, with its member count."""
        counts = (
            select(Membership.group_id, func.count(Membership.id).label("n"))
            .group_by(Membership.group_id)
            .subquery()
        )
        query = (
            select(Group.id, Group.name, Organisation.name, Membership.role, counts.c.n)
            .join(Membership, Membership.group_id == Group.id)
            .join(Organisation, Organisation.id == Group.organisation_id)
            .join(counts, counts.c.group_id == Group.id)
            .where(Membership.person_id == viewer_id)
            .order_by(Organisation.name, Group.name, Group.id)
        )

        def work(session: Session) -> list[GroupInfo]:
            rows = session.execute(query).all()
            return [GroupInfo(gid, name, org, role, n) for gid, name, org, role, n in rows]

        return await self.db.read(work)

    async def members(self, viewer_id: int, group_id: int) -> list[MemberInfo]:
        """The group's members (trainers, coordinators, then professionals, by name).

        Only for a trainer of that group: a member list is already personal data.
        """
        viewer = aliased(Membership)
        query = (
            select(Membership, Person)
            .join(Person, Person.id == Membership.person_id)
            # The access rule, in the query itself: the viewer trains this group.
            .join(
                viewer,
                and_(
                    viewer.group_id == Membership.group_id,
                    viewer.person_id == viewer_id,
                    viewer.role == TRAINER,
                ),
            )
            .where(Membership.group_id == group_id)
        )

        def work(session: Session) -> list[MemberInfo]:
            access.require_trainer(session, viewer_id, group_id)
            rows = session.execute(query).all()
            found = [
                MemberInfo(p.id, p.first_name or "", m.role, p.active, m.created_at)
                for m, p in rows
            ]
            return sorted(
                found,
                key=lambda m: (_ROLE_ORDER.get(m.role, 9), m.first_name.casefold(), m.person_id),
            )

        return await self.db.read(work)

    async def remove_member(self, viewer_id: int, group_id: int, person_id: int) -> None:
        """Delete the membership, so every later check for that person fails at once.

        A trainer cannot remove themselves (a group must never lose its last
        trainer by accident) nor a coordinator (a role a trainer cannot grant
        either). Invites the removed person made for this group are revoked, so
        a removed trainer cannot walk back in through a link of their own, and the
        removal is remembered, so no link made before it (a multi-use one shared in
        the group) lets them in again; an invite made afterwards does.
        """

        def work(session: Session) -> None:
            access.require_trainer(session, viewer_id, group_id, lock=True)
            if person_id == viewer_id:
                raise AccessDenied("a trainer cannot remove themselves")
            member = Repository(session).membership(person_id, group_id)
            if member is None:
                raise Gone(f"person {person_id} is not a member of group {group_id}")
            if member.role == COORDINATOR:
                raise AccessDenied("a trainer cannot remove a coordinator")
            session.execute(
                delete(Membership).where(
                    Membership.id == member.id,
                    # Belt and braces: the delete itself only fires for a trainer.
                    Membership.group_id.in_(access.trained_groups(viewer_id)),
                )
            )
            session.execute(
                update(Invite)
                .where(Invite.group_id == group_id, Invite.created_by == person_id)
                .values(revoked=True)
            )
            # Links made before now no longer let them back in; a new invite will. The
            # moment is compared with invites' created_at, which rows take from utcnow.
            session.merge(Removal(person_id=person_id, group_id=group_id, removed_at=utcnow()))
            record_in(
                session,
                self.clock.now(),
                viewer_id,
                MEMBER_REMOVED,
                group_id=group_id,
                subject_id=person_id,
                detail=member.role,
            )

        await self.db.write(work)

    async def invite(
        self,
        viewer_id: int,
        group_id: int,
        role: str,
        expires_at: datetime | None,
        max_uses: int | None,
    ) -> str:
        """A new invite code for the group; the channel turns it into a deep link.

        A trainer may invite professionals and trainers; coordinator invites are
        for the operator (`straatwijs admin invite`), so they raise AccessDenied.
        """
        if role not in (*TRAINER_GRANTS, COORDINATOR):
            raise ValueError(f"role must be one of {', '.join(TRAINER_GRANTS)}")
        if expires_at is not None:
            if expires_at.tzinfo is None:
                raise ValueError("expires_at must be timezone-aware")
            if expires_at <= self.clock.now():
                raise ValueError("expires_at lies in the past")
        if max_uses is not None and max_uses < 1:
            raise ValueError("max_uses must be at least 1")

        def work(session: Session) -> str:
            access.require_trainer(session, viewer_id, group_id)
            if role not in TRAINER_GRANTS:
                raise AccessDenied("a trainer cannot create coordinator invites")
            invite = Repository(session).create_invite(
                group_id, role, expires_at, max_uses, created_by=viewer_id
            )
            return invite.code

        return await self.db.write(work)

    async def is_trainer(self, person_id: int) -> bool:
        """Whether the person trains any group (to offer the trainer commands at all)."""

        def work(session: Session) -> bool:
            found = session.execute(select(access.trained_groups(person_id).exists()))
            return bool(found.scalar())

        return await self.db.read(work)
