"""The words around the figures: titles, questions and option labels in the
viewer's locale, from the dialogues and the content catalogue."""

from __future__ import annotations

from bot.dialogues.compile import CompiledDialogue
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
        """The question as asked: the last text said in its state."""
        says = state.says
        return self.text(locale, says[-1]) if says else ""

    def options(self, state: State, locale: str) -> dict[str, str]:
        """Option id -> label, in the dialogue's order (scales: every value)."""
        ask = state.ask
        ctx = Context(locale)
        render = self.engine.render
        if ask is None:
            return {}
        if ask.scale is not None:
            return {str(n): str(n) for n in range(ask.scale.min, ask.scale.max + 1)}
        spec = ask.choice or ask.multi
        if spec is not None:
            return {o.id: o.label for o in render.options(spec.options, ctx)}
        if ask.yesno:
            return {"yes": render.text(ctx, "common.yes"), "no": render.text(ctx, "common.no")}
        return {}
