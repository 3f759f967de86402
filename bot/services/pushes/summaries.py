"""How far a push got: per member pending, delivered, started, finished or failed.

The delivery row alone cannot say whether someone did the exercise; their runs
can. A member may start it from the push's button (the run is linked to the
push) or from the menu (a run of the same dialogue after the delivery), so both
count. The same rule is written twice, once in Python for the trainer's view
(`member_status`) and once in SQL for the reminder query (`finished_clause`),
and kept side by side here so they cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from bot.privacy import TextCipher
from bot.services.access import PROFESSIONAL
from bot.services.pushes.model import PROGRESS_OF, PROGRESS_STATUSES, MemberProgress, PushSummary
from bot.store.models import Delivery, Group, Membership, Person, Push, Run

#: One member of a push: person id, first name, delivery status, delivered at,
#: reminders sent.
_Recipient = tuple[int, str, str, datetime | None, int]


@dataclass(frozen=True)
class RunInfo:
    """The few columns of a run that decide a member's progress."""

    person_id: int
    dialogue_id: str
    push_id: int | None
    status: str
    started_at: datetime


def note_of(push: Push, cipher: TextCipher) -> str | None:
    """The trainer's note as written (opened when it was stored encrypted)."""
    return None if push.note is None else cipher.open(push.note, push.note_encrypted)


def runs_for(session: Session, pushes: Sequence[Push], person_ids: Iterable[int]) -> list[RunInfo]:
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
    return [RunInfo(*row) for row in session.execute(query).all()]


def member_status(
    push: Push, delivery_status: str, delivered_at: datetime | None, runs: Iterable[RunInfo]
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
    return PROGRESS_OF.get(delivery_status, "pending")


def finished_clause() -> ColumnElement[bool]:
    """SQL twin of `member_status(...) == 'finished'`, for the reminder query:
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


def summaries(
    session: Session, cipher: TextCipher, pushes: Sequence[Push]
) -> list[tuple[PushSummary, list[MemberProgress]]]:
    """Summaries with member progress for several pushes, in a handful of queries
    (a trainer's list shows many pushes; one query per push would not scale)."""
    if not pushes:
        return []
    names = _group_names(session, pushes)
    recipients = _delivered_to(session, pushes)
    recipients.update(_would_receive(session, pushes))
    people = {row[0] for rows in recipients.values() for row in rows}
    runs_of: dict[int, list[RunInfo]] = {}
    for run in runs_for(session, pushes, people):
        runs_of.setdefault(run.person_id, []).append(run)
    return [
        _summary(push, names.get(push.group_id, ""), recipients[push.id], runs_of, cipher)
        for push in pushes
    ]


def _group_names(session: Session, pushes: Sequence[Push]) -> dict[int, str]:
    query = select(Group.id, Group.name).where(Group.id.in_({p.group_id for p in pushes}))
    return dict(session.execute(query).all())


def _delivered_to(session: Session, pushes: Sequence[Push]) -> dict[int, list[_Recipient]]:
    """Push id -> the members it was fanned out to (left members' 'skipped' aside)."""
    ids = [p.id for p in pushes]
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
    rows: dict[int, list[_Recipient]] = {i: [] for i in ids}
    for push_id, person_id, first_name, status, delivered_at, reminders in found.all():
        rows[push_id].append((person_id, first_name or "", status, delivered_at, reminders))
    return rows


def _would_receive(session: Session, pushes: Sequence[Push]) -> dict[int, list[_Recipient]]:
    """Push id -> recipients, for pushes not yet fanned out: the group's current
    professionals, as they would receive it (one who blocked the bot as failed)."""
    waiting = {p.group_id for p in pushes if p.status == "scheduled"}
    if not waiting:
        return {}
    members = session.execute(
        select(Membership.group_id, Person.id, Person.first_name, Person.active)
        .join(Person, Person.id == Membership.person_id)
        .where(
            Membership.group_id.in_(waiting),
            Membership.role == PROFESSIONAL,
            Person.consented_at.is_not(None),
        )
    )
    by_group: dict[int, list[_Recipient]] = {}
    for group_id, person_id, first_name, active in members.all():
        status = "pending" if active else "failed"
        by_group.setdefault(group_id, []).append((person_id, first_name or "", status, None, 0))
    return {p.id: by_group.get(p.group_id, []) for p in pushes if p.status == "scheduled"}


def _summary(
    push: Push,
    group_name: str,
    recipients: Sequence[_Recipient],
    runs_of: Mapping[int, list[RunInfo]],
    cipher: TextCipher,
) -> tuple[PushSummary, list[MemberProgress]]:
    """One push's summary and its members' progress, sorted by first name."""
    members = sorted(
        (
            MemberProgress(
                person_id=person_id,
                first_name=first_name,
                status=member_status(push, status, delivered_at, runs_of.get(person_id, [])),
                reminders_sent=reminders,
            )
            for person_id, first_name, status, delivered_at, reminders in recipients
        ),
        key=lambda m: (m.first_name.casefold(), m.person_id),
    )
    counts = dict.fromkeys(PROGRESS_STATUSES, 0)
    for member in members:
        counts[member.status] += 1
    summary = PushSummary(
        id=push.id,
        group_id=push.group_id,
        group_name=group_name,
        dialogue_id=push.dialogue_id,
        note=note_of(push, cipher),
        scheduled_at=push.scheduled_at,
        due_at=push.due_at,
        status=push.status,
        counts=counts,
    )
    return summary, members
