"""Trainer pushes: an exercise sent to a group now or later, once, with reminders.

Channel-agnostic; where each job lives:

- `moments`: reading the moment a trainer types ("morgen 9:00");
- `quiet`: quiet hours, in which nobody is messaged;
- `actions`: what a trainer does (create, cancel, list, follow a push);
- `outbox`: fan-out, claims, leases, the in-flight mark, delivered or failed
  (its docstring explains why a message is sent at most once);
- `reminders`: the nudge for members who have not finished;
- `deliveries`: the moves of one delivery row that the outbox and reminders share;
- `summaries`: how far a push got, per member;
- `model`: statuses, the sending policy, errors and results;
- `service`: `Pushes`, the one object callers hold.
"""

from bot.services.pushes.model import (
    CLAIMED,
    IN_FLIGHT,
    MAX_ATTEMPTS,
    PROGRESS_OF,
    PROGRESS_STATUSES,
    UNCONFIRMED,
    UNSETTLED,
    Claim,
    ClaimLost,
    MemberProgress,
    PushError,
    PushErrorCode,
    PushSummary,
)
from bot.services.pushes.moments import TZ, parse_when
from bot.services.pushes.quiet import DEFAULT_QUIET, QuietHours
from bot.services.pushes.service import Pushes

__all__ = [
    "CLAIMED",
    "DEFAULT_QUIET",
    "IN_FLIGHT",
    "MAX_ATTEMPTS",
    "PROGRESS_OF",
    "PROGRESS_STATUSES",
    "TZ",
    "UNCONFIRMED",
    "UNSETTLED",
    "Claim",
    "ClaimLost",
    "MemberProgress",
    "PushError",
    "PushErrorCode",
    "PushSummary",
    "Pushes",
    "QuietHours",
    "parse_when",
]
