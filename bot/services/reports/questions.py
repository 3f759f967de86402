"""One structured question: its latest answers, its figures and its distribution.

Shared by the exercise page, the single-question chart and a trainer's push
view, so a question's cells are registered and read the same way everywhere.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from bot.dialogues import CompiledDialogue, dominators
from bot.services.reports.disclosure import Figures
from bot.services.reports.records import STRUCTURED, AnswerRecord
from bot.services.reports.report import OPTION, Report, register_answered
from bot.services.reports.tables import Distribution, FreeTextRefused, Row, Table, UnknownQuestion
from bot.services.reports.texts import Texts


@dataclass(frozen=True)
class Question:
    """One structured question's answers: the latest value per person."""

    key: str
    state: str
    kind: str
    options: dict[str, str]  # option id -> label
    latest: dict[int, Any]  # person -> value

    def choosers(self, option: str) -> set[int]:
        return {
            pid
            for pid, value in self.latest.items()
            if option in {str(v) for v in (value if isinstance(value, list) else [value])}
        }


def stored_keys(compiled: CompiledDialogue) -> dict[str, str]:
    """Stored answer key -> the first state that asks it."""
    keys: dict[str, str] = {}
    for name, state in compiled.spec.states.items():
        if state.store and state.input_kind and state.store not in keys:
            keys[state.store] = name
    return keys


def check_key(compiled: CompiledDialogue, key: str) -> str:
    """The state asking `key`; refuses unknown keys and free-text questions before
    anything is read."""
    state = stored_keys(compiled).get(key)
    if state is None:
        raise UnknownQuestion(key)
    if compiled.spec.states[state].input_kind not in STRUCTURED:
        raise FreeTextRefused(key)
    return state


def collect(
    compiled: CompiledDialogue,
    state_name: str,
    key: str,
    answers: Sequence[AnswerRecord],
    texts: Texts,
    locale: str,
) -> Question:
    """The latest answer per person to one question, with its options."""
    state = compiled.spec.states[state_name]
    latest: dict[int, tuple[int, Any]] = {}
    for answer in answers:
        if answer.key != key:
            continue
        seen = latest.get(answer.person_id)
        if seen is None or answer.run_id > seen[0]:
            latest[answer.person_id] = (answer.run_id, answer.value)
    return Question(
        key,
        state_name,
        state.input_kind or "",
        texts.options(state, locale),
        {pid: value for pid, (_, value) in latest.items()},
    )


def structured_questions(
    compiled: CompiledDialogue, answers: Sequence[AnswerRecord], texts: Texts, locale: str
) -> list[Question]:
    """Every structured question of a dialogue, in the dialogue's order."""
    return [
        collect(compiled, state, key, answers, texts, locale)
        for key, state in stored_keys(compiled).items()
        if compiled.spec.states[state].input_kind in STRUCTURED
    ]


def register_question(report: Report, did: str, question: Question) -> None:
    """Answered count and option counts. Single answers add up to the people who
    answered (rule 2; scales all or none, rule 3); multiple choice is nested only."""
    register_answered(report, did, question.key, set(question.latest))
    total = ("answered", did, question.key)
    parts = []
    for oid in question.options:
        name = ("option", did, question.key, oid)
        report.figure(name, question.choosers(oid), OPTION, detail=True)
        report.within(total, name)
        parts.append(name)
    if question.kind != "multi":
        report.adds_up(total, parts, all_or_none=question.kind == "scale")


def distribution(
    compiled: CompiledDialogue,
    question: Question,
    figures: Figures,
    report: Report,
    me: Hashable,
    texts: Texts,
    locale: str,
) -> Distribution:
    """The question's decided cells in scope `me`, with the average of a scale."""
    did = compiled.spec.id
    answered = (me, "answered", did, question.key)
    average = None
    if question.kind == "scale":
        mine = report.members(me)
        values = [
            float(v)
            for pid, v in question.latest.items()
            if pid in mine and isinstance(v, int | float)
        ]
        average = figures.mean(answered, values)
    table = Table(
        f"question:{question.key}",
        ("people", "percent"),
        tuple(
            Row(
                oid,
                label,
                (
                    figures.cell((me, "option", did, question.key, oid)),
                    figures.percent((me, "option", did, question.key, oid), answered),
                ),
            )
            for oid, label in question.options.items()
        ),
    )
    state = compiled.spec.states[question.state]
    return Distribution(
        question.key,
        question.state,
        question.kind,
        texts.question(state, locale),
        figures.cell(answered),
        table,
        average,
    )


def _asking_states(compiled: CompiledDialogue, keys: Iterable[str]) -> dict[str, list[str]]:
    """Stored key -> every state that asks it (a key may be asked on several branches)."""
    wanted = set(keys)
    asked: dict[str, list[str]] = {}
    for name, state in compiled.spec.states.items():
        if state.store in wanted and state.input_kind:
            asked.setdefault(state.store, []).append(name)
    return asked


def _passes(dom: dict[str, set[str]], targets: Iterable[str], through: Sequence[str]) -> bool:
    """Whether every way to each of `targets` passes one of the states `through` first."""
    return all(any(s != t and s in dom.get(t, ()) for s in through) for t in targets)


def funnel_questions(compiled: CompiledDialogue, questions: Sequence[Question]) -> list[Question]:
    """The questions every way through the exercise asks before it ends, in the
    order they are asked: the steps of a funnel that everyone walks, so each
    count contains the next and the difference is who stopped in between.
    Questions on one branch only are left out (not everyone passes them)."""
    spec = compiled.spec
    dom = dominators(spec)
    ends = [name for name in dom if spec.states[name].end]
    asked = _asking_states(compiled, [q.key for q in questions])
    on_every_path = [
        q for q in questions if ends and q.key in asked and _passes(dom, ends, asked[q.key])
    ]
    # Along the one chain every path shares, a state asked later is dominated by
    # more states: its depth orders the questions.
    return sorted(on_every_path, key=lambda q: min(len(dom.get(s, ())) for s in asked[q.key]))


def register_answer_order(report: Report, compiled: CompiledDialogue, keys: Iterable[str]) -> None:
    """Nest the answered counts of questions that every path asks in turn.

    Whoever answered a question also answered a question every way to it passes
    (a state that dominates each state asking it), and whoever finished answered
    every question that every way to an end passes. Declared, these differences
    are kept at zero or at least 5 people; undeclared, "answered 6" next to
    "answered 5" would say that exactly one person stopped in between.
    """
    spec = compiled.spec
    asked = _asking_states(compiled, keys)
    dom = dominators(spec)
    ends = [name for name in dom if spec.states[name].end]
    for key, states in asked.items():
        for earlier, before in asked.items():
            if earlier != key and _passes(dom, states, before):
                report.within(("answered", spec.id, earlier), ("answered", spec.id, key))
        if ends and _passes(dom, ends, states):
            report.within(("answered", spec.id, key), ("finished", spec.id))
