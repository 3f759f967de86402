"""A person's data rights: see everything held about them, leave a group, be forgotten.

The export is built from the tables directly, so it cannot miss what a view
would leave out. Erasure deletes the person row; everything personal hangs off
it with ON DELETE CASCADE (memberships, runs, answers and the feedback on them,
deliveries, drafts, prompts, login tokens), and audit entries keep the event
without the person (SET NULL). Aggregates computed later no longer count them.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot.services.audit import record_in
from bot.store.db import Database, affected
from bot.store.models import (
    AnswerRow,
    Delivery,
    Feedback,
    Group,
    Membership,
    Organisation,
    Person,
    Run,
    utcnow,
)

# Reads a stored free text (decrypting when encryption at rest is on).
TextReader = Callable[[str, bool], str]


def _plain(stored: str, encrypted: bool) -> str:
    return stored


class Rights:
    """Export, leave and erase, each one transaction."""

    def __init__(self, db: Database, read_text: TextReader = _plain) -> None:
        self.db = db
        self.read_text = read_text

    async def export(self, person_id: int) -> dict[str, Any]:
        """Everything stored about the person, as plain JSON-ready data."""

        def work(session: Session) -> dict[str, Any]:
            person = session.get(Person, person_id)
            if person is None:
                return {}
            return {
                "person": {
                    "first_name": person.first_name,
                    "language": person.locale,
                    "consent_given_at": _iso(person.consented_at),
                    "reachable": person.active,
                    "reminders": person.reminders,
                    "joined_at": _iso(person.created_at),
                    "last_seen_at": _iso(person.last_seen_at),
                },
                "groups": self._groups(session, person_id),
                "exercises": self._runs(session, person_id),
                "pushes_received": self._deliveries(session, person_id),
            }

        return await self.db.read(work)

    def _groups(self, session: Session, person_id: int) -> list[dict[str, Any]]:
        query = (
            select(Organisation.name, Group.name, Membership.role, Membership.created_at)
            .join(Group, Group.id == Membership.group_id)
            .join(Organisation, Organisation.id == Group.organisation_id)
            .where(Membership.person_id == person_id)
            .order_by(Organisation.name, Group.name)
        )
        return [
            {"organisation": org, "group": group, "role": role, "since": _iso(since)}
            for org, group, role, since in session.execute(query).all()
        ]

    def _runs(self, session: Session, person_id: int) -> list[dict[str, Any]]:
        runs = (
            session.execute(select(Run).where(Run.person_id == person_id).order_by(Run.id))
        ).scalars()
        result = []
        for run in runs:
            answers = (
                session.execute(
                    select(AnswerRow).where(AnswerRow.run_id == run.id).order_by(AnswerRow.id)
                )
            ).scalars()
            items = []
            for answer in answers:
                feedback = (
                    session.execute(
                        select(Feedback)
                        .where(Feedback.answer_id == answer.id)
                        .order_by(Feedback.id)
                    )
                ).scalars()
                items.append(
                    {
                        "question": answer.state,
                        "stored_as": answer.key,
                        "kind": answer.kind,
                        "answer": self._value(answer),
                        "answered_at": _iso(answer.updated_at),
                        "feedback": [
                            {"text": self.read_text(f.text, f.encrypted), "at": _iso(f.created_at)}
                            for f in feedback
                        ],
                    }
                )
            result.append(
                {
                    "exercise": run.dialogue_id,
                    "status": run.status,
                    "started_at": _iso(run.started_at),
                    "finished_at": _iso(run.finished_at),
                    "current_step": run.state,
                    "answers": items,
                }
            )
        return result

    def _deliveries(self, session: Session, person_id: int) -> list[dict[str, Any]]:
        rows = (
            session.execute(
                select(Delivery).where(Delivery.person_id == person_id).order_by(Delivery.id)
            )
        ).scalars()
        return [
            {
                "status": d.status,
                "delivered_at": _iso(d.delivered_at),
                "reminders": d.reminders_sent,
            }
            for d in rows
        ]

    def _value(self, answer: AnswerRow) -> Any:
        if answer.kind == "text":
            return self.read_text(answer.text or "", answer.encrypted)
        return answer.value

    async def leave(self, person_id: int, group_id: int) -> bool:
        """Leave one group; False when the person was not in it."""

        def work(session: Session) -> bool:
            left = affected(
                session.execute(
                    delete(Membership).where(
                        Membership.person_id == person_id, Membership.group_id == group_id
                    )
                )
            )
            if left:
                record_in(
                    session,
                    utcnow(),
                    person_id,
                    "member_left",
                    group_id=group_id,
                    subject_id=person_id,
                )
            return bool(left)

        return await self.db.write(work)

    async def groups(self, person_id: int) -> list[tuple[int, str]]:
        """(group id, name) of the person's groups, for the leave menu."""

        def work(session: Session) -> list[tuple[int, str]]:
            query = (
                select(Group.id, Group.name)
                .join(Membership, Membership.group_id == Group.id)
                .where(Membership.person_id == person_id)
                .order_by(Group.name)
            )
            return [(gid, name) for gid, name in session.execute(query).all()]

        return await self.db.read(work)

    async def erase(self, person_id: int) -> bool:
        """Forget the person and everything hanging off them."""

        def work(session: Session) -> bool:
            return bool(affected(session.execute(delete(Person).where(Person.id == person_id))))

        return await self.db.write(work)


def to_json(data: dict[str, Any]) -> bytes:
    """The export as readable, indented UTF-8 JSON."""
    return json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8")


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat(timespec="seconds") if moment else None
