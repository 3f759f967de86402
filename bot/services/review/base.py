"""What every part of the review service shares: the dialogues (to name and label
what was answered) and the cipher (to open what was sealed)."""

from __future__ import annotations

from typing import Any

from bot.clock import Clock, SystemClock
from bot.dialogues.compile import CompiledDialogue
from bot.engine import Context, Engine, UnknownDialogue
from bot.privacy import PLAIN, TextCipher
from bot.store.db import Database
from bot.store.models import AnswerRow


class ReviewBase:
    """Configuration and the texts of answers, read the same way by the answers,
    the feedback and the group choices."""

    def __init__(
        self,
        db: Database,
        engine: Engine,
        clock: Clock | None = None,
        cipher: TextCipher = PLAIN,
    ) -> None:
        self.db = db
        self.engine = engine
        self.clock: Clock = clock or SystemClock()
        # Opens free-text answers and feedback for display; seals new feedback.
        self.cipher = cipher

    def _dialogue(self, dialogue_id: str) -> CompiledDialogue | None:
        """The dialogue, or None when it was removed (its old runs stay readable)."""
        try:
            return self.engine.dialogue(dialogue_id)
        except UnknownDialogue:
            return None

    def _title(self, dialogue_id: str, locale: str) -> str:
        """The dialogue's title in `locale`; its id when the dialogue was removed."""
        compiled = self._dialogue(dialogue_id)
        if compiled is None:
            return dialogue_id
        return self.engine.catalog.text(locale, compiled.spec.title)

    def _shown(self, row: AnswerRow, locale: str) -> str:
        """An answer as a person reads it; the raw value when the dialogue changed
        so much that its state or options are gone (old runs stay readable)."""
        value = stored(row, self.cipher)
        raw = _as_text(value)
        if row.kind == "text":
            return raw
        compiled = self._dialogue(row.dialogue_id)
        state = compiled.spec.states.get(row.state) if compiled else None
        if state is None:
            return raw
        label = self.engine.render.answer_label(state, value, Context(locale))
        return label or raw


def stored(row: AnswerRow, cipher: TextCipher) -> Any:
    """The answer's value: free text lives in `text` (sealed by the cipher when a
    key is set), everything else in `value`."""
    if row.kind == "text":
        return None if row.text is None else cipher.open(row.text, row.encrypted)
    return row.value


def _as_text(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return "" if value is None else str(value)
