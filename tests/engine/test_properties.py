"""Whatever a person sends, in whatever order, the engine keeps a run sound."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.dialogues.checks import stored_keys
from bot.dialogues.compile import CompiledDialogue
from bot.engine import (
    Confirm,
    Context,
    Continue,
    Engine,
    Media,
    Nav,
    Outcome,
    Pick,
    RunState,
    Say,
    Toggle,
)
from tests.engine.helpers import shipped_engine

RESUME = "resume"


def words(engine: Engine, compiled: CompiledDialogue) -> list[str]:
    """Option ids, labels and numbers of the dialogue: inputs that often fit."""
    found = ["yes", "no", "continue", "ok", "ja", "nee", "1,2", "2 3", "1,1", "Klaar ✅"]
    found += [str(n) for n in range(-1, 12)]
    found += ["Dit is een eerlijk antwoord van voldoende lengte.", "x" * 5000]
    for state in compiled.spec.states.values():
        spec = state.ask and (state.ask.choice or state.ask.multi)
        if spec:
            found += list(spec.options)
            found += [engine.render.text(Context("nl"), key) for key in spec.options.values()]
    return found


def actions(vocabulary: list[str]) -> st.SearchStrategy[Any]:
    word = st.sampled_from(vocabulary)
    typed = st.one_of(word, st.text(max_size=40), st.integers(-5, 20).map(str))
    one = st.one_of(
        typed.map(Say),
        word.map(Pick),
        word.map(Toggle),
        st.just(Confirm()),
        st.just(Continue()),
        st.sampled_from(["back", "back", "pause", "stop"]).map(Nav),
        st.sampled_from(["sticker", "photo", "voice"]).map(Media),
        st.just(RESUME),
    )
    # Most inputs come from the latest message; some from an older or a newer one.
    offset = st.one_of(st.none(), st.just(0), st.integers(-3, 1))
    return st.tuples(one, offset)


def check(compiled: CompiledDialogue, before: RunState | None, outcome: Outcome) -> None:
    spec = compiled.spec
    run = outcome.run
    stored = set(stored_keys(spec))
    assert run.dialogue_id == spec.id
    assert run.version == compiled.version
    assert run.state in spec.states
    assert set(run.answers) <= stored
    assert (run.status == "finished") == spec.states[run.state].end
    assert all(name in spec.states and not spec.states[name].end for name in run.history)
    state = spec.states[run.state]
    options = state.ask.multi.options if state.ask and state.ask.multi else {}
    assert set(run.pending) <= set(options)
    assert outcome.replies
    assert all(reply.text.strip() for reply in outcome.replies)
    if outcome.answer is not None:
        assert outcome.answer.key in stored
        assert run.answers[outcome.answer.key] == outcome.answer.value
    if before is None:
        return
    if outcome.status in ("rejected", "stale"):
        assert run == before
        assert not outcome.changed
        assert outcome.answer is None
        assert outcome.forget == ()
    else:
        assert outcome.changed
        assert run.step > before.step
    assert not set(outcome.forget) & set(run.answers)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_random_inputs_keep_every_run_sound(data: st.DataObject) -> None:
    engine = shipped_engine()
    dialogue_id = data.draw(st.sampled_from(sorted(engine.dialogues)), label="dialogue")
    compiled = engine.dialogue(dialogue_id)
    ctx = Context(data.draw(st.sampled_from(["nl", "en"]), label="locale"), "Sam")
    steps = data.draw(st.lists(actions(words(engine, compiled)), max_size=40), label="inputs")

    outcome = engine.start(dialogue_id, ctx)
    check(compiled, None, outcome)
    for given_input, offset in steps:
        run = outcome.run
        if given_input == RESUME:
            if run.status in ("stopped", "finished"):
                continue
            outcome = engine.resume(run, ctx)
            assert outcome.status == "resumed"
            assert outcome.run == RunState(**{**vars(run), "status": "active"})
            check(compiled, None, outcome)
            continue
        step = None if offset is None else run.step + offset
        outcome = engine.handle(run, given_input, ctx, step=step)
        check(compiled, run, outcome)
        if step is not None and step != run.step:
            assert outcome.status == "stale"
        if run.status in ("stopped", "finished"):
            assert outcome.status == "stale"
