"""The words around the figures: titles, questions and option labels in the
viewer's locale, from the dialogues and the content catalogue."""

from __future__ import annotations

import re

from bot.dialogues.compile import CompiledDialogue
from bot.dialogues.content import PLACEHOLDER
from bot.dialogues.model import Part, State
from bot.engine import Context, Engine


class Texts:
    """Reads labels from the engine, so reports show what the people were shown."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def dialogues(self) -> list[tuple[str, CompiledDialogue]]:
        """Every dialogue, in training-part order, then by id (the overview's rows)."""
        order = {part: i for i, part in enumerate(Part)}
        return sorted(
            self.engine.dialogues.items(), key=lambda item: (order[item[1].spec.part], item[0])
        )

    def text(self, locale: str, key: str) -> str:
        return self.engine.catalog.text(locale, key)

    def title(self, compiled: CompiledDialogue, locale: str) -> str:
        return self.text(locale, compiled.spec.title)

    def question(self, state: State, locale: str) -> str:
        """The question as asked: the last text said in its state, with what it says
        of one person (their name, an earlier answer) replaced by a neutral word:
        a report speaks of everyone at once."""
        says = state.says
        if not says:
            return ""
        neutral = self.text(locale, "web.agg.placeholder")
        return PLACEHOLDER.sub(neutral, self.text(locale, says[-1]))

    def short(self, state: State, locale: str, limit: int = 60) -> str:
        """The question itself, to name a funnel row: the sentence with the first
        question mark (not the lead-in before it, nor the options listed after
        it), cut at a word when it is still too long. The whole text is under the
        question's own heading."""
        text = " ".join(self.question(state, locale).split())
        if "?" in text:
            asked = text[: text.index("?") + 1]
            text = re.split(r"(?<=[.!])\s+", asked)[-1]
        if len(text) <= limit:
            return text
        cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(" ,.;:")
        return f"{cut}…"

    def options(self, state: State, locale: str) -> dict[str, str]:
        """Option id -> label, in the dialogue's order (scales: every value)."""
        ask = state.ask
        ctx = Context(locale)
        render = self.engine.render
        if ask is None:
            return {}
        if ask.scale is not None:
            return self._scale(ask.scale.min, ask.scale.max, ask.scale.low, ask.scale.high, locale)
        spec = ask.choice or ask.multi
        if spec is not None:
            return {o.id: o.label for o in render.options(spec.options, ctx)}
        if ask.yesno:
            return {"yes": render.text(ctx, "common.yes"), "no": render.text(ctx, "common.no")}
        return {}

    def _scale(
        self, low: int, high: int, low_key: str | None, high_key: str | None, locale: str
    ) -> dict[str, str]:
        """Every value of a scale; its ends with their words ("1 (onzeker)"), so a
        bare number is read against the range it was given on."""
        labels = {str(n): str(n) for n in range(low, high + 1)}
        if low_key:
            labels[str(low)] = f"{low} ({self.text(locale, low_key)})"
        if high_key:
            labels[str(high)] = f"{high} ({self.text(locale, high_key)})"
        return labels
