"""`straatwijs try`: the same engine, texts and progress as Telegram, in a terminal.

Interactive on a terminal; from a pipe it reads one answer per line and echoes
it, so a scripted session reads like a transcript.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TextIO

from bot.engine import Input, Nav, Renderer, Reply, Say
from bot.services.coaching import Coach, Turn, Who

NAV_WORDS: dict[str, str] = {
    "/terug": "back",
    "/back": "back",
    "/pauze": "pause",
    "/pause": "pause",
    "/stop": "stop",
    "/stoppen": "stop",
}
DONE = ("finished", "paused", "stopped")


class Console:
    """Plays one dialogue for one person between an input and an output stream."""

    def __init__(
        self, coach: Coach, who: Who, stdin: TextIO | None = None, stdout: TextIO | None = None
    ) -> None:
        self.coach = coach
        self.who = who
        self.stdin = stdin or sys.stdin
        self.out = stdout or sys.stdout
        self.render = Renderer(coach.engine.catalog)
        self.echo = not self.stdin.isatty()

    async def play(self, dialogue_id: str) -> int:
        """Run until the dialogue ends, is paused or stopped, or input runs out."""
        turn = await self.coach.start(self.who, dialogue_id)
        self.show(turn)
        while turn.outcome is not None and turn.outcome.run.status not in DONE:
            line = self._read()
            if line is None:
                return 0
            turn = await self.coach.handle(self.who, self.to_input(line), turn.run_id)
            self.show(turn)
        return 0

    def to_input(self, line: str) -> Input:
        """A typed line: a navigation command, else an answer the engine interprets."""
        word = line.strip().lower()
        if word in NAV_WORDS:
            return Nav(NAV_WORDS[word])  # type: ignore[arg-type]
        return Say(line.rstrip("\r\n"))

    def show(self, turn: Turn) -> None:
        if turn.outcome is None:
            return
        if turn.outcome.echo:
            self._print(f"  ✓ {turn.outcome.echo}")
        for reply in turn.outcome.replies:
            self._print(self.format(reply))

    def format(self, reply: Reply) -> str:
        """A reply as terminal text: body, options, hints and progress."""
        text = self.render.text
        ctx = self.who.context
        lines: list[str] = []
        if reply.progress:
            lines.append(f"[{reply.progress.label}]")
        if reply.kind == "card" and reply.title:
            lines.append(reply.title)
        lines.append(("! " if reply.kind in ("reprompt", "notice") else "") + reply.text)
        widget = reply.widget
        if widget is not None:
            for number, option in enumerate(widget.options, start=1):
                mark = "[x] " if option.selected else "[ ] " if widget.kind == "multi" else ""
                lines.append(_option_line(widget.kind, number, option.label, mark, widget))
            hint: Callable[[], str] = {
                "choice": lambda: text(ctx, "common.console.choice"),
                "multi": lambda: text(ctx, "common.console.multi"),
                "scale": lambda: text(ctx, "common.console.scale", min=widget.min, max=widget.max),
                "yesno": lambda: text(ctx, "common.console.yesno"),
                "text": lambda: text(ctx, "common.console.text", min=widget.min, max=widget.max),
                "continue": lambda: text(ctx, "common.console.continue"),
            }[widget.kind]
            lines.append(f"{hint()} {text(ctx, 'common.console.nav')}")
        return "\n".join(lines) + "\n"

    def _read(self) -> str | None:
        self.out.write("> ")
        self.out.flush()
        line = self.stdin.readline()
        if not line:
            self.out.write("\n")
            return None
        if self.echo:
            self.out.write(line if line.endswith("\n") else line + "\n")
        return line

    def _print(self, text: str) -> None:
        self.out.write(text + "\n")
        self.out.flush()


def _option_line(kind: str, number: int, label: str, mark: str, widget: object) -> str:
    if kind == "scale":
        low = getattr(widget, "low", None)
        high = getattr(widget, "high", None)
        end = f" ({low})" if number == 1 and low else ""
        if label == str(getattr(widget, "max", "")) and high:
            end = f" ({high})"
        return f"  {label}{end}"
    if kind == "continue":
        return f"  ↵ {label}"
    return f"  {mark}{number}. {label}"
