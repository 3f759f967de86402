"""The coach: one input, one transaction, and nothing lost across restarts."""

from __future__ import annotations

import pytest

from bot.bootstrap import build
from bot.engine import Nav, Say
from bot.store.repo import Repository

# A full path through drijfveren that takes the low-confidence branch.
SCRIPT = [
    "1",
    "Een gesprek met een jongen op het plein gaf me energie",
    "2,3",
    "2",
    "ja",
    "Ik ga nooit alleen een woning in",
]
EXPECTED = {
    "motivatie": "Een gesprek met een jongen op het plein gaf me energie",
    "kernwaarden": ["verbinding", "zorg"],
    "zekerheid": 2,
    "steun_gesproken": "yes",
    "grens": "Ik ga nooit alleen een woning in",
}


async def stored_answers(app, who) -> dict:
    def work(session):
        repo = Repository(session)
        runs = repo.runs_of(who.id)
        assert len(runs) == 1, "a restart must not start a second run"
        return runs[0].status, repo.answers_of(runs[0].id)

    return await app.db.read(work)


async def test_walk_stores_every_answer(app):
    who = await app.coach.identify("console", "sam", "Sam", "nl")
    turn = await app.coach.start(who, "drijfveren")
    for line in SCRIPT:
        turn = await app.coach.handle(who, Say(line))
        assert turn.outcome.status in ("advanced", "finished"), turn.outcome
    assert await stored_answers(app, who) == ("finished", EXPECTED)


@pytest.mark.parametrize("cut", range(len(SCRIPT) + 1))
async def test_restart_between_any_two_answers_loses_nothing(settings, cut):
    first = await build(settings, migrate=False)
    who = await first.coach.identify("console", "sam", "Sam", "nl")
    await first.coach.start(who, "drijfveren")
    for line in SCRIPT[:cut]:
        await first.coach.handle(who, Say(line))
    await first.close()

    second = await build(settings, migrate=False)  # a fresh process on the same database
    try:
        if cut < len(SCRIPT):
            turn = await second.coach.start(who, "drijfveren")  # resumes the open run
            assert turn.outcome.status == "resumed"
            assert turn.outcome.run.state == _state_after(cut)
        for line in SCRIPT[cut:]:
            turn = await second.coach.handle(who, Say(line))
            assert turn.outcome.status in ("advanced", "finished")
        assert await stored_answers(second, who) == ("finished", EXPECTED)
    finally:
        await second.close()


def _state_after(cut: int) -> str:
    return ["intro", "waarom", "kern", "zeker", "steun", "grens"][cut]


async def test_rejected_input_changes_nothing(app):
    who = await app.coach.identify("console", "sam", "Sam", "nl")
    await app.coach.start(who, "drijfveren")
    await app.coach.handle(who, Say("1"))
    turn = await app.coach.handle(who, Say("kort"))
    assert turn.outcome.status == "rejected"

    def state(session):
        repo = Repository(session)
        row = repo.open_run(who.id)
        return row.state, row.step, repo.answers_of(row.id)

    assert await app.db.read(state) == ("waarom", 1, {})


async def test_back_then_another_branch_forgets_the_abandoned_answer(app):
    who = await app.coach.identify("console", "sam", "Sam", "nl")
    await app.coach.start(who, "drijfveren")
    for line in SCRIPT[:5]:  # up to steun (answered yes) -> now at grens
        await app.coach.handle(who, Say(line))
    await app.coach.handle(who, Nav("back"))  # back to steun
    await app.coach.handle(who, Nav("back"))  # back to zeker
    turn = await app.coach.handle(who, Say("5"))  # high confidence: skips steun
    assert turn.outcome.run.state == "grens"

    def answers(session):
        repo = Repository(session)
        return repo.answers_of((repo.open_run(who.id)).id)

    stored = await app.db.read(answers)
    assert stored["zekerheid"] == 5
    assert "steun_gesproken" not in stored


async def test_pause_and_resume(app):
    who = await app.coach.identify("console", "sam", "Sam", "nl")
    turn = await app.coach.start(who, "drijfveren")
    await app.coach.handle(who, Say("1"))
    paused = await app.coach.handle(who, Nav("pause"))
    assert paused.outcome.status == "paused"
    # typed text while nothing is active reaches no run
    assert (await app.coach.handle(who, Say("hallo daar, iemand?"))).outcome is None
    resumed = await app.coach.resume(who, turn.run_id)
    assert resumed.outcome.status == "resumed"
    assert resumed.outcome.run.state == "waarom"
    exercises = {e.dialogue_id: e.status for e in await app.coach.exercises(who)}
    assert exercises["drijfveren"] == "in_progress"


async def test_buttons_of_someone_else_s_run_do_nothing(app):
    sam = await app.coach.identify("telegram", "1", "Sam", "nl")
    kim = await app.coach.identify("telegram", "2", "Kim", "nl")
    turn = await app.coach.start(sam, "drijfveren")
    stolen = await app.coach.handle(kim, Say("1"), run_id=turn.run_id)
    assert stolen.outcome is None
    assert (await app.coach.resume(kim, turn.run_id)).outcome is None
