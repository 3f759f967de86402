"""Retention: answers are kept for a set number of months, then deleted.

Why: what professionals write about youngsters and threats is only needed for
the training; keeping it for ever would make every leak worse. A daily job (the
bot's loop, using `due_for_purge`) or `straatwijs admin purge` calls `purge`.

What goes: every answer whose last change (`AnswerRow.updated_at`, so an answer
given again counts from its new date) lies before the cut-off, with the
trainers' feedback on it; then runs left without answers that ended (finished
or stopped) before the cut-off, and open runs untouched since before it (with
their answers gone, resuming them would walk on with half a conversation).
Runs that still hold a newer answer stay, so a person's recent work is whole.
Deletion goes in batches, each its own transaction, so the bot keeps answering
while a large backlog is purged.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from bot.clock import Clock
from bot.store.db import Database, affected
from bot.store.models import AnswerRow, Feedback, Run

BATCH = 500
#: The daily job runs at most this often.
PURGE_EVERY = timedelta(hours=24)


@dataclass(frozen=True)
class Purged:
    """What one purge deleted."""

    answers: int
    feedback: int
    runs: int


def cutoff(now: datetime, months: int) -> datetime:
    """`now` moved back by whole calendar months (31 March - 1 month = 28/29 Feb)."""
    if months < 1:
        raise ValueError("the retention period must be at least one month")
    if now.tzinfo is None:
        raise ValueError("naive datetime given; use timezone-aware UTC")
    index = now.year * 12 + now.month - 1 - months
    year, month = divmod(index, 12)
    day = min(now.day, calendar.monthrange(year, month + 1)[1])
    return now.replace(year=year, month=month + 1, day=day)


def due_for_purge(last_run: datetime | None, now: datetime) -> bool:
    """Whether the daily purge should run now (never ran, or 24 hours have passed)."""
    return last_run is None or now - last_run >= PURGE_EVERY


async def purge(db: Database, clock: Clock, months: int) -> int:
    """Delete answers older than `months` (and what hangs off them); the answer count."""
    return (await purge_all(db, clock, months)).answers


async def purge_all(db: Database, clock: Clock, months: int, batch: int = BATCH) -> Purged:
    """`purge`, reporting answers, feedback and runs deleted."""
    before = cutoff(clock.now(), months)
    answers = feedback = runs = 0
    while True:
        found, gave = await db.write(lambda s: _answers_batch(s, before, batch))
        answers, feedback = answers + found, feedback + gave
        if found < batch:
            break
    while True:
        found = await db.write(lambda s: _runs_batch(s, before, batch))
        runs += found
        if found < batch:
            break
    return Purged(answers, feedback, runs)


def _answers_batch(session: Session, before: datetime, batch: int) -> tuple[int, int]:
    """Up to `batch` old answers and their feedback; (answers, feedback) deleted.

    Feedback is deleted explicitly rather than left to ON DELETE CASCADE, so the
    count is known and nothing depends on SQLite's per-connection foreign keys.
    """
    ids = list(
        (
            session.execute(
                select(AnswerRow.id)
                .where(AnswerRow.updated_at < before)
                .order_by(AnswerRow.id)
                .limit(batch)
            )
        ).scalars()
    )
    if not ids:
        return 0, 0
    gave = session.execute(delete(Feedback).where(Feedback.answer_id.in_(ids)))
    session.execute(delete(AnswerRow).where(AnswerRow.id.in_(ids)))
    return len(ids), affected(gave)


def _runs_batch(session: Session, before: datetime, batch: int) -> int:
    """Up to `batch` runs without answers that ended, or were last touched, before
    the cut-off; the number deleted."""
    has_answers = select(AnswerRow.id).where(AnswerRow.run_id == Run.id).exists()
    # Ended runs count from when they ended; open ones from their last step.
    last_activity = func.coalesce(Run.finished_at, Run.updated_at)
    query = select(Run.id).where(~has_answers, last_activity < before).order_by(Run.id).limit(batch)
    ids = list(session.execute(query).scalars())
    if ids:
        session.execute(delete(Run).where(Run.id.in_(ids)))
    return len(ids)


class Retention:
    """The retention period, bound to the database and clock (the dispatcher's daily upkeep)."""

    def __init__(self, db: Database, clock: Clock, months: int) -> None:
        self.db = db
        self.clock = clock
        self.months = months

    async def purge(self) -> int:
        return await purge(self.db, self.clock, self.months)

    async def purge_all(self) -> Purged:
        return await purge_all(self.db, self.clock, self.months)
