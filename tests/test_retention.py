"""Retention: answers older than the period go (with their feedback and the runs
they leave empty); everything newer stays whole; the daily job runs once a day."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from bot.bootstrap import App, build
from bot.clock import FakeClock
from bot.engine import Answer, RunState
from bot.services.retention import cutoff, due_for_purge, purge, purge_all
from bot.settings import Settings
from bot.store.models import AnswerRow, Feedback, Person, Run
from bot.store.repo import Repository

NOW = datetime(2027, 3, 31, 12, 0, tzinfo=UTC)


def test_cutoff_counts_calendar_months():
    assert cutoff(NOW, 12) == datetime(2026, 3, 31, 12, 0, tzinfo=UTC)
    assert cutoff(NOW, 1) == datetime(2027, 2, 28, 12, 0, tzinfo=UTC)  # no 31 February
    assert cutoff(datetime(2028, 3, 31, tzinfo=UTC), 1) == datetime(2028, 2, 29, tzinfo=UTC)
    assert cutoff(datetime(2027, 1, 15, tzinfo=UTC), 3) == datetime(2026, 10, 15, tzinfo=UTC)
    assert cutoff(NOW, 120) == datetime(2017, 3, 31, 12, 0, tzinfo=UTC)
    with pytest.raises(ValueError, match="at least one month"):
        cutoff(NOW, 0)
    with pytest.raises(ValueError, match="naive"):
        cutoff(datetime(2027, 3, 31), 12)


def test_due_once_a_day():
    assert due_for_purge(None, NOW)
    assert not due_for_purge(NOW - timedelta(hours=23, minutes=59), NOW)
    assert due_for_purge(NOW - timedelta(hours=24), NOW)
    assert due_for_purge(NOW - timedelta(days=3), NOW)


def test_the_default_period_is_twelve_months():
    assert Settings(_env_file=None).retention_months == 12  # type: ignore[call-arg]


async def person(app: App, name: str) -> int:
    def work(session: Any) -> int:
        return (Repository(session).ensure_person("telegram", name, name, "nl")).id

    return await app.db.write(work)


async def add_run(
    app: App,
    person_id: int,
    answers: dict[str, datetime],
    status: str = "finished",
    ended: datetime | None = None,
    feedback: int = 0,
) -> int:
    """A drijfveren run whose answers were last changed at the given moments, each
    free-text answer with `feedback` feedback messages; the run's id."""
    version = app.engine.dialogue("drijfveren").version

    def work(session: Any) -> int:
        repo = Repository(session, app.cipher)
        run = repo.create_run(
            person_id,
            RunState("drijfveren", version, "slot", status=status),  # type: ignore[arg-type]
        )
        for key, at in answers.items():
            repo.put_answer(run, Answer(key, key, "text", f"antwoord {key}"))
            session.execute(
                update(AnswerRow)
                .where(AnswerRow.run_id == run.id, AnswerRow.key == key)
                .values(created_at=at, updated_at=at)
            )
            answer = (
                session.execute(
                    select(AnswerRow.id).where(AnswerRow.run_id == run.id, AnswerRow.key == key)
                )
            ).scalar_one()
            for _ in range(feedback):
                session.add(Feedback(answer_id=answer, text="goed zo", created_at=at))
        when = ended or max(answers.values(), default=NOW)
        run.started_at = run.updated_at = when
        run.finished_at = when if status == "finished" else None
        return run.id

    return await app.db.write(work)


async def state(app: App) -> tuple[dict[int, list[str]], int]:
    """Runs left with their answer keys, and the number of feedback rows."""

    def work(session: Any) -> tuple[dict[int, list[str]], int]:
        runs = {rid: [] for rid in session.execute(select(Run.id)).scalars()}
        rows = session.execute(select(AnswerRow.run_id, AnswerRow.key).order_by("key"))
        for rid, key in rows.all():
            runs[rid].append(key)
        count = len(session.execute(select(Feedback.id)).all())
        return runs, count

    return await app.db.read(work)


async def test_purge_deletes_old_answers_and_what_they_leave_behind(app):
    clock = FakeClock(NOW)
    old, edge, recent = NOW - timedelta(days=400), cutoff(NOW, 12), NOW - timedelta(days=30)
    sam, kim = await person(app, "sam"), await person(app, "kim")
    gone = await add_run(app, sam, {"motivatie": old, "grens": old}, feedback=2)
    mixed = await add_run(app, sam, {"motivatie": old, "grens": recent}, feedback=1)
    kept = await add_run(app, kim, {"motivatie": recent}, feedback=1)
    on_edge = await add_run(app, kim, {"motivatie": edge})  # exactly 12 months: kept
    stale_open = await add_run(app, kim, {"motivatie": old}, status="paused")
    empty_old = await add_run(app, kim, {}, status="stopped", ended=old)
    empty_new = await add_run(app, kim, {}, status="stopped", ended=recent)
    open_new = await add_run(app, kim, {}, status="active", ended=recent)

    done = await purge_all(app.db, clock, 12, batch=2)  # several batches
    assert (done.answers, done.feedback, done.runs) == (4, 5, 3)
    runs, feedback = await state(app)
    assert runs == {
        mixed: ["grens"],
        kept: ["motivatie"],
        on_edge: ["motivatie"],
        empty_new: [],
        open_new: [],
    }
    assert {gone, stale_open, empty_old}.isdisjoint(runs)
    assert feedback == 1 + 1
    assert await purge(app.db, clock, 12) == 0  # nothing left to do: idempotent

    # People are not touched: only their old answers go.
    def people(session: Any) -> int:
        return len(session.execute(select(Person.id)).all())

    assert await app.db.read(people) == 2

    clock.advance(timedelta(days=365))  # a year on, everything has aged out
    assert await purge(app.db, clock, 12) == 3
    assert (await state(app))[0] == {}


async def test_a_shorter_period(app):
    sam = await person(app, "sam")
    await add_run(app, sam, {"motivatie": NOW - timedelta(days=45)})
    clock = FakeClock(NOW)
    assert await purge(app.db, clock, 2) == 0
    assert await purge(app.db, clock, 1) == 1


def test_purge_command(cli, settings, shared_engine, monkeypatch):
    now = datetime.now(UTC)

    async def prepare() -> None:
        app = await build(settings, migrate=False, engine=shared_engine)
        try:
            sam = await person(app, "sam")
            await add_run(app, sam, {"motivatie": now - timedelta(days=400)}, feedback=1)
            await add_run(app, sam, {"motivatie": now - timedelta(days=100)})
        finally:
            await app.close()

    asyncio.run(prepare())

    monkeypatch.setenv("STRAATWIJS_RETENTION_MONTHS", "24")
    code, out, _ = cli("admin", "purge")
    assert code == 0
    assert "deleted 0 answer(s), 0 feedback message(s) and 0 run(s) older than 24 month(s)" in out

    monkeypatch.delenv("STRAATWIJS_RETENTION_MONTHS")  # the default: 12 months
    code, out, _ = cli("admin", "purge")
    assert code == 0
    assert "deleted 1 answer(s), 1 feedback message(s) and 1 run(s) older than 12 month(s)" in out

    code, out, _ = cli("admin", "purge", "--months", "3")
    assert "deleted 1 answer(s)" in out
    code, _, err = cli("admin", "purge", "--months", "0")
    assert code == 2
    assert "at least 1" in err
