"""Dialogue preview: a dialogue played in the browser, with no bot and no database.

Why replay instead of stored state: the engine is pure, so the whole chat can be
rebuilt from the inputs given so far. The page carries those inputs in its URL
(`p`, base64 of a short JSON list); every click appends one and links to the
result. Nothing is written anywhere, any step can be bookmarked or shared with
a colleague, and a forged `p` is just input the engine checks like any other.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, replace

from bot.engine import (
    Confirm,
    Context,
    Continue,
    Engine,
    Input,
    Nav,
    Pick,
    Reply,
    RunState,
    Say,
    Toggle,
    Widget,
)

#: Limits that keep a preview URL well under what servers accept.
MAX_STEPS = 150
MAX_TEXT = 400
MAX_PARAM = 12000


class BadPath(ValueError):
    """The `p` parameter is not a list of preview inputs."""


@dataclass(frozen=True)
class Bubble:
    """One chat bubble: from the bot ("bot") or the person ("me")."""

    side: str
    text: str
    title: str | None = None
    kind: str = "say"


@dataclass(frozen=True)
class Step:
    """A link the person can click, with the path it leads to."""

    label: str
    path: str
    selected: bool = False


@dataclass(frozen=True)
class Screen:
    """What the preview page shows: the chat so far and the controls for the next input."""

    bubbles: list[Bubble]
    widget: Widget | None
    choices: list[Step]
    confirm: Step | None
    nav: list[Step]
    text_input: bool
    path: str
    finished: bool
    progress: str | None
    state: str = ""  # where the run stands, marked in the diagram


def encode(tokens: list[str]) -> str:
    if not tokens:
        return ""
    raw = json.dumps(tokens, ensure_ascii=False, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def decode(param: str | None) -> list[str]:
    """The inputs in a `p` parameter; BadPath for anything else."""
    if not param:
        return []
    if len(param) > MAX_PARAM:
        raise BadPath("too long")
    try:
        tokens = json.loads(base64.urlsafe_b64decode(param + "=" * (-len(param) % 4)))
    except (binascii.Error, ValueError) as exc:
        raise BadPath("not a preview path") from exc
    if not isinstance(tokens, list) or len(tokens) > MAX_STEPS:
        raise BadPath("not a preview path")
    if not all(isinstance(t, str) and t[:2] in _KINDS for t in tokens):
        raise BadPath("unknown input")
    return tokens


_KINDS = {"p:", "t:", "s:", "c:", "n:", "b:"}


def _input(token: str) -> Input:
    kind, value = token[:2], token[2:]
    if kind == "p:":
        return Pick(value)
    if kind == "t:":
        return Toggle(value)
    if kind == "s:":
        return Say(value[:MAX_TEXT])
    if kind == "c:":
        return Confirm()
    if kind == "n:":
        return Continue()
    return Nav("back")


def say_token(text: str) -> str:
    return "s:" + text[:MAX_TEXT]


def play(
    engine: Engine, dialogue_id: str, locale: str, tokens: list[str], first_name: str = ""
) -> Screen:
    """Replay the inputs from the start and describe the resulting screen.

    `first_name` fills `{first_name}` (the viewer's own, so texts read naturally).
    Raises UnknownDialogue for an id not in the catalog.
    """
    ctx = Context(locale, first_name=first_name)
    outcome = engine.start(dialogue_id, ctx)
    run: RunState = outcome.run
    bubbles = _bubbles(outcome.replies)
    last = _last_widget(outcome.replies)
    progress = _progress(outcome.replies)
    for token in tokens:
        given = _input(token)
        if run.status == "finished":
            break
        outcome = engine.handle(run, given, ctx)
        mine = _echo(token, outcome.echo, last, engine, ctx)
        if mine:
            bubbles.append(Bubble("me", mine))
        bubbles.extend(_bubbles(outcome.replies))
        if outcome.changed:
            run = outcome.run
        if run.status == "paused":  # preview has no pause; keep going where it was
            run = replace(run, status="active")
        found = _last_widget(outcome.replies)
        if found is not None or run.status == "finished":
            last = found
        progress = _progress(outcome.replies) or progress
    path = encode(tokens)
    finished = run.status == "finished"
    widget = None if finished else last
    choices: list[Step] = []
    confirm = None
    nav: list[Step] = []
    if widget is not None:
        if widget.kind == "multi":
            choices = [
                Step(o.label, encode([*tokens, "t:" + o.id]), o.selected) for o in widget.options
            ]
            confirm = Step(widget.confirm or "OK", encode([*tokens, "c:"]))
        elif widget.kind == "continue":
            choices = [Step(o.label, encode([*tokens, "n:"])) for o in widget.options]
        elif widget.kind != "text":
            choices = [Step(o.label, encode([*tokens, "p:" + o.id])) for o in widget.options]
        nav = [Step(o.label, encode([*tokens, "b:"])) for o in widget.nav if o.id == "back"]
    return Screen(
        bubbles,
        widget,
        choices,
        confirm,
        nav,
        widget is not None and widget.kind == "text",
        path,
        finished,
        None if finished else progress,
        run.state,
    )


def _bubbles(replies: tuple[Reply, ...]) -> list[Bubble]:
    return [Bubble("bot", r.text, r.title, r.kind) for r in replies]


def _last_widget(replies: tuple[Reply, ...]) -> Widget | None:
    for reply in reversed(replies):
        if reply.widget is not None:
            return reply.widget
    return None


def _progress(replies: tuple[Reply, ...]) -> str | None:
    for reply in reversed(replies):
        if reply.progress is not None:
            return reply.progress.label
    return None


def _echo(token: str, echo: str | None, widget: Widget | None, engine: Engine, ctx: Context) -> str:
    """What the person 'said' in the chat for this input."""
    kind, value = token[:2], token[2:]
    if kind == "s:":
        return value[:MAX_TEXT]
    if kind == "b:":
        return engine.render.text(ctx, "common.nav.back")
    if kind in ("p:", "t:") and widget is not None:
        for option in widget.options:
            if option.id == value:
                return option.label
    if kind == "c:" and widget is not None:
        return widget.confirm or ""
    if kind == "n:":
        return engine.render.text(ctx, "common.continue")
    return echo or ""
