"""Plain steps skip the machine's event: the shortcut must always agree with the machine."""

from __future__ import annotations

from transitions import Machine

from bot.dialogues.compile import ADVANCE, CompiledDialogue, Cursor, _fixed_targets
from tests.engine.helpers import shipped_engine

ANSWERS: list[dict[str, object]] = [{}, {"zekerheid": 1, "rol": "wijkagent"}, {"x": [1, 2]}]


def triggered(compiled: CompiledDialogue, state: str, answers: dict[str, object]) -> str | None:
    """Where the machine's `advance` event itself takes a cursor."""
    cursor = Cursor(state, answers, "yes")
    moved = compiled.machine.events[ADVANCE].trigger(cursor)
    return cursor.state if moved else None


def test_every_fixed_step_goes_where_the_machine_goes() -> None:
    for compiled in shipped_engine().dialogues.values():
        assert compiled.fixed, compiled.spec.id  # every dialogue has some plain steps
        for source, target in compiled.fixed.items():
            assert compiled.spec.states[source].next == target
            for answers in ANSWERS:
                assert triggered(compiled, source, answers) == target


def test_branches_and_ends_still_go_through_the_machine() -> None:
    for compiled in shipped_engine().dialogues.values():
        for name, state in compiled.spec.states.items():
            if not isinstance(state.next, str):
                assert name not in compiled.fixed


def test_a_machine_with_callbacks_gets_no_shortcut() -> None:
    def plain() -> Machine:
        machine = Machine(model=None, states=["a", "b"], initial="a", auto_transitions=False)
        machine.add_transition(ADVANCE, "a", "b")
        return machine

    assert _fixed_targets(plain()) == {"a": "b"}
    watched = plain()
    watched.get_state("b").add_callback("enter", lambda event: None)
    assert _fixed_targets(watched) == {}
    hooked = plain()
    hooked.before_state_change.append(lambda event: None)
    assert _fixed_targets(hooked) == {}
    guarded = Machine(model=None, states=["a", "b"], initial="a", auto_transitions=False)
    guarded.add_transition(ADVANCE, "a", "b", conditions=[lambda event: True])
    assert _fixed_targets(guarded) == {}
