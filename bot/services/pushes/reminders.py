"""Reminders: one nudge, some time after a push, for members who have not finished it.

They share the delivery row with the push message (bot/services/pushes/deliveries.py)
and go out through the same claim, in-flight and report calls of the outbox.
"""

from __future__ import annotations

import builtins
import logging
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Row, and_, exists, func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from bot.services.access import PROFESSIONAL
from bot.services.pushes.base import PushesBase
from bot.services.pushes.deliveries import claim_of, person_row, reminder_done
from bot.services.pushes.model import MAX_ATTEMPTS, Claim
from bot.services.pushes.summaries import finished_clause
from bot.store.models import Delivery, Group, Membership, Person, Push

log = logging.getLogger(__name__)


class Reminders(PushesBase):
    """Claiming reminders, and a member's choice to get none."""

    async def claim_reminders(self, limit: int = 30) -> builtins.list[Claim]:
        """Claim reminders for members who have not finished a pushed exercise.

        A member gets at most `max_reminders`, each `reminder_after` after the
        delivery (or the previous reminder), never in quiet hours, not when they
        turned reminders off, blocked the bot or left the group.
        """
        now = self.clock.now()
        if self.quiet.contains(now):
            return []

        def work(session: Session) -> builtins.list[Claim]:
            claims: builtins.list[Claim] = []
            while len(claims) < limit:
                want = limit - len(claims)
                rows = self._candidates(session, now, want)
                for delivery, push, person, group in rows:
                    if delivery.status == "reminding" and delivery.attempts >= MAX_ATTEMPTS:
                        # Claimed again and again without a report: count it as done.
                        reminder_done(delivery, now, error="no report from worker")
                        continue
                    delivery.status = "reminding"
                    delivery.lease_until = now + self.lease
                    delivery.attempts += 1
                    claims.append(claim_of(delivery, push, person, group, "reminder", self.cipher))
                session.flush()
                if len(rows) < want:
                    break
            return claims

        claims = await self.db.write(work)
        if claims:
            log.info("claimed %d reminder(s) as %s", len(claims), self.worker)
        return claims

    async def set_reminders(self, person_id: int, enabled: bool) -> None:
        """A member turns reminders off (or on again) for every push."""

        def work(session: Session) -> None:
            person = person_row(session, person_id, lock=self._postgres)
            person.reminders = enabled

        await self.db.write(work)

    def _candidates(
        self, session: Session, now: datetime, limit: int
    ) -> Sequence[Row[Delivery, Push, Person, Group]]:
        """Deliveries due for a reminder: delivered long enough ago (or a reminder
        whose worker let the lease run out), to a member who still has not finished."""
        last = func.coalesce(Delivery.last_reminder_at, Delivery.delivered_at)
        query = (
            select(Delivery, Push, Person, Group)
            .join(Push, Push.id == Delivery.push_id)
            .join(Person, Person.id == Delivery.person_id)
            .join(Group, Group.id == Push.group_id)
            .where(
                or_(
                    and_(
                        Delivery.status == "delivered",
                        or_(Delivery.lease_until.is_(None), Delivery.lease_until <= now),
                    ),
                    and_(Delivery.status == "reminding", Delivery.lease_until < now),
                ),
                Delivery.reminders_sent < self.max_reminders,
                last <= now - self.reminder_after,
                Person.reminders.is_(True),
                Person.active.is_(True),
                Push.status.in_(("sending", "sent")),
                _is_professional_of_push(),
                ~finished_clause(),
            )
            .order_by(last, Delivery.id)
            .limit(limit)
        )
        if self._postgres:
            query = query.with_for_update(skip_locked=True, of=Delivery)
        return session.execute(query).all()


def _is_professional_of_push() -> ColumnElement[bool]:
    """Still a professional of the push's group: who left gets no reminder."""
    return exists(
        select(Membership.id).where(
            Membership.person_id == Delivery.person_id,
            Membership.group_id == Push.group_id,
            Membership.role == PROFESSIONAL,
        )
    )
