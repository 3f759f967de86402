"""The moves of one delivery row, shared by the outbox and the reminders.

Each function runs inside the caller's transaction and changes rows already
locked by it. Kept in one place because a push message and its reminders live
on the same row: 'delivered' is both the end of a push and the start of the
wait for a reminder, so both paths must leave the row in the same shape.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import exists, select, update
from sqlalchemy.orm import Session

from bot.privacy import TextCipher
from bot.services.pushes.model import (
    BACKOFF_MAX,
    BACKOFF_STEP,
    CLAIMED,
    IN_FLIGHT,
    MAX_ATTEMPTS,
    UNSETTLED,
    Claim,
    PushError,
)
from bot.services.pushes.summaries import note_of
from bot.store.models import Delivery, Group, Person, Push

log = logging.getLogger(__name__)

#: Delivery statuses of a reminder on its way (claimed, or its request leaving).
REMINDING = (CLAIMED["reminder"], IN_FLIGHT["reminder"])


def backoff(attempts: int) -> timedelta:
    """Wait before the next try, growing with each failed one, so a Telegram outage
    is not hammered."""
    return min(BACKOFF_STEP * max(attempts, 1), BACKOFF_MAX)


def push_done(
    delivery: Delivery, now: datetime, message_id: int | None, error: str | None = None
) -> None:
    """The push message itself is delivered (or, with `error`, counted as delivered)."""
    delivery.status = "delivered"
    delivery.message_id = message_id
    delivery.delivered_at = now
    delivery.lease_until = None
    delivery.attempts = 0
    delivery.error = error


def reminder_done(delivery: Delivery, now: datetime, error: str | None = None) -> None:
    """A reminder is used up (sent, or given up after MAX_ATTEMPTS)."""
    delivery.status = "delivered"
    delivery.reminders_sent += 1
    delivery.last_reminder_at = now
    delivery.lease_until = None
    delivery.attempts = 0
    delivery.error = error


def retry_later(delivery: Delivery, now: datetime, error: str) -> bool:
    """A send failed but may work later: try again after a backoff, or give up after
    MAX_ATTEMPTS. False when the delivery is settled already (a late report)."""
    if delivery.status in REMINDING:
        if delivery.attempts >= MAX_ATTEMPTS:
            reminder_done(delivery, now, error=error)
        else:
            # Back to waiting for a reminder; the lease holds it until the backoff ends.
            delivery.status = "delivered"
            delivery.lease_until = now + backoff(delivery.attempts)
            delivery.error = error
        return True
    if delivery.status not in UNSETTLED:
        return False
    delivery.error = error
    delivery.lease_until = None
    if delivery.attempts >= MAX_ATTEMPTS:
        delivery.status = "failed"
        log.warning("delivery %d given up: %s", delivery.id, error)
    else:
        delivery.status = "pending"
        delivery.next_at = now + backoff(delivery.attempts)
    return True


def settle(session: Session, now: datetime, push_id: int | None = None) -> None:
    """Pushes with no delivery left to send become 'sent'."""
    open_deliveries = select(Delivery.id).where(
        Delivery.push_id == Push.id, Delivery.status.in_(UNSETTLED)
    )
    statement = (
        update(Push)
        .where(Push.status == "sending", ~exists(open_deliveries))
        .values(status="sent", sent_at=now)
        .execution_options(synchronize_session=False)
    )
    if push_id is not None:
        statement = statement.where(Push.id == push_id)
    session.execute(statement)


def claim_of(
    delivery: Delivery, push: Push, person: Person, group: Group, kind: str, cipher: TextCipher
) -> Claim:
    """Everything the channel needs to send, copied out of the rows so that it can
    be used after the transaction has ended."""
    return Claim(
        delivery_id=delivery.id,
        push_id=push.id,
        kind=kind,
        person_id=person.id,
        channel=person.channel,
        external_id=person.external_id,
        locale=person.locale,
        first_name=person.first_name or "",
        dialogue_id=push.dialogue_id,
        note=note_of(push, cipher),
        group_name=group.name,
    )


def person_row(session: Session, person_id: int, lock: bool) -> Person:
    """A person to change; `lock` (PostgreSQL) keeps a concurrent change out."""
    query = select(Person).where(Person.id == person_id)
    if lock:
        query = query.with_for_update()
    person = session.execute(query).scalar_one_or_none()
    if person is None:
        raise PushError("not_found", f"person {person_id}")
    return person
