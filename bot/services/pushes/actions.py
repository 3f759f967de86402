"""What a trainer does with pushes (schedule, cancel, list, follow one), and where a
member stands with one.

Access checks (is this person a trainer of that group?) run inside the same
transaction as the data, through the one rule in bot/services/access.py, so a
trainer removed a moment ago can no longer act, whatever a stale menu offers.
"""

from __future__ import annotations

import builtins
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.services import access
from bot.services.access import PROFESSIONAL
from bot.services.pushes.base import PushesBase
from bot.services.pushes.model import PAST_GRACE, MemberProgress, PushError, PushSummary
from bot.services.pushes.moments import in_local
from bot.services.pushes.summaries import member_status, runs_for, summaries
from bot.store.models import Delivery, Membership, Person, Push


class TrainerActions(PushesBase):
    """Creating, cancelling and following pushes; every method is one transaction."""

    async def create(
        self,
        trainer_id: int,
        group_id: int,
        dialogue_id: str,
        when: datetime | None,
        note: str | None = None,
        override_quiet: bool = False,
        show_group: bool = True,
    ) -> PushSummary:
        """Schedule a push; `when=None` means now. It goes out through `claim_due()`.

        The dialogue id is not checked here (this module knows no catalogue);
        the channel offers only known dialogues and the engine rejects others.
        """
        now = self.clock.now()
        moment = now if when is None else in_local(when).astimezone(UTC)
        text = (note or "").strip() or None

        sealed, encrypted = self.cipher.seal(text) if text else (None, False)

        def work(session: Session) -> PushSummary:
            _require_trainer(session, trainer_id, group_id)
            if moment < now - PAST_GRACE:
                raise PushError("in_past", moment.isoformat())
            if not _has_reachable_professional(session, group_id):
                raise PushError("empty_group", f"group {group_id}")
            push = Push(
                group_id=group_id,
                dialogue_id=dialogue_id,
                created_by=trainer_id,
                note=sealed,
                note_encrypted=encrypted,
                scheduled_at=moment,
                due_at=moment if override_quiet else self.quiet.next_allowed(moment),
                override_quiet=override_quiet,
                show_group=show_group,
                status="scheduled",
                created_at=now,
            )
            session.add(push)
            session.flush()
            return (summaries(session, self.cipher, [push]))[0][0]

        return await self.db.write(work)

    async def cancel(self, trainer_id: int, push_id: int) -> PushSummary:
        """Cancel a push that has not started going out. Cancelling twice is harmless."""

        def work(session: Session) -> PushSummary:
            push = self._trainers_push(session, trainer_id, push_id, lock=True)
            if push.status not in ("scheduled", "cancelled"):
                raise PushError("not_cancellable", push.status)
            push.status = "cancelled"
            session.flush()
            return (summaries(session, self.cipher, [push]))[0][0]

        return await self.db.write(work)

    async def list(self, trainer_id: int, group_id: int) -> builtins.list[PushSummary]:
        """The group's pushes, newest first, for one of its trainers."""

        def work(session: Session) -> builtins.list[PushSummary]:
            _require_trainer(session, trainer_id, group_id)
            query = select(Push).where(Push.group_id == group_id).order_by(Push.id.desc())
            pushes = session.execute(query).scalars().all()
            return [summary for summary, _ in summaries(session, self.cipher, pushes)]

        return await self.db.read(work)

    async def progress(
        self, trainer_id: int, push_id: int
    ) -> tuple[PushSummary, builtins.list[MemberProgress]]:
        """One push with every member's status. Before it goes out, the current
        professionals are listed as they would receive it."""

        def work(session: Session) -> tuple[PushSummary, builtins.list[MemberProgress]]:
            push = self._trainers_push(session, trainer_id, push_id)
            return (summaries(session, self.cipher, [push]))[0]

        return await self.db.read(work)

    async def status_of(self, person_id: int, push_id: int) -> str:
        """One member's progress status for a push.

        Besides the MemberProgress statuses this can be 'skipped': the person
        has no delivery of a push that already went out (they joined later or
        left before it was sent), or the push was cancelled.
        """

        def work(session: Session) -> str:
            push = session.get(Push, push_id)
            if push is None:
                raise PushError("not_found", f"push {push_id}")
            found = session.execute(
                select(Delivery).where(Delivery.push_id == push_id, Delivery.person_id == person_id)
            )
            delivery = found.scalar_one_or_none()
            if delivery is None:
                if push.status == "scheduled" and access.is_member(
                    session, person_id, push.group_id, PROFESSIONAL
                ):
                    return "pending"
                return "skipped"
            if delivery.status == "skipped":
                return "skipped"
            runs = runs_for(session, [push], {person_id})
            return member_status(push, delivery.status, delivery.delivered_at, runs)

        return await self.db.read(work)

    def _trainers_push(
        self, session: Session, trainer_id: int, push_id: int, lock: bool = False
    ) -> Push:
        """A push of a group the person trains; `lock` holds it against a concurrent
        fan-out (PostgreSQL; SQLite serialises writers anyway)."""
        query = select(Push).where(Push.id == push_id)
        if lock and self._postgres:
            query = query.with_for_update()
        push = session.execute(query).scalar_one_or_none()
        if push is None:
            raise PushError("not_found", f"push {push_id}")
        _require_trainer(session, trainer_id, push.group_id)
        return push


def _require_trainer(session: Session, person_id: int, group_id: int) -> None:
    """The one trainer rule (bot/services/access.py), told in the pushes' own terms."""
    try:
        access.require_trainer(session, person_id, group_id)
    except (access.AccessDenied, access.Gone) as refused:
        raise PushError("not_trainer", f"person {person_id} in group {group_id}") from refused


def _has_reachable_professional(session: Session, group_id: int) -> bool:
    """Whether anyone would receive a push now: a push to nobody is refused upfront
    rather than silently 'sent'."""
    query = (
        select(Membership.id)
        .join(Person, Person.id == Membership.person_id)
        .where(
            Membership.group_id == group_id,
            Membership.role == PROFESSIONAL,
            Person.active.is_(True),
            Person.consented_at.is_not(None),
        )
        .limit(1)
    )
    return session.execute(query).first() is not None
