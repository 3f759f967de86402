"""In-process memory after handling 10x more people: does anything grow per person?

Everything the bot builds is traced with `tracemalloc` from before it is built:
the dialogue catalogue and compiled engine, the database engine and pool, the
Coach. Then people (already in the database, each with drijfveren open at its
first question) answer it through `Coach.handle`, as a button press would:
load the run, let the engine decide, commit state and answer on a SQLite file.
Traced memory (after a garbage collection) is read when `small` people are
done and again when `large` are: the ratio shows
whether the process keeps anything per person (the database should, the
process should not).
"""

from __future__ import annotations

import gc
import tracemalloc
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert

from bench.common import bench_settings, temp_database
from bot.engine import Pick


async def _seed_people(app: Any, count: int) -> list[tuple[Any, int]]:
    """`count` consented people with drijfveren open at its start, inserted in bulk.

    Returns (who, run id) pairs, as a channel would have them from a button.
    """
    from sqlalchemy import select

    from bot.services.coaching import who_of
    from bot.store.models import Person, Run

    now = datetime.now(UTC)
    version = app.engine.dialogue("drijfveren").version

    def work(session: Any) -> list[Any]:
        rows = [
            {
                "channel": "telegram",
                "external_id": str(2_000_000 + i),
                "first_name": f"P{i}",
                "locale": "nl",
                "consented_at": now,
                "active": True,
                "reminders": True,
                "created_at": now,
            }
            for i in range(count)
        ]
        for start in range(0, len(rows), 5000):
            session.execute(insert(Person), rows[start : start + 5000])
        people = (session.execute(select(Person).order_by(Person.id))).scalars().all()
        runs = [
            {
                "person_id": p.id,
                "dialogue_id": "drijfveren",
                "version": version,
                "state": "intro",
                "history": [],
                "pending": [],
                "status": "active",
                "step": 0,
                "started_at": now,
                "updated_at": now,
            }
            for p in people
        ]
        for start in range(0, len(runs), 5000):
            session.execute(insert(Run), runs[start : start + 5000])
        found = session.execute(select(Run.person_id, Run.id))
        run_ids = dict(found.all())
        return [(who_of(p), run_ids[p.id]) for p in people]

    return await app.db.write(work)


async def _person_does(app: Any, person: tuple[Any, int]) -> None:
    who, run_id = person
    turn = await app.coach.handle(who, Pick("start"), run_id=run_id, step=0)
    assert turn.outcome is not None
    assert turn.outcome.status == "advanced", turn.outcome.status


def _traced() -> int:
    gc.collect()
    return tracemalloc.get_traced_memory()[0]


async def compare(small: int, large: int, fresh_engine: bool = True) -> dict[str, Any]:
    """Traced bytes after `small` people and after `large` people; and their ratio.

    `fresh_engine=False` reuses the process's compiled engine (untraced, quicker; the
    smoke test's choice), which leaves the engine out of both numbers.
    """
    from bot.bootstrap import build
    from bot.dialogues.catalog import load_valid_catalog
    from bot.engine import Engine
    from bot.settings import REPO_ROOT

    with temp_database() as url:
        settings = bench_settings(url)
        # The people are rows in the database before anything is traced: seeding is setup.
        seeder = await build(settings, migrate=False, engine=_engine_untraced())
        people = await _seed_people(seeder, large)
        await seeder.close()
        del seeder
        gc.collect()
        was_tracing = tracemalloc.is_tracing()
        tracemalloc.start()
        try:
            if fresh_engine:
                catalog = load_valid_catalog(
                    [REPO_ROOT / "dialogues"], REPO_ROOT / "content", root=REPO_ROOT
                )
                engine = Engine(catalog)
            else:
                engine = _engine_untraced()
            app = await build(settings, migrate=False, engine=engine)
            try:
                for who in people[:small]:
                    await _person_does(app, who)
                at_small = _traced()
                for who in people[small:large]:
                    await _person_does(app, who)
                at_large = _traced()
                moved = await _count_runs(app)
            finally:
                await app.close()
        finally:
            if not was_tracing:
                tracemalloc.stop()
    return {
        "small_bytes": at_small,
        "large_bytes": at_large,
        "ratio": at_large / at_small,
        "per_person": (at_large - at_small) / (large - small),
        "valid": moved == large,
    }


def _engine_untraced() -> Any:
    from bench.common import shared_engine

    return shared_engine()


async def _count_runs(app: Any) -> int:
    """Runs that moved past the first question (every person's input was committed)."""
    from sqlalchemy import func, select

    from bot.store.models import Run

    def work(session: Any) -> int:
        query = select(func.count()).select_from(Run).where(Run.state == "waarom")
        return int(session.scalar(query) or 0)

    return await app.db.read(work)
