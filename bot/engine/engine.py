"""The dialogue runtime: one input in, one Outcome out. Pure and synchronous.

Transitions are kept synchronous and free of I/O (DESIGN.md, pitfalls); the
async service layer loads the run, calls the engine and commits the result.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from bot.dialogues.catalog import Catalog
from bot.dialogues.compile import CompiledDialogue, compile_dialogue
from bot.dialogues.model import State
from bot.engine.render import Prepared, Renderer
from bot.engine.types import (
    Answer,
    Confirm,
    Context,
    Continue,
    Input,
    Media,
    Nav,
    Outcome,
    Pick,
    Reply,
    RunState,
    Say,
    Toggle,
)
from bot.privacy import find_identifying

_NON_WORD = re.compile(r"[^\w]+")
_SMALL_INT = re.compile(r"[+-]?\d{1,3}")
_CONTINUE_WORDS = frozenset({"", "ok", "oké", "oke", "verder", "door", "next", "continue", "1"})


class UnknownDialogue(KeyError):
    """Raised for a dialogue id that is not in the catalog."""


class Engine:
    """Runs dialogues for any channel. Build once; share across all people."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.render = Renderer(catalog)
        self.dialogues: dict[str, CompiledDialogue] = {
            did: compile_dialogue(loaded) for did, loaded in catalog.dialogues.items()
        }
        self._contact_dialogues = catalog.contact_dialogues()

    def uses_contacts(self, dialogue_id: str) -> bool:
        """Whether the dialogue's texts name a local contact, so that a caller looks
        the person's contacts up for it (and for no other dialogue)."""
        return dialogue_id in self._contact_dialogues

    def dialogue(self, dialogue_id: str) -> CompiledDialogue:
        """The compiled dialogue, or UnknownDialogue."""
        try:
            return self.dialogues[dialogue_id]
        except KeyError:
            raise UnknownDialogue(dialogue_id) from None

    # -- starting and resuming ------------------------------------------------

    def start(self, dialogue_id: str, ctx: Context) -> Outcome:
        """A new run at the dialogue's start."""
        compiled = self.dialogue(dialogue_id)
        run = RunState(dialogue_id, compiled.version, compiled.spec.start)
        return self._show(compiled, run, ctx, "started", [])

    def resume(self, run: RunState, ctx: Context) -> Outcome:
        """Show the current state again, moving the run if its state vanished."""
        compiled = self.dialogue(run.dialogue_id)
        run, notices = self._migrate(compiled, run, ctx)
        ended = compiled.spec.states[run.state].end
        run = _changed(run, status="finished" if ended else "active")
        status = "relocated" if notices else "resumed"
        return self._show(compiled, run, ctx, status, notices)

    # -- handling one input ---------------------------------------------------

    def handle(self, run: RunState, given: Input, ctx: Context, step: int | None = None) -> Outcome:
        """Apply one input. `step` is the step the button was made for, if any."""
        outcome = self._handle(run, given, ctx, step)
        if not outcome.changed and outcome.run is not run:
            # Rejected and stale outcomes are not saved, so they must not differ from
            # the run given (a paused run answered wrongly stays paused).
            outcome = replace(outcome, run=run)
        return outcome

    def _handle(self, run: RunState, given: Input, ctx: Context, step: int | None) -> Outcome:
        compiled = self.dialogue(run.dialogue_id)
        if run.status in ("stopped", "finished") or (step is not None and step != run.step):
            return Outcome(
                "stale", run, (Reply(self.render.text(ctx, "common.notice.stale"), "notice"),)
            )
        if run.version != compiled.version:
            moved, notices = self._migrate(compiled, run, ctx)
            if notices:
                return self._show(
                    compiled, _changed(moved, status="active"), ctx, "relocated", notices
                )
            run = moved
        if run.status == "paused":
            run = _changed(run, status="active")
        if isinstance(given, Nav):
            return self._navigate(compiled, run, given, ctx)
        plan = self.render.prepared(compiled, run.state, ctx)
        if plan.end:
            return Outcome(
                "stale", run, (Reply(self.render.text(ctx, "common.notice.stale"), "notice"),)
            )
        if isinstance(given, Media):
            return self._reject(compiled, run, ctx, "common.reprompt.media")
        kind = plan.input_kind
        if kind == "multi":
            return self._multi(compiled, run, plan, given, ctx)
        value = self._parse(plan, given, ctx)
        if isinstance(value, _Rejection):
            return self._reject(compiled, run, ctx, value.key, **value.values)
        if kind == "text":
            flagged = self._flag(compiled, run, value, ctx)
            if flagged is not None:
                return flagged
        return self._accept(compiled, run, plan, value, ctx)

    def _flag(
        self, compiled: CompiledDialogue, run: RunState, text: str, ctx: Context
    ) -> Outcome | None:
        """Free text that seems to identify someone is not stored at once.

        The person is asked to rephrase; sending the very same text again is the
        confirmation. Only a short fingerprint of the flagged text is kept (in
        `pending`) to recognise that, never the text itself.
        """
        findings = find_identifying(text)
        if not findings:
            return None
        mark = _fingerprint(run, text)
        if run.pending == (mark,):
            return None
        kinds = ", ".join(
            self.render.text(ctx, f"common.identifying.{k}")
            for k in dict.fromkeys(f.kind for f in findings)
        )
        question = self.render.question(compiled, run, ctx)
        reply = Reply(
            self.render.text(ctx, "common.reprompt.identifying", kinds=kinds),
            "reprompt",
            widget=question.widget,
            progress=question.progress,
        )
        return Outcome("flagged", _changed(run, pending=(mark,)), (reply,))

    # -- internals --------------------------------------------------------------

    def _accept(
        self, compiled: CompiledDialogue, run: RunState, plan: Prepared, value: Any, ctx: Context
    ) -> Outcome:
        state, kind = plan.state, plan.input_kind
        answers = dict(run.answers)
        answer = None
        echo = None
        if state.store and kind != "continue":
            answers[state.store] = value
            answer = Answer(state.store, run.state, kind or "continue", value)
        if kind in ("choice", "multi", "yesno", "scale"):
            echo = self.render.echo(plan, value, ctx)
        choice = value if kind in ("choice", "yesno") else None
        target = compiled.advance(run.state, answers, choice)
        if target is None:  # cannot happen in a validated dialogue; stay put, say so
            return self._reject(compiled, run, ctx, "common.reprompt.choice", count=0)
        end = compiled.spec.states[target].end
        moved = _changed(
            run,
            state=target,
            answers=answers,
            history=(*run.history, run.state),
            pending=(),
            step=run.step + 1,
            status="finished" if end else run.status,
        )
        return self._show(
            compiled, moved, ctx, "finished" if end else "advanced", [], answer=answer, echo=echo
        )

    def _multi(
        self, compiled: CompiledDialogue, run: RunState, plan: Prepared, given: Input, ctx: Context
    ) -> Outcome:
        ask = plan.state.ask
        spec = ask.multi if ask else None
        assert spec is not None
        ids = list(spec.options)
        if isinstance(given, Toggle):
            if given.option not in spec.options:
                return self._reject(compiled, run, ctx, "common.reprompt.choice", count=len(ids))
            chosen = set(run.pending) ^ {given.option}
            if spec.max is not None and len(chosen) > spec.max:
                return self._reject(compiled, run, ctx, "common.reprompt.multi_max", max=spec.max)
            pending = tuple(i for i in ids if i in chosen)
            moved = _changed(run, pending=pending, step=run.step + 1)
            return Outcome("toggled", moved, (self.render.question(compiled, moved, ctx),))
        if isinstance(given, Say) and _norm(given.text) in ("", _norm(plan.confirm or "")):
            given = Confirm()  # typing the confirm label (or nothing): confirm what is ticked
        if isinstance(given, Confirm):
            selection = list(run.pending)
        elif isinstance(given, Say):
            parsed = _parse_many(given.text, ids, [o.label for o in plan.options])
            if parsed is None:
                return self._reject(compiled, run, ctx, "common.reprompt.choice", count=len(ids))
            selection = parsed
        else:
            return self._reject(compiled, run, ctx, "common.reprompt.multi_min", min=spec.min)
        if len(selection) < spec.min:
            return self._reject(compiled, run, ctx, "common.reprompt.multi_min", min=spec.min)
        if spec.max is not None and len(selection) > spec.max:
            return self._reject(compiled, run, ctx, "common.reprompt.multi_max", max=spec.max)
        return self._accept(compiled, run, plan, selection, ctx)

    def _parse(self, plan: Prepared, given: Input, ctx: Context) -> Any:
        """The answer value for a single-valued input, or a _Rejection."""
        kind = plan.input_kind
        ask = plan.state.ask
        if kind == "continue":
            return self._parse_continue(given, ctx)
        if kind == "text" and ask and ask.text:
            return _parse_text(given, ask.text.min, ask.text.max)
        if kind == "scale" and ask and ask.scale:
            return _parse_scale(given, ask.scale.min, ask.scale.max)
        if kind in ("choice", "yesno"):
            return _parse_option(plan, given, yesno=kind == "yesno")
        return _Rejection("common.reprompt.continue")

    def _parse_continue(self, given: Input, ctx: Context) -> Any:
        if isinstance(given, Continue | Confirm):
            return None
        if isinstance(given, Pick) and given.option == "continue":
            return None
        label = self.render.text(ctx, "common.continue")
        if isinstance(given, Say) and _norm(given.text) in _CONTINUE_WORDS | {_norm(label)}:
            return None
        return _Rejection("common.reprompt.continue")

    def _navigate(
        self, compiled: CompiledDialogue, run: RunState, nav: Nav, ctx: Context
    ) -> Outcome:
        if nav.action == "pause":
            paused = _changed(run, status="paused", step=run.step + 1)
            return Outcome(
                "paused", paused, (Reply(self.render.text(ctx, "common.notice.paused"), "notice"),)
            )
        if nav.action == "stop":
            stopped = _changed(run, status="stopped", step=run.step + 1)
            return Outcome(
                "stopped",
                stopped,
                (Reply(self.render.text(ctx, "common.notice.stopped"), "notice"),),
            )
        if not run.history:
            return self._reject(compiled, run, ctx, "common.notice.no_back")
        previous = run.history[-1]
        kept = set(run.history[:-1]) | {previous}
        forget = tuple(
            key
            for name, state in compiled.spec.states.items()
            if (key := state.store)
            and key in run.answers
            and name not in kept
            and not _stored_elsewhere(compiled, key, kept)
        )
        answers = {k: v for k, v in run.answers.items() if k not in forget}
        pending = _previous_selection(compiled.spec.states[previous], answers)
        moved = _changed(
            run,
            state=previous,
            history=run.history[:-1],
            answers=answers,
            pending=pending,
            step=run.step + 1,
        )
        return self._show(compiled, moved, ctx, "back", [], forget=forget)

    def _migrate(
        self, compiled: CompiledDialogue, run: RunState, ctx: Context
    ) -> tuple[RunState, list[Reply]]:
        """Pin the run to the current version; move it back if its state is gone.

        A run whose state still exists continues where it is. Otherwise it moves
        to the latest state of its own history that still exists (the question
        before the vanished one), or to the start; answers are kept.
        """
        if run.version == compiled.version:
            return run, []
        states = compiled.spec.states
        history = tuple(s for s in run.history if s in states and not states[s].end)
        if run.state in states:
            pending = tuple(p for p in run.pending if _is_option(states[run.state], p))
            return _changed(run, version=compiled.version, history=history, pending=pending), []
        target = history[-1] if history else compiled.spec.start
        history = history[:-1] if history else ()
        moved = _changed(
            run,
            version=compiled.version,
            state=target,
            history=history,
            pending=(),
            step=run.step + 1,
        )
        return moved, [Reply(self.render.text(ctx, "common.notice.changed"), "notice")]

    def _show(
        self,
        compiled: CompiledDialogue,
        run: RunState,
        ctx: Context,
        status: Any,
        notices: list[Reply],
        answer: Answer | None = None,
        echo: str | None = None,
        forget: tuple[str, ...] = (),
    ) -> Outcome:
        replies = (*notices, *self.render.state(compiled, run, ctx))
        return Outcome(status, run, replies, answer=answer, forget=forget, echo=echo)

    def _reject(
        self, compiled: CompiledDialogue, run: RunState, ctx: Context, key: str, **values: object
    ) -> Outcome:
        question = self.render.question(compiled, run, ctx)
        text = self.render.text(ctx, key, **values)
        return Outcome(
            "rejected",
            run,
            (Reply(text, "reprompt", widget=question.widget, progress=question.progress),),
        )


def _changed(run: RunState, **changes: Any) -> RunState:
    """`dataclasses.replace` for a RunState, at half its cost (it runs on every input)."""
    return RunState(**{**vars(run), **changes})


class _Rejection:
    """Why an input did not fit: a content key and its placeholder values."""

    def __init__(self, key: str, **values: object) -> None:
        self.key = key
        self.values = values


def _fingerprint(run: RunState, text: str) -> str:
    """A short keyed digest of a flagged text for this run and step (not reversible in practice)."""
    key = f"{run.dialogue_id}:{run.state}:{run.step}".encode()
    return "flag:" + hmac.new(key, text.encode(), hashlib.sha256).hexdigest()[:16]


def _norm(text: str) -> str:
    """Lowercase letters and digits only, so 'Ja!' and '✅ Klaar' match their labels."""
    return _NON_WORD.sub(" ", text.casefold()).strip()


def _parse_int(raw: str) -> int | None:
    text = raw.strip()
    return int(text) if _SMALL_INT.fullmatch(text) else None


def _parse_one(
    text: str, ids: Sequence[str], labels: Sequence[str], yesno: bool = False
) -> str | None:
    """An option from a typed number (1-based), label or id."""
    word = _norm(text)
    if not word:
        return None
    number = _parse_int(text)
    if number is not None:
        return ids[number - 1] if 1 <= number <= len(ids) else None
    for oid, label in zip(ids, labels, strict=True):
        if word in (_norm(label), _norm(oid)):
            return oid
    if yesno:
        short = {
            "j": "yes",
            "y": "yes",
            "n": "no",
            "ja": "yes",
            "nee": "no",
            "yes": "yes",
            "no": "no",
        }
        return short.get(word)
    return None


def _parse_many(text: str, ids: Sequence[str], labels: Sequence[str]) -> list[str] | None:
    """Several options typed as numbers or labels, separated by commas or spaces."""
    whole = _parse_one(text, ids, labels)
    if whole is not None:  # one label, even one with a comma in it
        return [whole]
    parts = [p for p in re.split(r"[,;]+|\s+(?=\d)", text) if p.strip()]
    if not parts:
        return None
    found: list[str] = []
    for part in parts:
        one = _parse_one(part, ids, labels)
        if one is None:
            return None
        if one not in found:
            found.append(one)
    return [i for i in ids if i in found]


def _is_option(state: State, option: str) -> bool:
    spec = state.ask.multi if state.ask else None
    return spec is not None and option in spec.options


def _previous_selection(state: State, answers: dict[str, Any]) -> tuple[str, ...]:
    """When going back to a multi question, show the earlier selection as ticked."""
    if state.ask and state.ask.multi and state.store and isinstance(answers.get(state.store), list):
        return tuple(answers[state.store])
    return ()


def _stored_elsewhere(compiled: CompiledDialogue, key: str, kept: set[str]) -> bool:
    return any(
        compiled.spec.states[name].store == key for name in kept if name in compiled.spec.states
    )


def _parse_text(given: Input, least: int, most: int) -> str | _Rejection:
    if not isinstance(given, Say):
        return _Rejection("common.reprompt.text_empty")
    text = given.text.strip()
    if not text:
        return _Rejection("common.reprompt.text_empty")
    if len(text) < least:
        return _Rejection("common.reprompt.text_short", min=least, length=len(text))
    if len(text) > most:
        return _Rejection("common.reprompt.text_long", max=most, length=len(text))
    return text


def _parse_scale(given: Input, low: int, high: int) -> int | _Rejection:
    raw = given.option if isinstance(given, Pick) else given.text if isinstance(given, Say) else ""
    number = _parse_int(raw)
    if number is None or not low <= number <= high:
        return _Rejection("common.reprompt.scale", min=low, max=high)
    return number


def _parse_option(plan: Prepared, given: Input, yesno: bool) -> str | _Rejection:
    """A button pressed, or an option's number or label typed."""
    ids, labels = plan.option_ids, plan.option_labels
    if isinstance(given, Pick) and given.option in ids:
        return given.option
    if isinstance(given, Say):
        found = _parse_one(given.text, ids, labels, yesno=yesno)
        if found is not None:
            return found
    key = "common.reprompt.yesno" if yesno else "common.reprompt.choice"
    return _Rejection(key, count=len(ids))
