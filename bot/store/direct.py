"""The statements every update runs, compiled once and executed on the driver's cursor.

Why: a bot update reads who wrote, records the update id, loads the run and its
answers, stores the answer and moves the run on. Through SQLAlchemy's execution
machinery each of those statements cost about 0.3-0.5 ms of Python here (events,
execution contexts, result objects), against 15-30 µs on the driver itself: the
database work of one update cost more than all its Telegram calls together
(bench/RESULTS.md). So these few statements are still written with SQLAlchemy
from the models, compiled once per dialect, and their values still go through
the column types' own converters (JSON, UTC datetimes); only the per-execution
machinery is skipped. Everything else uses the ORM (bot/store/repo.py).

`Direct` (bot/store/driver.py) runs them on a driver cursor inside a transaction
someone else opened and will commit: `Database.read_direct`/`write_direct`, or a
Repository session (`Direct.of(session)`), so ORM code and these statements share
one transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Executable,
    bindparam,
    delete,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as postgres_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from bot.engine import Answer, RunState
from bot.privacy import TextCipher
from bot.store.driver import Direct
from bot.store.models import AnswerRow, ChatPrompt, Draft, HandledUpdate, Person, Run, utcnow

# -- what an update reads and writes --------------------------------------------------------


@dataclass(frozen=True)
class PersonRow:
    """The fields of a person a channel needs (see bot.services.coaching.who_of)."""

    id: int
    locale: str
    first_name: str | None
    consented_at: datetime | None
    active: bool


@dataclass(frozen=True)
class RunRow:
    """A stored run as plain data."""

    id: int
    person_id: int
    dialogue_id: str
    version: str
    state: str
    history: tuple[str, ...]
    pending: tuple[str, ...]
    status: str
    step: int
    push_id: int | None


@dataclass(frozen=True)
class Visitor:
    person: PersonRow
    prompt: int | None
    drafting: bool


def visit(tx: Direct, channel: str, external_id: str) -> Visitor | None:
    """A person by channel identity, with their prompt message and whether a draft waits."""
    row = tx.first(_visit, channel=channel, external_id=external_id)
    if row is None:
        return None
    return Visitor(PersonRow(*row[:5]), row[5], row[6] is not None)


def person(tx: Direct, person_id: int, lock: bool) -> PersonRow | None:
    """With `lock`, PostgreSQL holds the row until commit: one person's updates are
    serialised across workers (SQLite's BEGIN IMMEDIATE serialises all writes)."""
    row = tx.first(_person_for_update if lock and tx.postgres else _person, person_id=person_id)
    return PersonRow(*row) if row else None


def mark_handled(tx: Direct, update_id: int) -> bool:
    """Record an update id; False when it was handled before (one statement that cannot
    fail on a duplicate: a second worker waits for the first's commit, then skips)."""
    return tx.run(_mark_handled, update_id=update_id, now=utcnow()) == 1


def open_run(tx: Direct, person_id: int, dialogue_id: str | None = None) -> RunRow | None:
    """The person's most recent active or paused run (of one dialogue, if given)."""
    if dialogue_id is None:
        row = tx.first(_open_run, person_id=person_id)
    else:
        row = tx.first(_open_run_of, person_id=person_id, dialogue_id=dialogue_id)
    return _run(row) if row else None


def create_run(tx: Direct, person_id: int, state: RunState, push_id: int | None) -> int:
    """A new run; its id."""
    now = utcnow()
    created = tx.first(
        _create_run,
        person_id=person_id,
        dialogue_id=state.dialogue_id,
        **_state_values(state),
        now=now,
        finished=now if state.status == "finished" else None,
        push_id=push_id,
    )
    if created is None:
        raise RuntimeError("INSERT ... RETURNING gave no row")
    return int(created[0])


def pause_others(tx: Direct, person_id: int, keep: int | None) -> None:
    """Pause every active run but `keep`, so typed answers go to that one."""
    tx.run(_pause_others, person_id=person_id, keep=-1 if keep is None else keep)


def run_by_id(tx: Direct, run_id: int) -> RunRow | None:
    row = tx.first(_run_by_id, run_id=run_id)
    return _run(row) if row else None


def answers_of(tx: Direct, run_id: int, cipher: TextCipher) -> dict[str, Any]:
    return {
        key: opened(kind, value, text, encrypted, cipher)
        for key, kind, value, text, encrypted in tx.rows(_answers_of, run_id=run_id)
    }


def run_state(tx: Direct, run: RunRow | Run, cipher: TextCipher) -> RunState:
    """The engine's view of a stored run (plain row or ORM object), with its answers."""
    return RunState(
        dialogue_id=run.dialogue_id,
        version=run.version,
        state=run.state,
        answers=answers_of(tx, run.id, cipher),
        history=tuple(run.history or ()),
        pending=tuple(run.pending or ()),
        status=run.status,  # type: ignore[arg-type]
        step=run.step,
    )


def put_answer(tx: Direct, run: RunRow | Run, answer: Answer, cipher: TextCipher) -> None:
    """Store or replace the answer under its key (going back and answering again),
    as one upsert on (run, key)."""
    text, encrypted = cipher.seal(answer.value) if answer.kind == "text" else (None, False)
    tx.run(
        _put_answer,
        run_id=run.id,
        person_id=run.person_id,
        dialogue_id=run.dialogue_id,
        key=answer.key,
        state=answer.state,
        kind=answer.kind,
        text=text,
        encrypted=encrypted,
        value=None if answer.kind == "text" else answer.value,
        now=utcnow(),
    )


def forget_answers(tx: Direct, run_id: int, keys: Iterable[str]) -> None:
    for key in keys:
        tx.run(_forget_answer, run_id=run_id, key=key)


def save_run(tx: Direct, run: RunRow, state: RunState, push_id: int | None = None) -> None:
    """Store the engine's new state; `push_id` links the run to a push if none was yet."""
    now = utcnow()
    finished = now if state.status == "finished" and run.status != "finished" else None
    tx.run(
        _save_run,
        run_id=run.id,
        **_state_values(state),
        now=now,
        finished=finished,
        push_id=push_id,
    )


def set_prompt(tx: Direct, person_id: int, message_id: int | None) -> None:
    """Set or clear the prompt in one statement. A person erased meanwhile gets no
    row (the insert selects from people), so nothing points at nobody."""
    if message_id is None:
        tx.run(_clear_prompt, person_id=person_id)
    else:
        tx.run(_set_prompt, person_id=person_id, message_id=message_id, now=utcnow())


def opened(kind: str, value: Any, text: str | None, encrypted: bool, cipher: TextCipher) -> Any:
    """The answer as given: free text opened by the cipher, anything else as stored."""
    if kind == "text":
        return None if text is None else cipher.open(text, encrypted)
    return value


def _state_values(state: RunState) -> dict[str, Any]:
    """The engine's state as the bind values of `_run_values()`."""
    return {
        "version": state.version,
        "state": state.state,
        "history": list(state.history),
        "pending": list(state.pending),
        "status": state.status,
        "step": state.step,
    }


def _run(row: tuple[Any, ...]) -> RunRow:
    fields = list(row)
    fields[5] = tuple(fields[5] or ())
    fields[6] = tuple(fields[6] or ())
    return RunRow(*fields)


# -- the statements -----------------------------------------------------------------------
# Each builder makes one statement for a dialect name; bind parameters are named.

_PERSON = (Person.id, Person.locale, Person.first_name, Person.consented_at, Person.active)
_RUN = (
    Run.id,
    Run.person_id,
    Run.dialogue_id,
    Run.version,
    Run.state,
    Run.history,
    Run.pending,
    Run.status,
    Run.step,
    Run.push_id,
)


def _typed(name: str, column: Any) -> Any:
    """A bind parameter converted like `column` (JSON, UTC datetimes...)."""
    return bindparam(name, type_=column.type)


def _insert(dialect: str) -> Any:
    return postgres_insert if dialect == "postgresql" else sqlite_insert


def _visit(_: str) -> Executable:
    return (
        select(*_PERSON, ChatPrompt.message_id, Draft.person_id)
        .outerjoin(ChatPrompt, ChatPrompt.person_id == Person.id)
        .outerjoin(Draft, Draft.person_id == Person.id)
        .where(
            Person.channel == bindparam("channel"),
            Person.external_id == bindparam("external_id"),
        )
    )


def _person(_: str) -> Executable:
    return select(*_PERSON).where(Person.id == bindparam("person_id"))


def _person_for_update(dialect: str) -> Executable:
    return select(*_PERSON).where(Person.id == bindparam("person_id")).with_for_update()


def _mark_handled(dialect: str) -> Executable:
    values = {
        "update_id": bindparam("update_id"),
        "handled_at": _typed("now", HandledUpdate.handled_at),
    }
    return _insert(dialect)(HandledUpdate).values(**values).on_conflict_do_nothing()


def _open_runs(*where: ColumnElement[bool]) -> Executable:
    is_open = or_(Run.status == "active", Run.status == "paused")
    return (
        select(*_RUN)
        .where(Run.person_id == bindparam("person_id"), is_open, *where)
        .order_by(Run.updated_at.desc(), Run.id.desc())
        .limit(1)
    )


def _open_run(_: str) -> Executable:
    return _open_runs()


def _open_run_of(_: str) -> Executable:
    return _open_runs(Run.dialogue_id == bindparam("dialogue_id"))


def _run_by_id(_: str) -> Executable:
    return select(*_RUN).where(Run.id == bindparam("run_id"))


def _run_values() -> dict[str, Any]:
    return {
        "version": bindparam("version"),
        "state": bindparam("state"),
        "history": _typed("history", Run.history),
        "pending": _typed("pending", Run.pending),
        "status": bindparam("status"),
        "step": bindparam("step"),
        "updated_at": _typed("now", Run.updated_at),
    }


def _create_run(_: str) -> Executable:
    values = {
        **_run_values(),
        "person_id": bindparam("person_id"),
        "dialogue_id": bindparam("dialogue_id"),
        "started_at": _typed("now", Run.started_at),
        "finished_at": _typed("finished", Run.finished_at),
        "push_id": _typed("push_id", Run.push_id),
    }
    return insert(Run).values(**values).returning(Run.id)


def _save_run(_: str) -> Executable:
    values = {
        **_run_values(),
        # Set once: when the run finishes, and by the first push that opened it.
        "finished_at": func.coalesce(Run.finished_at, _typed("finished", Run.finished_at)),
        "push_id": func.coalesce(Run.push_id, _typed("push_id", Run.push_id)),
    }
    return update(Run).where(Run.id == bindparam("run_id")).values(**values)


def _pause_others(_: str) -> Executable:
    others = (
        Run.person_id == bindparam("person_id"),
        Run.status == "active",
        Run.id != bindparam("keep"),
    )
    return update(Run).where(*others).values(status="paused")


def _answers_of(_: str) -> Executable:
    columns = (AnswerRow.key, AnswerRow.kind, AnswerRow.value, AnswerRow.text, AnswerRow.encrypted)
    return select(*columns).where(AnswerRow.run_id == bindparam("run_id"))


def _put_answer(dialect: str) -> Executable:
    changes = {
        "state": bindparam("state"),
        "kind": bindparam("kind"),
        "text": bindparam("text"),
        "encrypted": bindparam("encrypted"),
        "value": _typed("value", AnswerRow.value),
        "updated_at": _typed("now", AnswerRow.updated_at),
    }
    statement = _insert(dialect)(AnswerRow).values(
        run_id=bindparam("run_id"),
        person_id=bindparam("person_id"),
        dialogue_id=bindparam("dialogue_id"),
        key=bindparam("key"),
        created_at=_typed("now", AnswerRow.created_at),
        **changes,
    )
    excluded = statement.excluded
    return statement.on_conflict_do_update(
        index_elements=["run_id", "key"], set_={name: excluded[name] for name in changes}
    )


def _forget_answer(_: str) -> Executable:
    this = (AnswerRow.run_id == bindparam("run_id"), AnswerRow.key == bindparam("key"))
    return delete(AnswerRow).where(*this)


def _set_prompt(dialect: str) -> Executable:
    source = select(
        Person.id, _typed("message_id", ChatPrompt.message_id), _typed("now", ChatPrompt.updated_at)
    ).where(Person.id == bindparam("person_id"))
    statement = _insert(dialect)(ChatPrompt).from_select(
        ["person_id", "message_id", "updated_at"], source
    )
    excluded = statement.excluded
    return statement.on_conflict_do_update(
        index_elements=["person_id"],
        set_={"message_id": excluded.message_id, "updated_at": excluded.updated_at},
    )


def _clear_prompt(_: str) -> Executable:
    return delete(ChatPrompt).where(ChatPrompt.person_id == bindparam("person_id"))
