"""Trainer pushes: an exercise sent to a group now or later, once, with reminders.

Channel-agnostic. A channel (the Telegram adapter) creates pushes for trainers,
then runs a loop: `claim_due()` / `claim_reminders()`, then for each `Claim`
`in_flight()` right before its request leaves (and `not_in_flight()` if Telegram
refuses it outright and it will be retried), then `delivered()` or `failed()`.

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

Delivery statuses: pending -> sending (claimed) -> in_flight -> delivered
(-> reminding -> remind_in_flight -> delivered), or failed (blocked the bot, or
gave up after MAX_ATTEMPTS), or skipped (left the group before the message went
out). Push statuses: scheduled -> sending -> sent, or scheduled -> cancelled.
"""

from __future__ import annotations

import builtins
import logging
import os
import re
import socket
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal

from sqlalchemy import and_, exists, func, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from bot.clock import AMSTERDAM, Clock
from bot.privacy.cipher import PLAIN, TextCipher
from bot.services import access
from bot.services.access import PROFESSIONAL
from bot.store.db import Database
from bot.store.models import Delivery, Group, Membership, Person, Push, Run

log = logging.getLogger(__name__)

TZ = AMSTERDAM

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
_PROGRESS_OF = {
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


def _local(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("naive datetime given; use timezone-aware UTC")
    return moment.astimezone(TZ)


def _at(day: date, at: time) -> datetime:
    """A local wall-clock time on a day, as aware UTC.

    A time that does not exist (the spring-forward gap) is read with the offset
    before the change, so it lands just after the gap; an ambiguous one (the
    autumn hour that happens twice) is the first of the two.
    """
    return datetime.combine(day, at, tzinfo=TZ).astimezone(UTC)


# -- quiet hours ---------------------------------------------------------------------


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
        local = _local(moment).time()
        if self.start == self.end:
            return False
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    def next_allowed(self, moment: datetime) -> datetime:
        """`moment` itself if outside quiet hours, else the end of this quiet period."""
        if not self.contains(moment):
            return moment.astimezone(UTC)
        local = _local(moment)
        day = local.date()
        if self.start > self.end and local.time() >= self.start:
            day += timedelta(days=1)
        return _at(day, self.end)


DEFAULT_QUIET = QuietHours()


# -- errors and results --------------------------------------------------------------


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
    person_id: int
    first_name: str
    status: str  # one of PROGRESS_STATUSES
    reminders_sent: int


@dataclass(frozen=True)
class PushSummary:
    id: int
    group_id: int
    group_name: str
    dialogue_id: str
    note: str | None
    scheduled_at: datetime
    due_at: datetime
    status: str  # "scheduled", "sending", "sent", "cancelled"
    counts: dict[str, int]  # every PROGRESS_STATUSES key, zero included


# -- parsing a moment typed in a chat ------------------------------------------------

_NOW_WORDS = frozenset(
    {"nu", "now", "direct", "meteen", "nu meteen", "right now", "immediately", "asap"}
)
_FILLER = frozenset({"om", "at", "on", "op", "uur", "o'clock", "oclock"})
_RELATIVE = {
    "vandaag": 0,
    "vanochtend": 0,
    "vanmorgen": 0,
    "vanmiddag": 0,
    "vanavond": 0,
    "today": 0,
    "tonight": 0,
    "morgen": 1,
    "tomorrow": 1,
    "overmorgen": 2,
    "day after tomorrow": 2,
}
_WEEKDAY_NAMES = (
    ("maandag", "ma", "monday", "mon", "mo"),
    ("dinsdag", "di", "tuesday", "tue", "tues", "tu"),
    ("woensdag", "wo", "wednesday", "wed", "we"),
    ("donderdag", "do", "thursday", "thu", "thur", "thurs", "th"),
    ("vrijdag", "vr", "friday", "fri", "fr"),
    ("zaterdag", "za", "saturday", "sat", "sa"),
    ("zondag", "zo", "sunday", "sun", "su"),
)
_WEEKDAYS = {name: number for number, names in enumerate(_WEEKDAY_NAMES) for name in names}
#: "komende maandag" is plain "maandag"; "volgende maandag" is never today.
_THIS = frozenset({"komende", "aanstaande", "deze", "this", "coming"})
_NEXT = frozenset({"volgende", "next"})
_MONTH_NAMES = (
    ("januari", "january", "jan"),
    ("februari", "february", "feb"),
    ("maart", "march", "mar", "mrt"),
    ("april", "apr"),
    ("mei", "may"),
    ("juni", "june", "jun"),
    ("juli", "july", "jul"),
    ("augustus", "august", "aug"),
    ("september", "sep", "sept"),
    ("oktober", "october", "okt", "oct"),
    ("november", "nov"),
    ("december", "dec"),
)
_MONTHS = {name: number for number, names in enumerate(_MONTH_NAMES, 1) for name in names}

_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_DMY = re.compile(r"(\d{1,2})([-/])(\d{1,2})(?:\2(\d{4}|\d{2}))?")
_DOTTED_DMY = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})")
_ORDINAL = r"(\d{1,2})(?:st|nd|rd|th|ste|de|e)?"
_DAY_MONTH = re.compile(_ORDINAL + r" ([a-z]+)(?: (\d{4}))?")
_MONTH_DAY = re.compile(r"([a-z]+) " + _ORDINAL + r"(?: (\d{4}))?")
_CLOCK_12 = re.compile(r"(\d{1,2})(?:[:.](\d{2}))? ?(am|pm|a\.m\.|p\.m\.)")
_CLOCK_24 = re.compile(r"(\d{1,2})(?:[:.uh](\d{2}))?(?: ?(?:u|h))?")


def parse_when(text: str, now: datetime) -> datetime | None:
    """A moment typed by a trainer, in Dutch or English, local to Europe/Amsterdam.

    Returns aware UTC, or None when it cannot be read. A day without a time is
    not accepted (guessing an hour would surprise); a time without a day means
    today. Weekday names mean the next such day, today if that time is still
    ahead. A date without a year means the nearest such date (so "2-1" typed in
    December is next January, but "26-11" typed on 27 November is in the past).
    Past moments are returned as they are: the caller rejects them and says so.
    """
    words = [w.strip(".,;!?") for w in text.lower().replace(",", " ").split()]
    words = [w for w in words if w and w not in _FILLER]
    if not words:
        return None
    if " ".join(words) in _NOW_WORDS:
        return now.astimezone(UTC)
    today = _local(now).date()
    # Day first ("morgen 9:00") is tried at every split before time first
    # ("9:00 morgen"), so "1 december 9" is 1 December at 9, not 9 December at 1.
    splits = [(words[:i], words[i:]) for i in range(len(words))]
    splits += [(words[i:], words[:i]) for i in range(1, len(words) + 1)]
    for day_words, time_words in splits:
        at = _parse_time(" ".join(time_words))
        if at is None:
            continue
        day = _parse_day(day_words, at, today, now)
        if day is not None:
            return _at(day, at)
    return None


def _parse_time(text: str) -> time | None:
    if m := _CLOCK_12.fullmatch(text):
        hour, minute = int(m[1]), int(m[2] or 0)
        if not 1 <= hour <= 12 or minute > 59:
            return None
        return time(hour % 12 + (12 if m[3].startswith("p") else 0), minute)
    if m := _CLOCK_24.fullmatch(text):
        hour, minute = int(m[1]), int(m[2] or 0)
        return time(hour, minute) if hour <= 23 and minute <= 59 else None
    return None


def _parse_day(words: list[str], at: time, today: date, now: datetime) -> date | None:
    if not words:
        return today
    phrase = " ".join(words)
    if phrase in _RELATIVE:
        return today + timedelta(days=_RELATIVE[phrase])
    strict = words[0] in _NEXT
    prefixed = strict or words[0] in _THIS
    rest = words[1:] if prefixed else words
    if len(rest) == 1 and rest[0] in _WEEKDAYS:
        ahead = (_WEEKDAYS[rest[0]] - today.weekday()) % 7
        if ahead == 0 and (strict or _at(today, at) < now):
            ahead = 7
        return today + timedelta(days=ahead)
    if prefixed or not rest:
        return None
    weekday = None
    if len(rest) > 1 and rest[0] in _WEEKDAYS:  # "maandag 1 december": must agree
        weekday, rest = _WEEKDAYS[rest[0]], rest[1:]
    day = _parse_date(" ".join(rest), today)
    if day is None or (weekday is not None and day.weekday() != weekday):
        return None
    return day


def _parse_date(text: str, today: date) -> date | None:
    year: int | None
    if m := _ISO_DATE.fullmatch(text):
        year, month, day = int(m[1]), int(m[2]), int(m[3])
    elif m := _DMY.fullmatch(text):
        day, month = int(m[1]), int(m[3])
        year = None if m[4] is None else int(m[4]) + (2000 if len(m[4]) == 2 else 0)
    elif m := _DOTTED_DMY.fullmatch(text):
        day, month, year = int(m[1]), int(m[2]), int(m[3])
    elif (m := _DAY_MONTH.fullmatch(text)) and m[2] in _MONTHS:
        day, month, year = int(m[1]), _MONTHS[m[2]], int(m[3]) if m[3] else None
    elif (m := _MONTH_DAY.fullmatch(text)) and m[1] in _MONTHS:
        day, month, year = int(m[2]), _MONTHS[m[1]], int(m[3]) if m[3] else None
    else:
        return None
    years = [year] if year is not None else [today.year - 1, today.year, today.year + 1]
    candidates = [found for y in years if (found := _date_or_none(y, month, day)) is not None]
    if not candidates:
        return None
    return min(candidates, key=lambda found: abs((found - today).days))


def _date_or_none(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


# -- the service ---------------------------------------------------------------------


def _default_worker() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:64]


class Pushes:
    """Creating, cancelling, sending and following up trainer pushes.

    Every public method is one transaction. Access checks (is this person a
    trainer of that group?) are part of the queries here, not left to menus.
    """

    def __init__(
        self,
        db: Database,
        clock: Clock,
        quiet: QuietHours = DEFAULT_QUIET,
        reminder_after: timedelta = timedelta(hours=48),
        max_reminders: int = 1,
        lease: timedelta = timedelta(seconds=60),
        worker: str | None = None,
        cipher: TextCipher = PLAIN,
    ) -> None:
        self.db = db
        self.clock = clock
        # A trainer's note may name people or cases: sealed like answers (crypto.py).
        self.cipher = cipher
        self.quiet = quiet
        self.reminder_after = reminder_after
        self.max_reminders = max_reminders
        self.lease = lease
        self.worker = (worker or _default_worker())[:64]
        self._postgres = not db.sqlite

    # -- trainer actions -----------------------------------------------------------

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
        moment = now if when is None else _local(when).astimezone(UTC)
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
            return (_summaries(session, self.cipher, [push]))[0][0]

        return await self.db.write(work)

    async def cancel(self, trainer_id: int, push_id: int) -> PushSummary:
        """Cancel a push that has not started going out. Cancelling twice is harmless."""

        def work(session: Session) -> PushSummary:
            push = self._trainers_push(session, trainer_id, push_id, lock=True)
            if push.status not in ("scheduled", "cancelled"):
                raise PushError("not_cancellable", push.status)
            push.status = "cancelled"
            session.flush()
            return (_summaries(session, self.cipher, [push]))[0][0]

        return await self.db.write(work)

    async def list(self, trainer_id: int, group_id: int) -> builtins.list[PushSummary]:
        """The group's pushes, newest first, for one of its trainers."""

        def work(session: Session) -> builtins.list[PushSummary]:
            _require_trainer(session, trainer_id, group_id)
            query = select(Push).where(Push.group_id == group_id).order_by(Push.id.desc())
            pushes = session.execute(query).scalars().all()
            return [summary for summary, _ in _summaries(session, self.cipher, pushes)]

        return await self.db.read(work)

    async def progress(
        self, trainer_id: int, push_id: int
    ) -> tuple[PushSummary, builtins.list[MemberProgress]]:
        """One push with every member's status. Before it goes out, the current
        professionals are listed as they would receive it."""

        def work(session: Session) -> tuple[PushSummary, list[MemberProgress]]:
            push = self._trainers_push(session, trainer_id, push_id)
            return (_summaries(session, self.cipher, [push]))[0]

        return await self.db.read(work)

    # -- sending ---------------------------------------------------------------------

    async def claim_due(self, limit: int = 30) -> builtins.list[Claim]:
        """Fan out due pushes, claim up to `limit` messages to send, settle finished pushes.

        Returned claims are committed: the caller may send them right away (each
        after `in_flight()`). A push whose time passed while no worker ran is
        fanned out now, once: the status change and the deliveries are written in
        one transaction, and (push, person) is unique. Pushes and reminders left
        in flight by a worker whose lease ran out are settled here, not sent again.
        """
        now = self.clock.now()

        def work(session: Session) -> list[Claim]:
            self._fan_out(session, now)
            self._settle_in_flight(session, now, limit)
            claims = self._claim_deliveries(session, now, limit)
            _settle(session, now)
            return claims

        claims = await self.db.write(work)
        if claims:
            log.info("claimed %d push message(s) as %s", len(claims), self.worker)
        return claims

    async def claim_reminders(self, limit: int = 30) -> builtins.list[Claim]:
        """Claim reminders for members who have not finished a pushed exercise.

        A member gets at most `max_reminders`, each `reminder_after` after the
        delivery (or the previous reminder), never in quiet hours, not when they
        turned reminders off, blocked the bot or left the group.
        """
        now = self.clock.now()
        if self.quiet.contains(now):
            return []

        def work(session: Session) -> list[Claim]:
            claims: list[Claim] = []
            while len(claims) < limit:
                want = limit - len(claims)
                rows = self._reminder_candidates(session, now, want)
                for delivery, push, person, group in rows:
                    if delivery.status == "reminding" and delivery.attempts >= MAX_ATTEMPTS:
                        # Claimed again and again without a report: count it as done.
                        _reminder_done(delivery, now, error="no report from worker")
                        continue
                    delivery.status = "reminding"
                    delivery.lease_until = now + self.lease
                    delivery.attempts += 1
                    claims.append(_claim(delivery, push, person, group, "reminder", self.cipher))
                session.flush()
                if len(rows) < want:
                    break
            return claims

        claims = await self.db.write(work)
        if claims:
            log.info("claimed %d reminder(s) as %s", len(claims), self.worker)
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
            moved = session.execute(
                update(Delivery)
                .where(Delivery.id == claim.delivery_id, Delivery.status == old)
                .values(status=new, lease_until=now + self.lease)
                .execution_options(synchronize_session=False)
            )
            return int(moved.rowcount)

        return await self.db.write(work) == 1

    async def delivered(self, delivery_id: int, message_id: int | None) -> None:
        """Record a successful send of a push or reminder (a late or repeated report
        is accepted: the message did reach the person)."""
        now = self.clock.now()

        def work(session: Session) -> None:
            delivery = self._delivery(session, delivery_id)
            if delivery.status in (CLAIMED["reminder"], IN_FLIGHT["reminder"]):
                _reminder_done(delivery, now)
                return
            if delivery.status == "delivered":
                return
            _push_done(delivery, now, message_id)
            session.flush()
            _settle(session, now, delivery.push_id)

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
                delivery.status = "failed"
                delivery.error = "blocked"
                delivery.lease_until = None
                person = _person(session, delivery.person_id, lock=self._postgres)
                person.active = False
                log.info("delivery %d: person %d blocked the bot", delivery_id, person.id)
            elif delivery.status in (CLAIMED["reminder"], IN_FLIGHT["reminder"]):
                if delivery.attempts >= MAX_ATTEMPTS:
                    _reminder_done(delivery, now, error=text)
                else:
                    delivery.status = "delivered"
                    delivery.lease_until = now + _backoff(delivery.attempts)
                    delivery.error = text
            elif delivery.status in UNSETTLED:
                delivery.error = text
                delivery.lease_until = None
                if delivery.attempts >= MAX_ATTEMPTS:
                    delivery.status = "failed"
                    log.warning("delivery %d given up: %s", delivery_id, text)
                else:
                    delivery.status = "pending"
                    delivery.next_at = now + _backoff(delivery.attempts)
            else:
                return  # a late report about a delivery that is settled already
            session.flush()
            _settle(session, now, delivery.push_id)

        await self.db.write(work)

    # -- the member's side -------------------------------------------------------------

    async def set_reminders(self, person_id: int, enabled: bool) -> None:
        def work(session: Session) -> None:
            person = _person(session, person_id, lock=self._postgres)
            person.reminders = enabled

        await self.db.write(work)

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
            runs = _runs_for(session, [push], {person_id})
            return _member_status(push, delivery.status, delivery.delivered_at, runs)

        return await self.db.read(work)

    # -- internals ---------------------------------------------------------------------

    def _trainers_push(
        self, session: Session, trainer_id: int, push_id: int, lock: bool = False
    ) -> Push:
        query = select(Push).where(Push.id == push_id)
        if lock and self._postgres:
            query = query.with_for_update()
        push = session.execute(query).scalar_one_or_none()
        if push is None:
            raise PushError("not_found", f"push {push_id}")
        _require_trainer(session, trainer_id, push.group_id)
        return push

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
                _reminder_done(delivery, now, error=UNCONFIRMED)
            else:
                _push_done(delivery, now, message_id=None, error=UNCONFIRMED)
        session.flush()

    def _claim_deliveries(
        self, session: Session, now: datetime, limit: int
    ) -> builtins.list[Claim]:
        claims: list[Claim] = []
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
                    claims.append(_claim(delivery, push, person, group, "push", self.cipher))
            session.flush()
            if len(rows) < want:
                break
        return claims

    def _reminder_candidates(self, session: Session, now: datetime, limit: int) -> Sequence[Any]:
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
                ~_finished_clause(),
            )
            .order_by(last, Delivery.id)
            .limit(limit)
        )
        if self._postgres:
            query = query.with_for_update(skip_locked=True, of=Delivery)
        return session.execute(query).all()


# -- helpers (each runs inside the caller's transaction) -------------------------------


def _backoff(attempts: int) -> timedelta:
    return min(BACKOFF_STEP * max(attempts, 1), BACKOFF_MAX)


def _push_done(
    delivery: Delivery, now: datetime, message_id: int | None, error: str | None = None
) -> None:
    """The push message itself is delivered (or, with `error`, counted as delivered)."""
    delivery.status = "delivered"
    delivery.message_id = message_id
    delivery.delivered_at = now
    delivery.lease_until = None
    delivery.attempts = 0
    delivery.error = error


def _reminder_done(delivery: Delivery, now: datetime, error: str | None = None) -> None:
    """A reminder is used up (sent, or given up after MAX_ATTEMPTS)."""
    delivery.status = "delivered"
    delivery.reminders_sent += 1
    delivery.last_reminder_at = now
    delivery.lease_until = None
    delivery.attempts = 0
    delivery.error = error


def _claim(
    delivery: Delivery, push: Push, person: Person, group: Group, kind: str, cipher: TextCipher
) -> Claim:
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
        note=_note(push, cipher),
        group_name=group.name,
    )


def _note(push: Push, cipher: TextCipher) -> str | None:
    """The trainer's note as written (opened when it was stored encrypted)."""
    return None if push.note is None else cipher.open(push.note, push.note_encrypted)


def _delivery_rows() -> Any:
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


def _is_professional_of_push() -> ColumnElement[bool]:
    return exists(
        select(Membership.id).where(
            Membership.person_id == Delivery.person_id,
            Membership.group_id == Push.group_id,
            Membership.role == PROFESSIONAL,
        )
    )


def _finished_clause() -> ColumnElement[bool]:
    """SQL twin of `_member_status(...) == 'finished'`, for the reminder query:
    a finished run linked to the push, or, when none is linked, a finished run
    of the same dialogue started after the delivery."""
    linked = select(Run.id).where(
        Run.person_id == Delivery.person_id, Run.push_id == Delivery.push_id
    )
    later = select(Run.id).where(
        Run.person_id == Delivery.person_id,
        Run.dialogue_id == Push.dialogue_id,
        Run.started_at >= Delivery.delivered_at,
        Run.status == "finished",
    )
    return or_(
        exists(linked.where(Run.status == "finished")),
        and_(~exists(linked), exists(later)),
    )


def _settle(session: Session, now: datetime, push_id: int | None = None) -> None:
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


def _require_trainer(session: Session, person_id: int, group_id: int) -> None:
    """The one trainer rule (bot/services/access.py), told in the pushes' own terms."""
    try:
        access.require_trainer(session, person_id, group_id)
    except (access.AccessDenied, access.Gone) as refused:
        raise PushError("not_trainer", f"person {person_id} in group {group_id}") from refused


def _has_reachable_professional(session: Session, group_id: int) -> bool:
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


def _person(session: Session, person_id: int, lock: bool) -> Person:
    query = select(Person).where(Person.id == person_id)
    if lock:
        query = query.with_for_update()
    person = session.execute(query).scalar_one_or_none()
    if person is None:
        raise PushError("not_found", f"person {person_id}")
    return person


@dataclass(frozen=True)
class _RunInfo:
    person_id: int
    dialogue_id: str
    push_id: int | None
    status: str
    started_at: datetime


def _runs_for(
    session: Session, pushes: Sequence[Push], person_ids: Iterable[int]
) -> list[_RunInfo]:
    """Runs that may count for these pushes: linked to one, or of the same dialogue."""
    people = set(person_ids)
    if not pushes or not people:
        return []
    query = select(Run.person_id, Run.dialogue_id, Run.push_id, Run.status, Run.started_at).where(
        Run.person_id.in_(people),
        or_(
            Run.push_id.in_([p.id for p in pushes]),
            Run.dialogue_id.in_({p.dialogue_id for p in pushes}),
        ),
    )
    return [_RunInfo(*row) for row in session.execute(query).all()]


def _member_status(
    push: Push, delivery_status: str, delivered_at: datetime | None, runs: Iterable[_RunInfo]
) -> str:
    """Finished or started, going by the runs; else what the delivery says.

    A run counts when it is linked to the push (started from its button); if
    none is, a run of the same dialogue started after the delivery counts too
    (the member opened it from the menu instead).
    """
    mine = [r for r in runs if r.push_id == push.id]
    if not mine and delivered_at is not None:
        mine = [
            r for r in runs if r.dialogue_id == push.dialogue_id and r.started_at >= delivered_at
        ]
    if any(r.status == "finished" for r in mine):
        return "finished"
    if mine:
        return "started"
    return _PROGRESS_OF.get(delivery_status, "pending")


def _summaries(
    session: Session, cipher: TextCipher, pushes: Sequence[Push]
) -> list[tuple[PushSummary, list[MemberProgress]]]:
    """Summaries with member progress for several pushes, in a handful of queries."""
    if not pushes:
        return []
    ids = [p.id for p in pushes]
    names = dict(
        (
            session.execute(
                select(Group.id, Group.name).where(Group.id.in_({p.group_id for p in pushes}))
            )
        ).all()
    )
    # (push_id, person_id, first_name, delivery status, delivered_at, reminders_sent)
    found = session.execute(
        select(
            Delivery.push_id,
            Delivery.person_id,
            Person.first_name,
            Delivery.status,
            Delivery.delivered_at,
            Delivery.reminders_sent,
        )
        .join(Person, Person.id == Delivery.person_id)
        .where(Delivery.push_id.in_(ids), Delivery.status != "skipped")
    )
    rows: dict[int, list[tuple[int, str, str, datetime | None, int]]] = {i: [] for i in ids}
    for push_id, person_id, first_name, status, delivered_at, reminders in found.all():
        rows[push_id].append((person_id, first_name or "", status, delivered_at, reminders))

    # Not yet fanned out: the group's current professionals, as they would receive it.
    waiting = {p.group_id for p in pushes if p.status == "scheduled"}
    if waiting:
        members = session.execute(
            select(Membership.group_id, Person.id, Person.first_name, Person.active)
            .join(Person, Person.id == Membership.person_id)
            .where(
                Membership.group_id.in_(waiting),
                Membership.role == PROFESSIONAL,
                Person.consented_at.is_not(None),
            )
        )
        by_group: dict[int, list[tuple[int, str, str, datetime | None, int]]] = {}
        for group_id, person_id, first_name, active in members.all():
            status = "pending" if active else "failed"
            by_group.setdefault(group_id, []).append((person_id, first_name or "", status, None, 0))
        for push in pushes:
            if push.status == "scheduled":
                rows[push.id] = by_group.get(push.group_id, [])

    people = {row[0] for push_rows in rows.values() for row in push_rows}
    runs = _runs_for(session, pushes, people)
    runs_of: dict[int, list[_RunInfo]] = {}
    for run in runs:
        runs_of.setdefault(run.person_id, []).append(run)

    result = []
    for push in pushes:
        members_progress = sorted(
            (
                MemberProgress(
                    person_id=person_id,
                    first_name=first_name,
                    status=_member_status(push, status, delivered_at, runs_of.get(person_id, [])),
                    reminders_sent=reminders,
                )
                for person_id, first_name, status, delivered_at, reminders in rows[push.id]
            ),
            key=lambda m: (m.first_name.casefold(), m.person_id),
        )
        counts = dict.fromkeys(PROGRESS_STATUSES, 0)
        for member in members_progress:
            counts[member.status] += 1
        summary = PushSummary(
            id=push.id,
            group_id=push.group_id,
            group_name=names.get(push.group_id, ""),
            dialogue_id=push.dialogue_id,
            note=_note(push, cipher),
            scheduled_at=push.scheduled_at,
            due_at=push.due_at,
            status=push.status,
            counts=counts,
        )
        result.append((summary, members_progress))
    return result
