"""The preview's replay: a dialogue played in the browser, with no bot and no database.

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
    chat = _replay(engine, dialogue_id, Context(locale, first_name=first_name), tokens)
    finished = chat.run.status == "finished"
    widget = None if finished else chat.widget
    choices, confirm, nav = _controls(widget, tokens)
    return Screen(
        chat.bubbles,
        widget,
        choices,
        confirm,
        nav,
        widget is not None and widget.kind == "text",
        encode(tokens),
        finished,
        None if finished else chat.progress,
        chat.run.state,
    )


@dataclass
class _Chat:
    """The replay so far: where the run stands, what was said, the last controls shown."""

    run: RunState
    bubbles: list[Bubble]
    widget: Widget | None
    progress: str | None


def _replay(engine: Engine, dialogue_id: str, ctx: Context, tokens: list[str]) -> _Chat:
    """The chat after every input, from the start; inputs after the end are ignored."""
    outcome = engine.start(dialogue_id, ctx)
    chat = _Chat(
        outcome.run,
        _bubbles(outcome.replies),
        _last_widget(outcome.replies),
        _progress(outcome.replies),
    )
    for token in tokens:
        if chat.run.status == "finished":
            break
        _step(engine, ctx, chat, token)
    return chat


def _step(engine: Engine, ctx: Context, chat: _Chat, token: str) -> None:
    """One input, as the bot would handle it: the echo, the replies, the new state."""
    outcome = engine.handle(chat.run, _input(token), ctx)
    mine = _echo(token, outcome.echo, chat.widget, engine, ctx)
    if mine:
        chat.bubbles.append(Bubble("me", mine))
    chat.bubbles.extend(_bubbles(outcome.replies))
    if outcome.changed:
        chat.run = outcome.run
    if chat.run.status == "paused":  # preview has no pause; keep going where it was
        chat.run = replace(chat.run, status="active")
    found = _last_widget(outcome.replies)
    if found is not None or chat.run.status == "finished":
        chat.widget = found  # a re-prompt without controls keeps the last ones
    chat.progress = _progress(outcome.replies) or chat.progress


def _controls(
    widget: Widget | None, tokens: list[str]
) -> tuple[list[Step], Step | None, list[Step]]:
    """The links for the next input (choices, confirm, back), each a path one longer."""
    if widget is None:
        return [], None, []

    def step(label: str, token: str, selected: bool = False) -> Step:
        return Step(label, encode([*tokens, token]), selected)

    nav = [step(o.label, "b:") for o in widget.nav if o.id == "back"]
    if widget.kind == "multi":
        toggles = [step(o.label, "t:" + o.id, o.selected) for o in widget.options]
        return toggles, step(widget.confirm or "OK", "c:"), nav
    if widget.kind == "continue":
        return [step(o.label, "n:") for o in widget.options], None, nav
    if widget.kind == "text":
        return [], None, nav
    return [step(o.label, "p:" + o.id) for o in widget.options], None, nav


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
