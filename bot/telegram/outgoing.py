"""Engine replies as Telegram messages: escaped HTML, split to fit, inline keyboards."""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.engine import Confirm, Continue, Input, Pick, Reply, Toggle, Widget
from bot.telegram.presses import RunPress, navigation

# Telegram refuses texts over 4096 characters (after entity parsing); keep room for
# the title and progress lines added around a chunk.
MAX_CHUNK = 3800


@dataclass(frozen=True)
class OutMessage:
    """One message to send: HTML text and an optional keyboard."""

    html: str
    keyboard: InlineKeyboardMarkup | None = None

    @property
    def has_keyboard(self) -> bool:
        return self.keyboard is not None


def messages(reply: Reply, run_id: int | None) -> list[OutMessage]:
    """A reply as one or more messages; the keyboard goes on the last one."""
    chunks = split(reply.text)
    head = f"<b>{esc(reply.title)}</b>\n" if reply.title else ""
    tail = _tail(reply)
    out = []
    for index, chunk in enumerate(chunks):
        first = index == 0
        last = index == len(chunks) - 1
        text = (head if first else "") + _body(reply, chunk) + (tail if last else "")
        keyboard = keyboard_for(reply.widget, run_id) if last and reply.widget else None
        out.append(OutMessage(text, keyboard))
    return out


def _body(reply: Reply, chunk: str) -> str:
    if reply.kind in ("reprompt", "notice"):
        return f"<i>{esc(chunk)}</i>"
    return esc(chunk)


def _tail(reply: Reply) -> str:
    lines = []
    widget = reply.widget
    if widget is not None and widget.kind == "scale" and (widget.low or widget.high):
        ends = []
        if widget.low:
            ends.append(f"{widget.min} = {widget.low}")
        if widget.high:
            ends.append(f"{widget.max} = {widget.high}")
        lines.append(esc(" · ".join(ends)))
    if reply.progress is not None:
        lines.append(f"<i>{esc(reply.progress.label)}</i>")
    return ("\n\n" + "\n".join(lines)) if lines else ""


def keyboard_for(widget: Widget | None, run_id: int | None) -> InlineKeyboardMarkup | None:
    """Buttons for a widget: options by kind, then the navigation row."""
    if widget is None or run_id is None:
        return None
    step = widget.step

    def button(label: str, given: Input) -> InlineKeyboardButton:
        return InlineKeyboardButton(label, callback_data=RunPress(run_id, step, given).data)

    rows = _option_rows(widget, button)
    if widget.nav:
        rows.append([button(o.label, navigation(o.id)) for o in widget.nav])
    return InlineKeyboardMarkup(rows)


def _option_rows(
    widget: Widget, button: Callable[[str, Input], InlineKeyboardButton]
) -> list[list[InlineKeyboardButton]]:
    rows: list[list[InlineKeyboardButton]] = []
    if widget.kind == "choice":
        rows.extend([button(o.label, Pick(o.id))] for o in widget.options)
    elif widget.kind == "multi":
        for option in widget.options:
            mark = "☑️" if option.selected else "⬜"
            rows.append([button(f"{mark} {option.label}", Toggle(option.id))])
        if widget.confirm:
            rows.append([button(widget.confirm, Confirm())])
    elif widget.kind == "scale":
        numbers = [button(o.label, Pick(o.id)) for o in widget.options]
        half = (len(numbers) + 1) // 2 if len(numbers) > 6 else len(numbers)
        rows.append(numbers[:half])
        if numbers[half:]:
            rows.append(numbers[half:])
    elif widget.kind == "yesno":
        rows.append([button(o.label, Pick(o.id)) for o in widget.options])
    elif widget.kind == "continue":
        rows.append([button(widget.options[0].label, Continue())])
    return rows


def split(text: str, limit: int = MAX_CHUNK) -> list[str]:
    """Plain text in pieces of at most `limit` characters, cut at paragraph, line or
    word boundaries where possible (never inside an HTML entity: we escape after)."""
    text = text.strip() or "…"
    pieces: list[str] = []
    while len(text) > limit:
        cut = max(text.rfind("\n\n", 0, limit), text.rfind("\n", 0, limit))
        if cut < limit // 2:
            cut = text.rfind(" ", 0, limit)
        if cut < limit // 2:
            cut = limit
        pieces.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    pieces.append(text)
    return pieces


def esc(text: str) -> str:
    """Escape for Telegram's HTML parse mode (&, <, >; quotes are harmless)."""
    return html.escape(text, quote=False)
