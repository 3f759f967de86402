"""Compile a dialogue into one shared `transitions` machine.

One machine per dialogue serves everybody: per-person state is a small
cursor object passed to the event, never a model bound to the machine, so
memory does not grow with the number of people (see DESIGN.md).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from transitions import EventData, Machine

from bot.dialogues.catalog import LoadedDialogue
from bot.dialogues.conditions import holds
from bot.dialogues.flow import remaining_steps
from bot.dialogues.model import Condition, Dialogue

ADVANCE = "advance"


@dataclass
class Cursor:
    """The per-input stand-in for a person's run while the machine decides."""

    state: str
    answers: Mapping[str, Any]
    choice: str | None = None


@dataclass
class CompiledDialogue:
    """A dialogue ready to run: its spec, version, machine and progress table."""

    spec: Dialogue
    version: str
    machine: Machine
    remaining: dict[str, int] = field(default_factory=dict)

    def advance(self, state: str, answers: Mapping[str, Any], choice: str | None) -> str | None:
        """The state after `state`, given the answers (and the option just chosen)."""
        cursor = Cursor(state, answers, choice)
        moved = self.machine.events[ADVANCE].trigger(cursor)
        return cursor.state if moved else None


def compile_dialogue(loaded: LoadedDialogue) -> CompiledDialogue:
    """Build the machine: one `advance` event whose transitions carry data conditions."""
    spec = loaded.spec
    machine = Machine(
        model=None,
        states=list(spec.states),
        initial=spec.start,
        auto_transitions=False,
        send_event=True,
        ignore_invalid_triggers=True,
    )
    for name, state in spec.states.items():
        nxt = state.next
        if nxt is None:
            continue
        if isinstance(nxt, str):
            machine.add_transition(ADVANCE, name, nxt)
        elif isinstance(nxt, dict):
            for option, target in nxt.items():
                machine.add_transition(ADVANCE, name, target, conditions=_chose(option))
        else:
            for rule in nxt:
                guard = None if rule.if_ is None else _when(rule.if_)
                machine.add_transition(ADVANCE, name, rule.to, conditions=guard)
    return CompiledDialogue(spec, loaded.version, machine, remaining_steps(spec))


def _cursor(event: EventData) -> Cursor:
    """The cursor `advance` passed in; the machine has no model of its own."""
    cursor = event.model
    if not isinstance(cursor, Cursor):
        raise TypeError(f"expected a Cursor as the event's model, got {type(cursor).__name__}")
    return cursor


def _chose(option: str) -> Callable[[EventData], bool]:
    def check(event: EventData) -> bool:
        return _cursor(event).choice == option

    return check


def _when(condition: Condition) -> Callable[[EventData], bool]:
    def check(event: EventData) -> bool:
        return holds(condition, _cursor(event).answers)

    return check
