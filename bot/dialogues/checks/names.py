"""The answers a dialogue stores, and the "did you mean" for a name that is none of them.

Conditions, `*_answer` operators and text placeholders may only use a stored
answer, so most checks start from the same table; a mistyped name gets the
closest real one as its hint.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence

from bot.dialogues.model import Dialogue


def stored_keys(dialogue: Dialogue) -> dict[str, str]:
    """Answer name -> the (first) state that stores it."""
    result: dict[str, str] = {}
    for name, state in dialogue.states.items():
        if state.store and state.store not in result:
            result[state.store] = name
    return result


def suggest(word: str, choices: Sequence[str]) -> str:
    """A hint naming the closest choice, or "" when none is close: a wrong hint
    misleads more than none."""
    close = difflib.get_close_matches(word, choices, n=1)
    return f"did you mean '{close[0]}'?" if close else ""
