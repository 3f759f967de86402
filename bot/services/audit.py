"""The audit log: who looked at or exported which group's answers, and who
changed whose role, and when.

Why: professionals write about youngsters and threats; a curious trainer or a
leaked export must leave a trace that the organisation can check. Entries are
written with `record_in` inside the transaction of the act itself (the removal,
the join, the read of answers), so an act that committed always has its entry,
and an act that rolled back has none. Only coordinators of the organisation
read the log (`Audit.entries`); nobody edits it through the application.

Entries hold ids, an action name and a short non-secret detail (a role, a
dialogue id, a push number): never answer text, invite codes or tokens.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from bot.clock import Clock, SystemClock
from bot.services import access
from bot.store.db import Database
from bot.store.models import AuditEntry, Group, Organisation, Person
from bot.store.repo import ExportRow

VIEW_ANSWERS = "view_answers"
EXPORT = "export"
ROLE_ADDED = "role_added"
MEMBER_REMOVED = "member_removed"
REVEAL_NAMES = "reveal_names"
DETAIL_MAX = 200
ACTION_MAX = 40


@dataclass(frozen=True)
class AuditView:
    """One entry as a coordinator reads it; names are first names, "" when unknown
    (an operator acting through the CLI, or a person erased since)."""

    id: int
    at: datetime
    action: str
    actor_id: int | None
    actor_name: str
    group_id: int | None
    group_name: str
    subject_id: int | None
    subject_name: str
    detail: str | None


def record_in(
    session: Session,
    at: datetime,
    actor_id: int | None,
    action: str,
    organisation_id: int | None = None,
    group_id: int | None = None,
    subject_id: int | None = None,
    detail: str | None = None,
) -> None:
    """Add an entry within the caller's transaction.

    The organisation is taken from the group when only the group is given, so
    callers that know a group need not look it up, and the entry lands in the
    log of the organisation whose coordinators must see it.
    """
    if not action or len(action) > ACTION_MAX:
        raise ValueError(f"audit action must be 1 to {ACTION_MAX} characters")
    if organisation_id is None and group_id is not None:
        group = session.get(Group, group_id)
        organisation_id = group.organisation_id if group is not None else None
    session.add(
        AuditEntry(
            at=at,
            actor_id=actor_id,
            action=action,
            organisation_id=organisation_id,
            group_id=group_id,
            subject_id=subject_id,
            detail=detail[:DETAIL_MAX] if detail else None,
        )
    )
    session.flush()


def record_export_in(
    session: Session,
    at: datetime,
    actor_id: int | None,
    rows: Iterable[ExportRow],
    detail: str | None = None,
) -> None:
    """One EXPORT entry per organisation whose members' answers are in `rows`, so
    each organisation's coordinators see that their answers left the system
    (the operator's CLI export spans every organisation; actor None)."""
    names = {name for row in rows for name in row.organisations.split("; ") if name}
    if not names:
        return
    query = select(Organisation.id).where(Organisation.name.in_(names)).order_by(Organisation.id)
    for organisation_id in session.execute(query).scalars():
        record_in(session, at, actor_id, EXPORT, organisation_id, detail=detail)


class Audit:
    """Writing entries on their own, and reading them as a coordinator."""

    def __init__(self, db: Database, clock: Clock | None = None) -> None:
        self.db = db
        self.clock: Clock = clock or SystemClock()

    async def record(
        self,
        actor_id: int | None,
        action: str,
        organisation_id: int | None = None,
        group_id: int | None = None,
        subject_id: int | None = None,
        detail: str | None = None,
    ) -> None:
        """Record an act in a transaction of its own (for callers with no
        transaction to join, such as an export written after the data was read)."""

        def work(session: Session) -> None:
            record_in(
                session,
                self.clock.now(),
                actor_id,
                action,
                organisation_id,
                group_id,
                subject_id,
                detail,
            )

        await self.db.write(work)

    async def entries(
        self, viewer_id: int, organisation_id: int, limit: int = 200
    ) -> list[AuditView]:
        """The organisation's most recent entries, newest first.

        Only for a coordinator of a group in that organisation; anyone else,
        trainers included, gets AccessDenied: the log tells who looked at whom,
        which is itself personal data.
        """
        if limit < 1:
            raise ValueError("limit must be at least 1")
        coordinates = access.coordinates(viewer_id, organisation_id)
        actor, subject = aliased(Person), aliased(Person)
        query = (
            select(AuditEntry, actor.first_name, subject.first_name, Group.name)
            .outerjoin(actor, actor.id == AuditEntry.actor_id)
            .outerjoin(subject, subject.id == AuditEntry.subject_id)
            .outerjoin(Group, Group.id == AuditEntry.group_id)
            # The access rule again, in the query itself.
            .where(AuditEntry.organisation_id == organisation_id, coordinates)
            .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
            .limit(limit)
        )

        def work(session: Session) -> list[AuditView]:
            access.require_coordinator(session, viewer_id, organisation_id)
            rows = session.execute(query).all()
            return [
                AuditView(
                    entry.id,
                    entry.at,
                    entry.action,
                    entry.actor_id,
                    actor_name or "",
                    entry.group_id,
                    group_name or "",
                    entry.subject_id,
                    subject_name or "",
                    entry.detail,
                )
                for entry, actor_name, subject_name, group_name in rows
            ]

        return await self.db.read(work)
