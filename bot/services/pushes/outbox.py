"""The outbox: due pushes fanned out to their members, claimed, sent at most once.

A channel (the Telegram adapter) runs a loop: `claim_due()` / `claim_reminders()`,
then for each `Claim` `in_flight()` right before its request leaves (and
`not_in_flight()` if Telegram refuses it outright and it will be retried), then
`delivered()` or `failed()`.

Why claims, leases and the in-flight mark: every claim is committed *before*
the channel contacts Telegram, and holds a lease. Most of a batch then waits in
the channel's rate limiter; only when a message's request is about to leave does
the channel commit `in_flight()` for it (with a fresh lease). A worker that
crashes leaves its deliveries behind until their lease runs out. Then:

- a delivery still 'sending' (claimed, never left) is claimed again and sent,
  so a crash in the middle of a push never forgets anyone;
- a delivery 'in_flight' is never sent again (at most once): `claim_due()`
  records it as delivered with an unknown message id and logs it. That message
  may or may not have reached the person (the Bot API offers no idempotency
  key, so there is no way to ask). Sending it again would repeat every one that
  did arrive; a lost one still counts as delivered in the push's progress and is
  covered by the normal reminder (`reminder_after`, if the person has not
  finished the exercise).

The same holds for reminders ('reminding' -> 'remind_in_flight'). Retries
inside a live worker (a read timeout or a 5xx retried by the rate limiter) are
a separate trade-off, documented in bot/telegram/limiter.py. Several workers can
run: PostgreSQL claims rows with `FOR UPDATE SKIP LOCKED`, SQLite serialises
write transactions with `BEGIN IMMEDIATE`; marking a claim in flight only
succeeds while it is still claimed, so of two workers holding the same expired
claim only one sends.
"""

from __future__ import annotations

import builtins
import logging
from datetime import datetime

from sqlalchemy import Select, and_, or_, select, update
from sqlalchemy.orm import Session

from bot.services.access import PROFESSIONAL
from bot.services.pushes.base import PushesBase
from bot.services.pushes.deliveries import (
    REMINDING,
    claim_of,
    person_row,
    push_done,
    reminder_done,
    retry_later,
    settle,
)
from bot.services.pushes.model import (
    CLAIMED,
    IN_FLIGHT,
    MAX_ATTEMPTS,
    UNCONFIRMED,
    Claim,
    ClaimLost,
    PushError,
)
from bot.store.db import affected
from bot.store.models import Delivery, Group, Membership, Person, Push

log = logging.getLogger(__name__)


class Outbox(PushesBase):
    """Sending pushes: fan-out, claims, the in-flight mark and the outcome."""

    async def claim_due(self, limit: int = 30) -> builtins.list[Claim]:
        """Fan out due pushes, claim up to `limit` messages to send, settle finished pushes.

        Returned claims are committed: the caller may send them right away (each
        after `in_flight()`). A push whose time passed while no worker ran is
        fanned out now, once: the status change and the deliveries are written in
        one transaction, and (push, person) is unique. Pushes and reminders left
        in flight by a worker whose lease ran out are settled here, not sent again.
        """
        now = self.clock.now()

        def work(session: Session) -> builtins.list[Claim]:
            self._fan_out(session, now)
            self._settle_in_flight(session, now, limit)
            claims = self._claim_deliveries(session, now, limit)
            settle(session, now)
            return claims

        claims = await self.db.write(work)
        if claims:
            log.info("claimed %d push message(s) as %s", len(claims), self.worker)
        return claims

    async def received(self, person_id: int, push_id: int) -> bool:
        """Whether this push was sent to this person (a start button may be forged)."""

        def work(session: Session) -> bool:
            found = session.execute(
                select(Delivery.id)
                .where(Delivery.push_id == push_id, Delivery.person_id == person_id)
                .limit(1)
            )
            return found.first() is not None

        return await self.db.read(work)

    async def in_flight(self, claim: Claim) -> None:
        """Commit that this claim's message is leaving now: call it right before the
        request goes out, after any wait for a rate limit.

        From then on no worker sends it again, whatever happens (see the module
        docstring; this worker's rate limiter may still retry the same request after
        a timeout). The lease starts anew, as Telegram's answer may take a while.
        Raises `ClaimLost` when the claim no longer holds: its lease ran out and
        another worker took it over, or it was settled meanwhile. The caller must
        then not send. Of two workers holding the same expired claim, the first to
        get here sends; the other gets `ClaimLost`.
        """
        if not await self._move(claim, CLAIMED[claim.kind], IN_FLIGHT[claim.kind]):
            raise ClaimLost(claim.delivery_id)

    async def not_in_flight(self, claim: Claim) -> None:
        """Undo `in_flight()` when Telegram refused the request outright (flood control:
        nothing was sent). The delivery is claimed again, with a fresh lease, until the
        retry calls `in_flight()` once more; a crash in the wait sends it after the lease
        instead of counting a message that never left. Does nothing when the delivery is
        no longer in flight (then the retry's `in_flight()` raises `ClaimLost`)."""
        await self._move(claim, IN_FLIGHT[claim.kind], CLAIMED[claim.kind])

    async def _move(self, claim: Claim, old: str, new: str) -> bool:
        """Move the claim's delivery from status `old` to `new` with a fresh lease, in
        one statement; False when it was not in `old` (nothing changed)."""
        now = self.clock.now()

        def work(session: Session) -> int:
            return affected(
                session.execute(
                    update(Delivery)
                    .where(Delivery.id == claim.delivery_id, Delivery.status == old)
                    .values(status=new, lease_until=now + self.lease)
                    .execution_options(synchronize_session=False)
                )
            )

        return await self.db.write(work) == 1

    async def delivered(self, delivery_id: int, message_id: int | None) -> None:
        """Record a successful send of a push or reminder (a late or repeated report
        is accepted: the message did reach the person)."""
        now = self.clock.now()

        def work(session: Session) -> None:
            delivery = self._delivery(session, delivery_id)
            if delivery.status in REMINDING:
                reminder_done(delivery, now)
                return
            if delivery.status == "delivered":
                return
            push_done(delivery, now, message_id)
            session.flush()
            settle(session, now, delivery.push_id)

        await self.db.write(work)

    async def failed(self, delivery_id: int, error: str, blocked: bool) -> None:
        """Record a failed send.

        `blocked`: the person blocked the bot; they are marked inactive, so no
        later push or reminder is tried until they come back. Otherwise the send
        is retried with a growing delay, up to MAX_ATTEMPTS.
        """
        now = self.clock.now()
        text = error[:200]

        def work(session: Session) -> None:
            delivery = self._delivery(session, delivery_id)
            if blocked:
                self._blocked(session, delivery)
            elif not retry_later(delivery, now, text):
                return  # a late report about a delivery that is settled already
            session.flush()
            settle(session, now, delivery.push_id)

        await self.db.write(work)

    def _blocked(self, session: Session, delivery: Delivery) -> None:
        """The person blocked the bot: this delivery fails, and so would every later
        one, so the person is marked inactive until they come back."""
        delivery.status = "failed"
        delivery.error = "blocked"
        delivery.lease_until = None
        person = person_row(session, delivery.person_id, lock=self._postgres)
        person.active = False
        log.info("delivery %d: person %d blocked the bot", delivery.id, person.id)

    def _delivery(self, session: Session, delivery_id: int) -> Delivery:
        query = select(Delivery).where(Delivery.id == delivery_id)
        if self._postgres:
            query = query.with_for_update()
        delivery = session.execute(query).scalar_one_or_none()
        if delivery is None:
            raise PushError("not_found", f"delivery {delivery_id}")
        return delivery

    def _fan_out(self, session: Session, now: datetime) -> None:
        """Due pushes become 'sending' with one pending delivery per current professional."""
        query = (
            select(Push)
            .where(Push.status == "scheduled", Push.due_at <= now)
            .order_by(Push.due_at, Push.id)
        )
        if self._postgres:
            query = query.with_for_update(skip_locked=True)
        for push in session.execute(query).scalars().all():
            members = session.execute(
                select(Membership.person_id)
                .join(Person, Person.id == Membership.person_id)
                .where(
                    Membership.group_id == push.group_id,
                    Membership.role == PROFESSIONAL,
                    Person.consented_at.is_not(None),
                )
                .order_by(Membership.person_id)
            )
            session.add_all(
                Delivery(
                    push_id=push.id,
                    person_id=person_id,
                    status="pending",
                    next_at=now,
                    attempts=0,
                    reminders_sent=0,
                )
                for person_id in members.scalars()
            )
            push.status = "sending"
            push.lease_owner = self.worker  # who fanned it out, for the logs
            log.info("push %d is due: sending to group %d", push.id, push.group_id)
        session.flush()

    def _settle_in_flight(self, session: Session, now: datetime, limit: int) -> None:
        """Pushes and reminders whose request was leaving when their worker stopped
        reporting (the lease ran out): count them as delivered, never send again."""
        query = (
            select(Delivery)
            .where(Delivery.status.in_(IN_FLIGHT.values()), Delivery.lease_until < now)
            .order_by(Delivery.lease_until, Delivery.id)
            .limit(limit)
        )
        if self._postgres:
            query = query.with_for_update(skip_locked=True)
        for delivery in session.execute(query).scalars().all():
            # Ids only: no names, chat ids or texts in the logs.
            log.warning(
                "delivery %d of push %d: its worker stopped while sending the %s; "
                "counted as delivered and not sent again (it may not have arrived; "
                "the reminder covers that)",
                delivery.id,
                delivery.push_id,
                "reminder" if delivery.status == IN_FLIGHT["reminder"] else "push",
            )
            if delivery.status == IN_FLIGHT["reminder"]:
                reminder_done(delivery, now, error=UNCONFIRMED)
            else:
                push_done(delivery, now, message_id=None, error=UNCONFIRMED)
        session.flush()

    def _claim_deliveries(
        self, session: Session, now: datetime, limit: int
    ) -> builtins.list[Claim]:
        """Claim pending deliveries and those whose worker let the lease run out before
        the message left; settle on the way the ones that can no longer be sent."""
        claims: builtins.list[Claim] = []
        while len(claims) < limit:
            want = limit - len(claims)
            query = (
                _delivery_rows()
                .where(
                    or_(
                        and_(Delivery.status == "pending", Delivery.next_at <= now),
                        and_(Delivery.status == "sending", Delivery.lease_until < now),
                    )
                )
                .order_by(Delivery.next_at, Delivery.id)
                .limit(want)
            )
            if self._postgres:
                query = query.with_for_update(skip_locked=True, of=Delivery)
            rows = session.execute(query).all()
            for delivery, push, person, group, membership_id in rows:
                delivery.lease_until = None
                if membership_id is None:
                    delivery.status = "skipped"
                elif not person.active:
                    delivery.status = "failed"
                    delivery.error = "blocked"
                elif delivery.attempts >= MAX_ATTEMPTS:
                    # Claimed MAX_ATTEMPTS times and no worker ever reported back.
                    delivery.status = "failed"
                    delivery.error = "no report from worker"
                else:
                    delivery.status = "sending"
                    delivery.lease_until = now + self.lease
                    delivery.attempts += 1
                    claims.append(claim_of(delivery, push, person, group, "push", self.cipher))
            session.flush()
            if len(rows) < want:
                break
        return claims


def _delivery_rows() -> Select[Delivery, Push, Person, Group, int]:
    """Deliveries with their push, person, group and the person's current
    professional membership of that group (None: they left)."""
    return (
        select(Delivery, Push, Person, Group, Membership.id)
        .join(Push, Push.id == Delivery.push_id)
        .join(Person, Person.id == Delivery.person_id)
        .join(Group, Group.id == Push.group_id)
        .outerjoin(
            Membership,
            and_(
                Membership.person_id == Delivery.person_id,
                Membership.group_id == Push.group_id,
                Membership.role == PROFESSIONAL,
            ),
        )
    )
