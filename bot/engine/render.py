"""Turn a state into outgoing messages, in the person's locale."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.dialogues.catalog import Catalog
from bot.dialogues.compile import CompiledDialogue
from bot.dialogues.content import fill
from bot.dialogues.model import State
from bot.engine.types import Context, Option, Progress, Reply, RunState, Widget


class Renderer:
    """Builds Reply data from states and texts; shared by every channel."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog

    def text(self, ctx: Context, key: str, **values: object) -> str:
        """A common or dialogue text with placeholders filled."""
        return fill(self.catalog.text(ctx.locale, key), {k: str(v) for k, v in values.items()})

    def state(self, compiled: CompiledDialogue, run: RunState, ctx: Context) -> list[Reply]:
        """All messages of the run's current state; the last carries the widget."""
        state = compiled.spec.states[run.state]
        values = self.placeholder_values(compiled, run.answers, ctx)
        replies = [
            Reply(fill(self.catalog.text(ctx.locale, key), values), "say") for key in state.says
        ]
        if state.card:
            replies.append(self.card(state.card, ctx, values))
        if state.end:
            return replies
        last = replies.pop()
        replies.append(
            Reply(
                last.text,
                last.kind,
                last.title,
                self.widget(compiled, run, ctx),
                self.progress(compiled, run, ctx),
            )
        )
        return replies

    def question(self, compiled: CompiledDialogue, run: RunState, ctx: Context) -> Reply:
        """Only the message that carries the widget (for re-prompts and toggles)."""
        return self.state(compiled, run, ctx)[-1]

    def card(self, key: str, ctx: Context, values: Mapping[str, str]) -> Reply:
        """A knowledge card: a title and a body."""
        title = fill(self.catalog.text(ctx.locale, f"{key}.title"), values)
        body = fill(self.catalog.text(ctx.locale, f"{key}.body"), values)
        return Reply(body, "card", title=self.text(ctx, "common.card", title=title))

    def widget(self, compiled: CompiledDialogue, run: RunState, ctx: Context) -> Widget:
        """The input of the current state, with navigation."""
        state = compiled.spec.states[run.state]
        kind = state.input_kind or "continue"
        nav = self.nav(run, ctx)
        ask = state.ask
        if kind == "choice" and ask and ask.choice:
            options = self.options(ask.choice.options, ctx)
            return Widget(kind, options, nav, step=run.step)
        if kind == "multi" and ask and ask.multi:
            chosen = set(run.pending)
            options = tuple(
                Option(o.id, o.label, o.id in chosen) for o in self.options(ask.multi.options, ctx)
            )
            return Widget(
                kind,
                options,
                nav,
                confirm=self.text(ctx, "common.confirm"),
                min=ask.multi.min,
                max=ask.multi.max,
                step=run.step,
            )
        if kind == "scale" and ask and ask.scale:
            scale = ask.scale
            options = tuple(Option(str(n), str(n)) for n in range(scale.min, scale.max + 1))
            return Widget(
                kind,
                options,
                nav,
                low=self.text(ctx, scale.low) if scale.low else None,
                high=self.text(ctx, scale.high) if scale.high else None,
                min=scale.min,
                max=scale.max,
                step=run.step,
            )
        if kind == "yesno":
            options = (
                Option("yes", self.text(ctx, "common.yes")),
                Option("no", self.text(ctx, "common.no")),
            )
            return Widget(kind, options, nav, step=run.step)
        if kind == "text" and ask and ask.text:
            return Widget(kind, (), nav, min=ask.text.min, max=ask.text.max, step=run.step)
        return Widget(
            "continue", (Option("continue", self.text(ctx, "common.continue")),), nav, step=run.step
        )

    def nav(self, run: RunState, ctx: Context) -> tuple[Option, ...]:
        """Pause and stop always; back when there is a step to go back to."""
        actions = (["back"] if run.history else []) + ["pause", "stop"]
        return tuple(Option(a, self.text(ctx, f"common.nav.{a}")) for a in actions)

    def options(self, options: Mapping[str, str], ctx: Context) -> tuple[Option, ...]:
        return tuple(Option(oid, self.text(ctx, key)) for oid, key in options.items())

    def progress(self, compiled: CompiledDialogue, run: RunState, ctx: Context) -> Progress:
        """`step n of total`: steps done plus the longest way still ahead."""
        step = len(run.history) + 1
        total = len(run.history) + compiled.remaining.get(run.state, 1)
        return Progress(step, total, self.text(ctx, "common.progress", step=step, total=total))

    def answer_label(self, state: State, value: Any, ctx: Context) -> str:
        """How an answer reads back to the person (labels, not option ids)."""
        ask = state.ask
        if ask is None:
            return str(value)
        spec = ask.choice or ask.multi
        if spec is not None:
            ids = value if isinstance(value, list) else [value]
            return ", ".join(self.text(ctx, spec.options[i]) for i in ids if i in spec.options)
        if ask.yesno:
            return self.text(ctx, f"common.{value}")
        return str(value)

    def placeholder_values(
        self, compiled: CompiledDialogue, answers: Mapping[str, Any], ctx: Context
    ) -> dict[str, str]:
        """`{first_name}` and every stored answer, as the person would read them."""
        values = {"first_name": ctx.first_name}
        for name, state in compiled.spec.states.items():
            key = state.store
            if key and key in answers and key not in values:
                values[key] = self.answer_label(compiled.spec.states[name], answers[key], ctx)
        return values
