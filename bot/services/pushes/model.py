"""The pushes' vocabulary: delivery statuses, the sending policy, errors, and what
callers get back. Shared by every part of the service and by the channels.

Delivery statuses: pending -> sending (claimed) -> in_flight -> delivered
(-> reminding -> remind_in_flight -> delivered), or failed (blocked the bot, or
gave up after MAX_ATTEMPTS), or skipped (left the group before the message went
out). Push statuses: scheduled -> sending -> sent, or scheduled -> cancelled.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

#: Sends tried for one message before the delivery is given up as 'failed'.
MAX_ATTEMPTS = 5
BACKOFF_STEP = timedelta(seconds=30)
BACKOFF_MAX = timedelta(minutes=10)
#: A moment this much in the past still counts as "now" (the trainer typed slowly).
PAST_GRACE = timedelta(minutes=1)

#: Delivery statuses that still need a worker; a push is 'sent' when none is left.
UNSETTLED = ("pending", "sending", "in_flight")
#: Claim kind -> the delivery status of a claimed message, and of one whose request is
#: leaving (`Pushes.in_flight`); an expired in-flight delivery is never sent again.
CLAIMED = {"push": "sending", "reminder": "reminding"}
IN_FLIGHT = {"push": "in_flight", "reminder": "remind_in_flight"}
#: `Delivery.error` of a delivery recorded as delivered without Telegram's answer.
UNCONFIRMED = "unconfirmed: worker stopped while sending"
#: Delivery status -> MemberProgress status, when no run says more.
PROGRESS_OF = {
    "pending": "pending",
    "sending": "pending",
    "in_flight": "pending",
    "delivered": "delivered",
    "reminding": "delivered",
    "remind_in_flight": "delivered",
    "failed": "failed",
}
PROGRESS_STATUSES = ("pending", "delivered", "started", "finished", "failed")

PushErrorCode = Literal[
    "not_trainer", "empty_group", "in_past", "unparseable", "not_found", "not_cancellable"
]


class PushError(Exception):
    """A trainer's request that cannot be done; `code` is for the channel to phrase."""

    def __init__(self, code: PushErrorCode, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code: str = code


class ClaimLost(Exception):
    """A claim no longer holds (its lease ran out and it was taken over or settled):
    its message must not be sent by this worker."""

    def __init__(self, delivery_id: int) -> None:
        super().__init__(f"delivery {delivery_id} is no longer claimed by this worker")
        self.delivery_id = delivery_id


@dataclass(frozen=True)
class Claim:
    """One message to send now. Committed as claimed before it is handed out."""

    delivery_id: int
    push_id: int
    kind: str  # "push" or "reminder"
    person_id: int
    channel: str
    external_id: str
    locale: str
    first_name: str
    dialogue_id: str
    note: str | None
    group_name: str


@dataclass(frozen=True)
class MemberProgress:
    """Where one member stands with a push, as the trainer follows it."""

    person_id: int
    first_name: str
    status: str  # one of PROGRESS_STATUSES
    reminders_sent: int


@dataclass(frozen=True)
class PushSummary:
    """A push as the trainer sees it in a list: what, when, and how far it got."""

    id: int
    group_id: int
    group_name: str
    dialogue_id: str
    note: str | None
    scheduled_at: datetime
    due_at: datetime
    status: str  # "scheduled", "sending", "sent", "cancelled"
    counts: dict[str, int]  # every PROGRESS_STATUSES key, zero included
