"""Queries and writes, one method per question the application asks.

Every method runs inside the transaction its caller opened with
`Database.read()` or `Database.write()`; none commits on its own.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.engine import Answer, RunState
from bot.privacy import PLAIN, TextCipher
from bot.store import direct
from bot.store.driver import Direct
from bot.store.models import (
    ROLES,
    AnswerRow,
    Group,
    Invite,
    Membership,
    Meta,
    Organisation,
    Person,
    Run,
    utcnow,
)

OPEN = ("active", "paused")


class NotFound(LookupError):
    """A named organisation, group or record does not exist."""


@dataclass(frozen=True)
class ExportRow:
    """One answer as exported: pseudonymous, with its context."""

    person: str
    organisations: str
    groups: str
    dialogue_id: str
    run_id: int
    run_status: str
    state: str
    key: str
    kind: str
    answer: str
    answered_at: datetime


class Repository:
    """Data access within one session/transaction.

    `cipher` seals free-text answers on the way in and opens them on the way out,
    so callers only ever see plain text (see bot/privacy/cipher.py).
    """

    def __init__(self, session: Session, cipher: TextCipher = PLAIN) -> None:
        self.session = session
        self.cipher = cipher
        self.postgres = session.bind.dialect.name == "postgresql" if session.bind else False

    # -- people -------------------------------------------------------------------

    def person_by_external(self, channel: str, external_id: str) -> Person | None:
        result = self.session.execute(
            select(Person).where(Person.channel == channel, Person.external_id == external_id)
        )
        return result.scalar_one_or_none()

    def lock_identity(self, channel: str, external_id: str) -> None:
        """Serialise work on one channel identity across workers, also before its person
        row exists (PostgreSQL: an advisory lock held until commit; SQLite's BEGIN
        IMMEDIATE already serialises all writes). Without it, two workers creating the
        same person at once fail on the unique (channel, external_id)."""
        if self.postgres:
            digest = hashlib.blake2b(f"{channel}:{external_id}".encode(), digest_size=8).digest()
            key = int.from_bytes(digest, "big", signed=True)
            self.session.execute(select(func.pg_advisory_xact_lock(key)))

    def ensure_person(
        self, channel: str, external_id: str, first_name: str | None, locale: str
    ) -> Person:
        """The person for this channel identity, created on first contact."""
        self.lock_identity(channel, external_id)
        person = self.person_by_external(channel, external_id)
        if person is None:
            person = Person(
                channel=channel, external_id=external_id, first_name=first_name, locale=locale
            )
            self.session.add(person)
            self.session.flush()
        person.last_seen_at = utcnow()
        return person

    def person(self, person_id: int, lock: bool = False) -> Person:
        """A person by id. With `lock`, PostgreSQL holds the row until commit, which
        serialises every update of one person across workers (SQLite's BEGIN
        IMMEDIATE already serialises all writes)."""
        query = select(Person).where(Person.id == person_id)
        if lock and self.postgres:
            query = query.with_for_update()
        person = self.session.execute(query).scalar_one_or_none()
        if person is None:
            raise NotFound(f"person {person_id}")
        return person

    # -- runs -----------------------------------------------------------------------

    def create_run(self, person_id: int, state: RunState) -> Run:
        row = Run(person_id=person_id, dialogue_id=state.dialogue_id)
        _copy_state(row, state)
        self.session.add(row)
        self.session.flush()
        return row

    def run(self, run_id: int) -> Run | None:
        return self.session.get(Run, run_id)

    def open_run(self, person_id: int, dialogue_id: str | None = None) -> Run | None:
        """The person's most recent active or paused run (of one dialogue, if given)."""
        query = select(Run).where(Run.person_id == person_id, Run.status.in_(OPEN))
        if dialogue_id is not None:
            query = query.where(Run.dialogue_id == dialogue_id)
        query = query.order_by(Run.updated_at.desc(), Run.id.desc()).limit(1)
        return self.session.execute(query).scalar_one_or_none()

    def runs_of(self, person_id: int) -> Sequence[Run]:
        query = select(Run).where(Run.person_id == person_id).order_by(Run.id)
        return self.session.execute(query).scalars().all()

    def run_state(self, row: Run) -> RunState:
        """The engine's view of a stored run, with its answers."""
        return direct.run_state(Direct.of(self.session), row, self.cipher)

    # -- answers ----------------------------------------------------------------------

    def answers_of(self, run_id: int) -> dict[str, Any]:
        return direct.answers_of(Direct.of(self.session), run_id, self.cipher)

    def put_answer(self, run: Run, answer: Answer) -> None:
        """Store or replace the answer under its key (going back and answering again)."""
        direct.put_answer(Direct.of(self.session), run, answer, self.cipher)

    def forget_answers(self, run_id: int, keys: Sequence[str]) -> None:
        direct.forget_answers(Direct.of(self.session), run_id, keys)

    # -- organisations, groups, invites ----------------------------------------------

    def add_organisation(self, name: str) -> Organisation:
        org = Organisation(name=name)
        self.session.add(org)
        self.session.flush()
        return org

    def organisation(self, name: str) -> Organisation:
        org = (
            self.session.execute(select(Organisation).where(Organisation.name == name))
        ).scalar_one_or_none()
        if org is None:
            raise NotFound(f"organisation '{name}'")
        return org

    def add_group(self, organisation: str, name: str) -> Group:
        org = self.organisation(organisation)
        group = Group(organisation_id=org.id, name=name)
        self.session.add(group)
        self.session.flush()
        return group

    def group(self, name: str, organisation: str | None = None) -> Group:
        """A group by name (or `org/name`); ambiguous names need the organisation."""
        if organisation is None and "/" in name:
            organisation, name = name.split("/", 1)
        query = select(Group).where(Group.name == name)
        if organisation is not None:
            query = query.join(Organisation).where(Organisation.name == organisation)
        groups = self.session.execute(query).scalars().all()
        if not groups:
            raise NotFound(f"group '{name}'")
        if len(groups) > 1:
            raise NotFound(f"group name '{name}' exists in several organisations; use ORG/GROUP")
        return groups[0]

    def create_invite(
        self,
        group_id: int,
        role: str,
        expires_at: datetime | None = None,
        max_uses: int | None = None,
        created_by: int | None = None,
    ) -> Invite:
        if role not in ROLES:
            raise ValueError(f"role must be one of {', '.join(ROLES)}")
        invite = Invite(
            code=secrets.token_urlsafe(12),
            group_id=group_id,
            role=role,
            expires_at=expires_at,
            max_uses=max_uses,
            created_by=created_by,
        )
        self.session.add(invite)
        self.session.flush()
        return invite

    def invite(self, code: str) -> tuple[Invite, Group] | None:
        """An invite with its group, by code."""
        query = select(Invite, Group).join(Group, Group.id == Invite.group_id)
        row = (self.session.execute(query.where(Invite.code == code))).first()
        return (row[0], row[1]) if row else None

    def membership(self, person_id: int, group_id: int) -> Membership | None:
        query = select(Membership).where(
            Membership.person_id == person_id, Membership.group_id == group_id
        )
        return self.session.execute(query).scalar_one_or_none()

    def add_membership(self, person_id: int, group_id: int, role: str) -> Membership:
        member = Membership(person_id=person_id, group_id=group_id, role=role)
        self.session.add(member)
        self.session.flush()
        return member

    def memberships(self, person_id: int) -> Sequence[Membership]:
        query = select(Membership).where(Membership.person_id == person_id)
        return self.session.execute(query).scalars().all()

    # -- updates --------------------------------------------------------------------------

    def mark_handled(self, update_id: int) -> bool:
        """Record an update id; False when it was handled before."""
        return direct.mark_handled(Direct.of(self.session), update_id)

    # -- pseudonyms and export ---------------------------------------------------------

    def pseudonymiser(self) -> Pseudonymiser:
        """Keyed pseudonyms: stable within this database, meaningless outside it."""
        salt = self.session.get(Meta, "pseudonym_salt")
        if salt is None:
            salt = Meta(key="pseudonym_salt", value=secrets.token_hex(32))
            self.session.add(salt)
            self.session.flush()
        return Pseudonymiser(bytes.fromhex(salt.value))

    def export_rows(self) -> list[ExportRow]:
        """Every answer, pseudonymised (the operator's view)."""
        pseudo = self.pseudonymiser()
        query = (
            select(AnswerRow, Run)
            .join(Run, Run.id == AnswerRow.run_id)
            .order_by(AnswerRow.person_id, Run.id, AnswerRow.created_at, AnswerRow.id)
        )
        rows = self.session.execute(query).all()
        groups = self._group_names({a.person_id for a, _ in rows})
        return [
            ExportRow(
                person=pseudo(answer.person_id),
                organisations=groups.get(answer.person_id, ("", ""))[0],
                groups=groups.get(answer.person_id, ("", ""))[1],
                dialogue_id=answer.dialogue_id,
                run_id=run.id,
                run_status=run.status,
                state=answer.state,
                key=answer.key,
                kind=answer.kind,
                answer=_as_text(_value(answer, self.cipher)),
                answered_at=answer.updated_at,
            )
            for answer, run in rows
        ]

    def _group_names(self, person_ids: set[int]) -> dict[int, tuple[str, str]]:
        if not person_ids:
            return {}
        query = (
            select(Membership.person_id, Organisation.name, Group.name)
            .join(Group, Group.id == Membership.group_id)
            .join(Organisation, Organisation.id == Group.organisation_id)
            .where(Membership.person_id.in_(person_ids))
            .order_by(Organisation.name, Group.name)
        )
        found: dict[int, tuple[list[str], list[str]]] = {}
        for person_id, org, group in self.session.execute(query).all():
            orgs, groups = found.setdefault(person_id, ([], []))
            if org not in orgs:
                orgs.append(org)
            groups.append(f"{org}/{group}")
        return {pid: ("; ".join(o), "; ".join(g)) for pid, (o, g) in found.items()}


class Pseudonymiser:
    """Maps a person id to a short stable pseudonym with an installation secret."""

    def __init__(self, salt: bytes) -> None:
        self.salt = salt

    def __call__(self, person_id: int) -> str:
        digest = hmac.new(self.salt, str(person_id).encode(), hashlib.sha256).hexdigest()
        return "P-" + digest[:10]


def _copy_state(row: Run, state: RunState) -> None:
    row.version = state.version
    row.state = state.state
    row.history = list(state.history)
    row.pending = list(state.pending)
    if row.status != state.status and state.status == "finished":
        row.finished_at = utcnow()
    row.status = state.status
    row.step = state.step
    row.updated_at = utcnow()


def _value(row: AnswerRow, cipher: TextCipher) -> Any:
    """The answer as given: free text opened by the cipher, anything else as stored."""
    return direct.opened(row.kind, row.value, row.text, row.encrypted, cipher)


def _as_text(value: Any) -> str:
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    return "" if value is None else str(value)
