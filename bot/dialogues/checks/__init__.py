"""The validator's checks, grouped by what they look at.

One dialogue file: `structure` (graph and states), `branch_conditions`,
`conventions` (method, craft tags, confidence), `privacy_reminders`, gathered by
`dialogue`. One dialogue in one locale: `texts`. The locales alone:
`required_texts`, `locales` (translations, knowledge cards). Across dialogues:
`support_sentences`. The catalog runs them; tests use the facts they share.
"""

from bot.dialogues.checks.dialogue import check_dialogue
from bot.dialogues.checks.locales import (
    check_incomplete_cards,
    check_library_cards,
    check_translation_gaps,
)
from bot.dialogues.checks.names import stored_keys
from bot.dialogues.checks.required_texts import check_required_texts
from bot.dialogues.checks.support_sentences import check_repeated_support, support_states
from bot.dialogues.checks.texts import check_texts

__all__ = [
    "check_dialogue",
    "check_incomplete_cards",
    "check_library_cards",
    "check_repeated_support",
    "check_required_texts",
    "check_texts",
    "check_translation_gaps",
    "stored_keys",
    "support_states",
]
