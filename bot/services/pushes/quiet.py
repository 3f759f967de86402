"""Quiet hours: the local night in which no push or reminder goes out.

A push scheduled in quiet hours is held until they end (unless the trainer
overrides it); reminders simply wait. Kept apart from the outbox because the
channel also asks it, to tell a trainer when their push will really arrive.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from bot.services.pushes.moments import at_local, in_local


@dataclass(frozen=True)
class QuietHours:
    """Local Europe/Amsterdam wall-clock hours in which nobody is messaged.

    Wall-clock, not a duration: on the nights the clocks change the quiet
    period is 9 or 11 hours long, and it still ends at `end` local time.
    `start == end` means no quiet hours at all.
    """

    start: time = time(21, 0)
    end: time = time(8, 0)

    def contains(self, moment: datetime) -> bool:
        local = in_local(moment).time()
        if self.start == self.end:
            return False
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    def next_allowed(self, moment: datetime) -> datetime:
        """`moment` itself if outside quiet hours, else the end of this quiet period."""
        if not self.contains(moment):
            return moment.astimezone(UTC)
        local = in_local(moment)
        day = local.date()
        if self.start > self.end and local.time() >= self.start:
            day += timedelta(days=1)
        return at_local(day, self.end)


DEFAULT_QUIET = QuietHours()
