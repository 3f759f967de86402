"""The application service every channel uses: one input, one transaction.

It loads a person's run, lets the engine decide, and writes the new state and
the answer in the same transaction. The outcome (with the replies) is handed
back only after the commit, so anything the person sees acknowledged is stored.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Literal

from sqlalchemy.orm import Session

from bot.engine import Context, Engine, Input, Outcome
from bot.privacy import PLAIN, TextCipher
from bot.store import direct
from bot.store.contacts import local_contacts
from bot.store.db import Database
from bot.store.direct import PersonRow, RunRow
from bot.store.driver import Direct
from bot.store.models import Person, Run
from bot.store.repo import Repository

ExerciseStatus = Literal["new", "in_progress", "done"]


@dataclass(frozen=True)
class Who:
    """A person as the channels need them: id, locale and name for `{first_name}`."""

    id: int
    locale: str
    first_name: str
    consented: bool
    active: bool

    @property
    def context(self) -> Context:
        return Context(self.locale, self.first_name)


@dataclass(frozen=True)
class Turn:
    """The result of one call: the run it concerned (if any) and the engine outcome.

    `duplicate` is set when the update was handled before and nothing was done.
    """

    run_id: int | None
    outcome: Outcome | None
    duplicate: bool = False


DUPLICATE = Turn(None, None, duplicate=True)


@dataclass(frozen=True)
class Exercise:
    """One line of the exercise menu."""

    dialogue_id: str
    title: str
    kind: str
    part: str
    minutes: int
    status: ExerciseStatus
    run_id: int | None


class Coach:
    """Starts, resumes and advances runs for any channel."""

    def __init__(self, db: Database, engine: Engine, cipher: TextCipher = PLAIN) -> None:
        self.db = db
        self.engine = engine
        # Free-text answers are sealed on write and opened for the engine's conditions.
        self.cipher = cipher

    async def identify(
        self, channel: str, external_id: str, first_name: str | None, locale: str
    ) -> Who:
        """The person behind a channel identity, created on first contact."""

        def work(session: Session) -> Who:
            person = Repository(session).ensure_person(channel, external_id, first_name, locale)
            return who_of(person)

        return await self.db.write(work)

    async def start(
        self, who: Who, dialogue_id: str, once: int | None = None, push_id: int | None = None
    ) -> Turn:
        """Open a dialogue: resume the person's open run of it, else start a new one.

        Any other active run is paused, so typed answers go to this one. A run
        opened from a trainer's push is linked to it, for the push's progress.
        """
        self.engine.dialogue(dialogue_id)  # unknown ids fail before any write

        def work(tx: Direct, person: PersonRow) -> Turn:
            existing = direct.open_run(tx, person.id, dialogue_id)
            ctx = self._context(tx, person, dialogue_id, existing.push_id if existing else push_id)
            direct.pause_others(tx, person.id, keep=existing.id if existing else None)
            if existing is not None:
                outcome = self.engine.resume(direct.run_state(tx, existing, self.cipher), ctx)
                direct.save_run(tx, existing, outcome.run, push_id=push_id)
                return Turn(existing.id, outcome)
            outcome = self.engine.start(dialogue_id, ctx)
            return Turn(direct.create_run(tx, person.id, outcome.run, push_id), outcome)

        return await self._turn(who, once, work)

    async def resume(self, who: Who, run_id: int, once: int | None = None) -> Turn:
        """Show a run's current step again (after a pause, a restart or a menu choice)."""

        def work(tx: Direct, person: PersonRow) -> Turn:
            row = direct.run_by_id(tx, run_id)
            if row is None or row.person_id != person.id or row.status not in ("active", "paused"):
                return Turn(None, None)
            direct.pause_others(tx, person.id, keep=row.id)
            state = direct.run_state(tx, row, self.cipher)
            outcome = self.engine.resume(
                state, self._context(tx, person, row.dialogue_id, row.push_id)
            )
            direct.save_run(tx, row, outcome.run)
            return Turn(row.id, outcome)

        return await self._turn(who, once, work)

    async def handle(
        self,
        who: Who,
        given: Input,
        run_id: int | None = None,
        step: int | None = None,
        once: int | None = None,
    ) -> Turn:
        """Apply one input to a run (by id from a button, else the active run).

        `once` is the channel's update id: recorded in the same transaction, so a
        redelivered update has no second effect.
        """

        def work(tx: Direct, person: PersonRow) -> Turn:
            row = _target(tx, person.id, run_id)
            if row is None:
                return Turn(None, None)
            state = direct.run_state(tx, row, self.cipher)
            ctx = self._context(tx, person, row.dialogue_id, row.push_id)
            outcome = self.engine.handle(state, given, ctx, step)
            if outcome.changed:
                if outcome.answer is not None:
                    direct.put_answer(tx, row, outcome.answer, self.cipher)
                direct.forget_answers(tx, row.id, outcome.forget)
                direct.save_run(tx, row, outcome.run)
            return Turn(row.id, outcome)

        return await self._turn(who, once, work)

    def _context(
        self, tx: Direct, person: PersonRow, dialogue_id: str, push_id: int | None
    ) -> Context:
        """Who the engine talks to; with their organisation's local contacts only when
        the dialogue names one (one more statement for those dialogues, none for others)."""
        ctx = who_of(person).context
        if not self.engine.uses_contacts(dialogue_id):
            return ctx
        return replace(ctx, contacts=local_contacts(tx, person.id, push_id))

    async def _turn(
        self, who: Who, once: int | None, then: Callable[[Direct, PersonRow], Turn]
    ) -> Turn:
        """One input in one write transaction: the person (row-locked on PostgreSQL),
        the update id recorded once, then `then`. Every answer passes here, so it runs
        on driver statements (bot/store/direct.py)."""

        def work(tx: Direct) -> Turn:
            person = direct.person(tx, who.id, lock=True)
            if person is None:  # erased since the update came in
                return Turn(None, None)
            if once is not None and not direct.mark_handled(tx, once):
                return DUPLICATE
            return then(tx, person)

        return await self.db.write_direct(work)

    async def exercises(self, who: Who) -> list[Exercise]:
        """Every dialogue with the person's status in it, for menus."""

        def work(session: Session) -> list[Exercise]:
            runs = Repository(session).runs_of(who.id)
            return [self._exercise(did, runs, who) for did in self.engine.dialogues]

        return await self.db.read(work)

    def _exercise(self, dialogue_id: str, runs: Sequence[Run], who: Who) -> Exercise:
        spec = self.engine.dialogue(dialogue_id).spec
        mine = [r for r in runs if r.dialogue_id == dialogue_id]
        open_runs = [r for r in mine if r.status in ("active", "paused")]
        status: ExerciseStatus = "new"
        if any(r.status == "finished" for r in mine):
            status = "done"
        if open_runs:
            status = "in_progress"
        return Exercise(
            dialogue_id,
            self.engine.catalog.text(who.locale, spec.title),
            spec.kind.value,
            spec.part.value,
            spec.minutes,
            status,
            open_runs[-1].id if open_runs else None,
        )


def _target(tx: Direct, person_id: int, run_id: int | None) -> RunRow | None:
    """The run an input is for: the one its button names (if it is theirs), else
    their active run (a paused run takes no typed answers until resumed)."""
    if run_id is not None:
        row = direct.run_by_id(tx, run_id)
        return row if row is not None and row.person_id == person_id else None
    row = direct.open_run(tx, person_id)
    return row if row is not None and row.status == "active" else None


def who_of(person: Person | PersonRow) -> Who:
    """The channel-facing view of a person row."""
    return Who(
        person.id,
        person.locale,
        person.first_name or "",
        person.consented_at is not None,
        person.active,
    )
