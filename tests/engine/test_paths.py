"""Transcripts generated from the graph of every shipped dialogue.

For each dialogue we search the ways from its start to an end: at every state
we try every input that could matter (each option, each scale value, each set
of options a multi question allows, one valid text) and keep one input per
distinct outcome: the branch taken plus the truth of every comparison the
dialogue's conditions make. That finds every simple path the conditions allow,
and each loop is gone round once. Each path is then played through the engine
as a person would: with buttons in Dutch, with typed labels in English and with
typed numbers in Dutch. Every branch of every dialogue must be walked.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.dialogues.checks import stored_keys
from bot.dialogues.conditions import holds
from bot.dialogues.model import AllOf, AnyOf, Condition, Dialogue, NotCond, State
from bot.engine import (
    Confirm,
    Context,
    Continue,
    Engine,
    Input,
    Outcome,
    Pick,
    RunState,
    Say,
    Toggle,
)
from tests.engine.helpers import UNFILLED, shipped_engine, shipped_files, shipped_id

MAX_PATHS = 5000  # a guard: a dialogue this branchy needs a smarter search

Edge = tuple[str, Any]  # (state, branch): branch is an option id, a rule index or None


@dataclass(frozen=True)
class Step:
    """One answer on a path: given in `state`, taking the branch `edge`."""

    state: str
    value: Any
    edge: Edge


@dataclass(frozen=True)
class Route:
    steps: tuple[Step, ...]
    end: str

    @property
    def simple(self) -> bool:
        states = [s.state for s in self.steps]
        return len(states) == len(set(states))

    def __str__(self) -> str:
        way = " -> ".join(f"{s.state}[{s.value!r}]" for s in self.steps)
        return f"{way} -> {self.end}"


# -- the graph and its conditions -----------------------------------------------


def edges(dialogue: Dialogue) -> set[Edge]:
    """Every branch written in the dialogue."""
    found: set[Edge] = set()
    for name, state in dialogue.states.items():
        nxt = state.next
        if isinstance(nxt, str):
            found.add((name, None))
        elif isinstance(nxt, dict):
            found.update((name, option) for option in nxt)
        elif isinstance(nxt, list):
            found.update((name, i) for i in range(len(nxt)))
    return found


def atoms(dialogue: Dialogue) -> list[Condition]:
    """Every single comparison the dialogue's conditions make."""
    found: list[Condition] = []

    def visit(cond: Condition) -> None:
        if isinstance(cond, AllOf | AnyOf):
            for sub in cond.all if isinstance(cond, AllOf) else cond.any:
                visit(sub)
        elif isinstance(cond, NotCond):
            visit(cond.not_)
        else:
            found.extend({key: compare} for key, compare in cond.items())

    for state in dialogue.states.values():
        if isinstance(state.next, list):
            for rule in state.next:
                if rule.if_ is not None:
                    visit(rule.if_)
    return found


def branch(state: State, answers: dict[str, Any], value: Any) -> tuple[Any, str]:
    """Which branch an answer takes, and to which state."""
    nxt = state.next
    if isinstance(nxt, str):
        return None, nxt
    if isinstance(nxt, dict):
        return value, nxt[value]
    assert isinstance(nxt, list)
    for i, rule in enumerate(nxt):
        if rule.if_ is None or holds(rule.if_, answers):
            return i, rule.to
    raise AssertionError(f"no rule matches {answers}")


def text_answer(low: int, high: int) -> str:
    sentence = "Dit is mijn eerlijke antwoord op de vraag. "
    wanted = min(high, max(low, 30))
    return (sentence * (wanted // len(sentence) + 1))[:wanted].strip().ljust(low, ".")


def values(state: State) -> list[Any]:
    """Every answer worth trying in a state (one for a free text)."""
    ask = state.ask
    kind = state.input_kind
    if kind == "continue":
        return [None]
    assert ask is not None
    if ask.choice is not None:
        return list(ask.choice.options)
    if kind == "yesno":
        return ["yes", "no"]
    if ask.scale is not None:
        return list(range(ask.scale.min, ask.scale.max + 1))
    if ask.multi is not None:
        ids = list(ask.multi.options)
        top = ask.multi.max or len(ids)
        sizes = range(max(ask.multi.min, 1), top + 1)
        return [list(c) for n in sizes for c in itertools.combinations(ids, n)]
    assert ask.text is not None
    return [text_answer(ask.text.min, ask.text.max)]


def search(dialogue: Dialogue) -> list[Route]:
    """Every distinguishable way from start to an end; see the module docstring."""
    tests = atoms(dialogue)
    paths: list[Route] = []
    covered: set[Edge] = set()

    def visit(name: str, answers: dict[str, Any], steps: tuple[Step, ...]) -> None:
        assert len(paths) < MAX_PATHS, f"more than {MAX_PATHS} paths in {dialogue.id}"
        state = dialogue.states[name]
        if state.end:
            paths.append(Route(steps, name))
            covered.update(step.edge for step in steps)
            return
        seen: set[tuple[Any, ...]] = set()
        visits = [step.state for step in steps] + [name]
        for value in values(state):
            after = dict(answers)
            if state.store and state.input_kind != "continue":
                after[state.store] = value
            taken, target = branch(state, after, value)
            signature = (taken, target, *(holds(t, after) for t in tests))
            if signature in seen:
                continue
            seen.add(signature)
            edge = (name, taken)
            again = visits.count(target)
            if again > 1 or (again and edge in covered):
                continue  # loops: go round once, and only for a branch not walked yet
            visit(target, after, (*steps, Step(name, value, edge)))

    visit(dialogue.start, {}, ())
    return paths


# -- playing a path --------------------------------------------------------------


def inputs(engine: Engine, ctx: Context, state: State, value: Any, mode: str) -> list[Input]:
    """How a person gives `value`: by buttons, or typed as labels or numbers."""
    kind = state.input_kind
    ask = state.ask
    if kind == "continue":
        return [Continue()] if mode == "buttons" else [Say("ok")]
    if kind == "text":
        return [Say(value)]
    if kind == "scale":
        return [Pick(str(value))] if mode == "buttons" else [Say(str(value))]
    if kind == "yesno":
        ids = ["yes", "no"]
        labels = [engine.render.text(ctx, "common.yes"), engine.render.text(ctx, "common.no")]
    else:
        assert ask is not None
        spec = ask.choice or ask.multi
        assert spec is not None
        ids = list(spec.options)
        labels = [engine.render.text(ctx, key) for key in spec.options.values()]
    if kind == "multi":
        if mode == "buttons":
            return [*(Toggle(v) for v in value), Confirm()]
        return [Say(", ".join(str(ids.index(v) + 1) for v in value))]
    if mode == "buttons":
        return [Pick(value)]
    if mode == "labels":
        return [Say(labels[ids.index(value)])]
    return [Say(str(ids.index(value) + 1))]


def strings(outcome: Outcome) -> Iterator[str]:
    """Every piece of text a person sees in an outcome."""
    for reply in outcome.replies:
        yield reply.text
        if reply.title is not None:
            yield reply.title
        if reply.progress is not None:
            yield reply.progress.label
        if reply.widget is not None:
            for option in (*reply.widget.options, *reply.widget.nav):
                yield option.label
            yield from (t for t in (reply.widget.confirm, reply.widget.low, reply.widget.high) if t)


def play(engine: Engine, dialogue_id: str, path: Route, ctx: Context, mode: str) -> None:
    """Walk one path through the engine, checking every reply on the way."""
    spec = engine.dialogue(dialogue_id).spec
    stored = set(stored_keys(spec))
    outcome = engine.start(dialogue_id, ctx)
    outcomes = [outcome]
    for step in path.steps:
        assert outcome.run.state == step.state, f"{path}: at {outcome.run.state}"
        for given in inputs(engine, ctx, spec.states[step.state], step.value, mode):
            outcome = engine.handle(outcome.run, given, ctx, step=outcome.run.step)
            assert outcome.status in ("advanced", "toggled", "finished"), (
                f"{path} ({ctx.locale}, {mode}): {given!r} at {step.state} was "
                f"{outcome.status}: {[r.text for r in outcome.replies]}"
            )
            outcomes.append(outcome)
        assert set(outcome.run.answers) <= stored
    assert outcome.status == "finished", str(path)
    assert outcome.run.status == "finished"
    assert outcome.run.state == path.end

    totals = []
    for outcome in outcomes:
        assert outcome.replies, f"{path}: an outcome without replies"
        for piece in strings(outcome):
            assert piece.strip(), f"{path} ({ctx.locale}): an empty text"
            assert not UNFILLED.search(piece), f"{path} ({ctx.locale}): unfilled in {piece!r}"
        shown = [r.progress for r in outcome.replies if r.progress is not None]
        if outcome.status == "finished":
            assert shown == []
            continue
        [progress] = shown  # exactly one message carries the widget and the progress
        assert outcome.replies[-1].progress is progress
        assert 1 <= progress.step <= progress.total, f"{path}: {progress}"
        assert progress.step == len(outcome.run.history) + 1
        totals.append(progress.total)
    if path.simple:  # the longest way ahead keeps the total from growing
        assert totals == sorted(totals, reverse=True), f"{path}: totals {totals}"


@functools.cache
def paths_of(dialogue_id: str) -> list[Route]:
    return search(shipped_engine().dialogue(dialogue_id).spec)


SHIPPED = pytest.mark.parametrize("file", shipped_files(), ids=lambda p: p.stem)
MODES = [("nl", "buttons"), ("en", "labels"), ("nl", "numbers")]


@SHIPPED
def test_every_branch_and_every_end_is_walked(file: Path) -> None:
    dialogue_id = shipped_id(file)
    spec = shipped_engine().dialogue(dialogue_id).spec
    paths = paths_of(dialogue_id)
    assert paths
    walked = {step.edge for path in paths for step in path.steps}
    assert sorted(edges(spec) - walked, key=str) == [], "branches no input can take"
    ends = {name for name, state in spec.states.items() if state.end}
    assert {path.end for path in paths} == ends


def covering(paths: list[Route]) -> list[Route]:
    """A few paths that together take every branch and reach every end (greedy cover)."""
    todo = {step.edge for path in paths for step in path.steps} | {("end", p.end) for p in paths}
    chosen: list[Route] = []
    while todo:
        best = max(paths, key=lambda p: len(_reach(p) & todo))
        chosen.append(best)
        todo -= _reach(best)
    return chosen


def _reach(path: Route) -> set[tuple[str, Any]]:
    return {step.edge for step in path.steps} | {("end", path.end)}


@SHIPPED
@pytest.mark.parametrize(("locale", "mode"), MODES)
def test_every_path_finishes(file: Path, locale: str, mode: str) -> None:
    """Every path with buttons in Dutch; typed labels (English) and typed numbers
    on a set of paths that still takes every branch (the typed parsing is per
    question, so repeating it on all combinations adds time, not coverage)."""
    dialogue_id = shipped_id(file)
    engine = shipped_engine()
    paths = paths_of(dialogue_id)
    for path in paths if mode == "buttons" else covering(paths):
        play(engine, dialogue_id, path, Context(locale, "Sam"), mode)


def test_the_search_finds_every_branch_of_a_loop() -> None:
    """The search itself, on a dialogue with a loop and a branch on an earlier answer."""
    spec = Dialogue.model_validate(
        {
            "id": "lus",
            "kind": "zelfkennis",
            "part": "zelfkennis",
            "title": "lus.title",
            "minutes": 1,
            "start": "cijfer",
            "states": {
                "cijfer": {
                    "say": "lus.cijfer",
                    "ask": {"scale": {"min": 1, "max": 5}},
                    "store": "cijfer",
                    "next": "nog",
                },
                "nog": {
                    "say": "lus.nog",
                    "ask": "yesno",
                    "next": {"yes": "cijfer", "no": "keuze"},
                },
                "keuze": {
                    "say": "lus.keuze",
                    "next": [
                        {"if": {"cijfer": {"gte": 4}}, "to": "hoog"},
                        {"to": "laag"},
                    ],
                },
                "hoog": {"say": "lus.hoog", "end": True},
                "laag": {"say": "lus.laag", "end": True},
            },
        }
    )
    paths = search(spec)
    assert {step.edge for path in paths for step in path.steps} == edges(spec)
    assert any(not path.simple for path in paths)
    assert {path.end for path in paths} == {"hoog", "laag"}


@SHIPPED
@pytest.mark.parametrize("locale", ["nl", "en"])
def test_every_option_can_be_typed_by_label_or_number(file: Path, locale: str) -> None:
    """What `straatwijs try` promises: an option's number or label selects it."""
    dialogue_id = shipped_id(file)
    engine = shipped_engine()
    compiled = engine.dialogue(dialogue_id)
    ctx = Context(locale, "Sam")
    for name, state in compiled.spec.states.items():
        if state.input_kind not in ("choice", "multi", "yesno"):
            continue
        run = RunState(dialogue_id, compiled.version, name)
        question = engine.resume(run, ctx).replies[-1]
        assert question.widget is not None
        for number, option in enumerate(question.widget.options, start=1):
            for typed in (option.label, str(number)):
                outcome = engine.handle(run, Say(typed), ctx)
                if outcome.status == "rejected":  # a multi that needs more than one
                    assert state.ask is not None
                    assert state.ask.multi is not None
                    assert state.ask.multi.min > 1
                    continue
                value = [option.id] if state.input_kind == "multi" else option.id
                if state.store:
                    assert outcome.answer is not None
                    assert outcome.answer.value == value, f"{name}: {typed!r}"
                answers = {state.store: value} if state.store else {}
                assert outcome.run.state == branch(state, answers, value)[1], f"{name}: {typed!r}"
