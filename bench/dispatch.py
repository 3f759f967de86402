"""Engine dispatch per input vs a machine per person.

Ours: `Engine.handle` on an in-memory RunState. The engine holds one compiled
`transitions` machine per dialogue; a person's place is plain data passed in.

The baseline: the same engine logic (input parsing, validation, rendering of
the reply are shared, so only the state machine differs), but with the way
naive code uses `transitions`: the person is the machine's model, and a
`Machine` with the dialogue's states and transitions is built for the person
when their input arrives (their state comes from storage, as in any bot with
more than one process or a restart), with the library's defaults
(auto transitions on). The answer then moves the person's own machine.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from transitions import EventData, Machine

from bench.common import median, shared_engine
from bot.dialogues.conditions import holds
from bot.engine import Confirm, Context, Engine, Input, Outcome, Pick, RunState, Say, Toggle

DIALOGUE = "drijfveren"


def inputs(index: int) -> list[Input]:
    """One person's answers to drijfveren; even indexes take the low-confidence branch."""
    low = index % 2 == 0
    given: list[Input] = [
        Pick("start"),
        Say("Een jongen die ik al maanden volg vroeg om hulp"),
        Toggle("verbinding"),
        Toggle("zorg"),
        Confirm(),
        Pick("2" if low else "4"),
    ]
    if low:
        given.append(Pick("yes"))
    given.append(Say("Ik ga nooit alleen een woning in"))
    return given


class Person:
    """The naive model: a person who carries their own state machine."""

    def __init__(self, answers: Mapping[str, Any], choice: str | None) -> None:
        self.answers = answers
        self.choice = choice
        self.state = ""


def _transitions(engine: Engine) -> list[dict[str, Any]]:
    """drijfveren's transitions as `transitions` config, conditions as callables."""
    spec = engine.dialogue(DIALOGUE).spec
    found: list[dict[str, Any]] = []
    for name, state in spec.states.items():
        nxt = state.next
        if nxt is None:
            continue
        if isinstance(nxt, str):
            found.append({"trigger": "advance", "source": name, "dest": nxt})
        elif isinstance(nxt, dict):
            for option, target in nxt.items():
                found.append(
                    {
                        "trigger": "advance",
                        "source": name,
                        "dest": target,
                        "conditions": [_chose(option)],
                    }
                )
        else:
            for rule in nxt:
                conditions = [] if rule.if_ is None else [_when(rule.if_)]
                found.append(
                    {
                        "trigger": "advance",
                        "source": name,
                        "dest": rule.to,
                        "conditions": conditions,
                    }
                )
    return found


def _chose(option: str) -> Any:
    def check(event: EventData) -> bool:
        return event.model.choice == option

    return check


def _when(condition: Any) -> Any:
    def check(event: EventData) -> bool:
        return holds(condition, event.model.answers)

    return check


@dataclass
class _PersonsDialogue:
    """Looks like a CompiledDialogue to the engine, but moves the person's own machine."""

    spec: Any
    version: str
    remaining: dict[str, int]
    owner: NaiveEngine

    def advance(self, state: str, answers: Mapping[str, Any], choice: str | None) -> str | None:
        person = self.owner.current
        assert person is not None
        assert person.state == state
        person.answers = answers
        person.choice = choice
        moved = person.advance()  # type: ignore[attr-defined]
        return person.state if moved else None


class NaiveEngine(Engine):
    """The engine with a `transitions.Machine` built per person for every input."""

    def __init__(self, engine: Engine) -> None:
        super().__init__(engine.catalog)
        compiled = self.dialogues[DIALOGUE]
        self.states = list(compiled.spec.states)
        self.transitions = _transitions(engine)
        self.current: Person | None = None
        self._persons = _PersonsDialogue(compiled.spec, compiled.version, compiled.remaining, self)

    def dialogue(self, dialogue_id: str) -> Any:
        return self._persons if dialogue_id == DIALOGUE else super().dialogue(dialogue_id)

    def handle(self, run: RunState, given: Input, ctx: Context, step: int | None = None) -> Outcome:
        person = Person(run.answers, None)
        Machine(
            model=person,
            states=self.states,
            transitions=self.transitions,
            initial=run.state,
            send_event=True,
            ignore_invalid_triggers=True,
        )
        self.current = person
        try:
            return super().handle(run, given, ctx, step)
        finally:
            self.current = None


def play(engine: Engine, people: int) -> tuple[float, int, list[str]]:
    """Seconds spent in `handle` for `people` people doing drijfveren; (s, inputs, ends)."""
    ctx = Context("nl", "Sam")
    starts = [engine.start(DIALOGUE, ctx).run for _ in range(people)]
    scripts = [inputs(i) for i in range(people)]
    ends = []
    count = 0
    begin = time.perf_counter()
    for run, script in zip(starts, scripts, strict=True):
        for given in script:
            run = engine.handle(run, given, ctx).run
        ends.append(f"{run.state}:{run.status}:{sorted(run.answers)}")
        count += len(script)
    return time.perf_counter() - begin, count, ends


def compare(people: int, rounds: int) -> dict[str, Any]:
    """Median microseconds per input of both, taking turns; and whether both agree."""
    ours = shared_engine()
    naive = NaiveEngine(ours)
    play(ours, 20)
    play(naive, 20)  # warm-up
    ours_us: list[float] = []
    naive_us: list[float] = []
    agree = True
    for _ in range(rounds):
        seconds, count, ends_ours = play(ours, people)
        ours_us.append(seconds / count * 1e6)
        seconds, count, ends_naive = play(naive, people)
        naive_us.append(seconds / count * 1e6)
        agree = agree and ends_ours == ends_naive
        agree = agree and all(e.startswith("slot:finished") for e in ends_ours)
    engine_us, machine_us = median(ours_us), median(naive_us)
    return {
        "engine_us": engine_us,
        "machine_us": machine_us,
        "ratio": machine_us / engine_us,
        "valid": agree,
    }
