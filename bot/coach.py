"""The application service every channel uses: one input, one transaction.

It loads a person's run, lets the engine decide, and writes the new state and
the answer in the same transaction. The outcome (with the replies) is handed
back only after the commit, so anything the person sees acknowledged is stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from bot.engine import Context, Engine, Input, Outcome
from bot.store.crypto import PLAIN, TextCipher
from bot.store.db import Database
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

        async def work(session: AsyncSession) -> Who:
            person = await Repository(session).ensure_person(
                channel, external_id, first_name, locale
            )
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

        async def work(session: AsyncSession) -> Turn:
            repo = Repository(session, self.cipher)
            person = await repo.person(who.id, lock=True)
            if once is not None and not await repo.mark_handled(once):
                return DUPLICATE
            ctx = who_of(person).context
            existing = await repo.open_run(person.id, dialogue_id)
            await self._pause_others(repo, person.id, keep=existing.id if existing else None)
            if existing is not None:
                outcome = self.engine.resume(await repo.run_state(existing), ctx)
                await repo.save_run(existing, outcome.run)
                existing.push_id = existing.push_id or push_id
                return Turn(existing.id, outcome)
            outcome = self.engine.start(dialogue_id, ctx)
            row = await repo.create_run(person.id, outcome.run)
            row.push_id = push_id
            return Turn(row.id, outcome)

        return await self.db.write(work)

    async def resume(self, who: Who, run_id: int, once: int | None = None) -> Turn:
        """Show a run's current step again (after a pause, a restart or a menu choice)."""

        async def work(session: AsyncSession) -> Turn:
            repo = Repository(session, self.cipher)
            person = await repo.person(who.id, lock=True)
            if once is not None and not await repo.mark_handled(once):
                return DUPLICATE
            row = await repo.run(run_id)
            if row is None or row.person_id != person.id or row.status not in ("active", "paused"):
                return Turn(None, None)
            await self._pause_others(repo, person.id, keep=row.id)
            outcome = self.engine.resume(await repo.run_state(row), who_of(person).context)
            await repo.save_run(row, outcome.run)
            return Turn(row.id, outcome)

        return await self.db.write(work)

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

        async def work(session: AsyncSession) -> Turn:
            repo = Repository(session, self.cipher)
            person = await repo.person(who.id, lock=True)
            if once is not None and not await repo.mark_handled(once):
                return DUPLICATE
            row = await self._target(repo, person.id, run_id)
            if row is None:
                return Turn(None, None)
            state = await repo.run_state(row)
            outcome = self.engine.handle(state, given, who_of(person).context, step)
            if outcome.changed:
                if outcome.answer is not None:
                    await repo.put_answer(row, outcome.answer)
                await repo.forget_answers(row.id, outcome.forget)
                await repo.save_run(row, outcome.run)
            return Turn(row.id, outcome)

        return await self.db.write(work)

    async def exercises(self, who: Who) -> list[Exercise]:
        """Every dialogue with the person's status in it, for menus."""

        async def work(session: AsyncSession) -> list[Exercise]:
            runs = await Repository(session).runs_of(who.id)
            return [self._exercise(did, runs, who) for did in self.engine.dialogues]

        return await self.db.read(work)

    def _exercise(self, dialogue_id: str, runs: list[Run] | tuple[Run, ...], who: Who) -> Exercise:
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

    async def _target(self, repo: Repository, person_id: int, run_id: int | None) -> Run | None:
        if run_id is not None:
            row = await repo.run(run_id)
            return row if row is not None and row.person_id == person_id else None
        row = await repo.open_run(person_id)
        return row if row is not None and row.status == "active" else None

    async def _pause_others(self, repo: Repository, person_id: int, keep: int | None) -> None:
        for row in await repo.runs_of(person_id):
            if row.id != keep and row.status == "active":
                row.status = "paused"


def who_of(person: Person) -> Who:
    """The channel-facing view of a person row."""
    return Who(
        person.id,
        person.locale,
        person.first_name or "",
        person.consented_at is not None,
        person.active,
    )
