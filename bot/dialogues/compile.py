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
from bot.dialogues.graph import remaining_steps
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
    """A dialogue ready to run: its spec, version, machine and progress table.

    `fixed` lists the states the machine always leaves for the same state: one
    `advance` transition, no condition, no callback. For those the answer is
    known without running the event, so no cursor and no event data are built
    for them (most steps of a dialogue are such plain steps); every branch
    still goes through the machine.
    """

    spec: Dialogue
    version: str
    machine: Machine
    remaining: dict[str, int] = field(default_factory=dict)
    fixed: dict[str, str] = field(default_factory=dict)

    def advance(self, state: str, answers: Mapping[str, Any], choice: str | None) -> str | None:
        """The state after `state`, given the answers (and the option just chosen)."""
        target = self.fixed.get(state)
        if target is not None:
            return target
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
                machine.add_transition(ADVANCE, name, target, conditions=[_chose(option)])
        else:
            for rule in nxt:
                conditions = [] if rule.if_ is None else [_when(rule.if_)]
                machine.add_transition(ADVANCE, name, rule.to, conditions=conditions)
    return CompiledDialogue(
        spec, loaded.version, machine, remaining_steps(spec), _fixed_targets(machine)
    )


def _fixed_targets(machine: Machine) -> dict[str, str]:
    """Source -> target for each state whose `advance` cannot go anywhere else.

    Read from the machine itself, so it can never disagree with it: a single
    transition without conditions, and nothing (machine, transition or state
    callbacks) that triggering it would run besides moving the cursor.
    """
    hooks = (
        machine.prepare_event,
        machine.before_state_change,
        machine.after_state_change,
        machine.finalize_event,
        machine.on_final,
    )
    if any(hooks):
        return {}
    fixed: dict[str, str] = {}
    for source, found in machine.events[ADVANCE].transitions.items():
        if len(found) != 1:
            continue
        only = found[0]
        quiet = not (only.conditions or only.prepare or only.before or only.after)
        states = [machine.get_state(source), machine.get_state(only.dest)] if only.dest else []
        if quiet and states and not any(s.on_exit or s.on_enter or s.final for s in states):
            fixed[source] = only.dest
    return fixed


def _chose(option: str) -> Callable[[EventData], bool]:
    def check(event: EventData) -> bool:
        return event.model.choice == option

    return check


def _when(condition: Condition) -> Callable[[EventData], bool]:
    def check(event: EventData) -> bool:
        return holds(condition, event.model.answers)

    return check
