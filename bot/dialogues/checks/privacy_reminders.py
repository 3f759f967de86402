"""One privacy reminder per block of free-text questions.

A reminder shown again while the person is still writing (only free text and
information steps since the last one) reads like a sermon, and people stop
reading it.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator

from bot.dialogues.flow import predecessors
from bot.dialogues.model import Dialogue, State
from bot.dialogues.problems import Problem
from bot.dialogues.yamlsource import PathKey, YamlDoc

# The shared privacy reminder; a dialogue's own reminder has a key ending in `privacy...`.
PRIVACY_REMINDER = "common.privacy_reminder"

# Steps that keep a block of writing going: free text, and information in between.
_WRITING = ("text", "continue")


def is_privacy_reminder(key: str) -> bool:
    """The shared reminder, or a dialogue's own (`<id>.privacy`, `<id>.privacy_kort`, ...)."""
    return key == PRIVACY_REMINDER or key.rsplit(".", 1)[-1].startswith("privacy")


def check_privacy_reminders(dialogue: Dialogue, doc: YamlDoc) -> Iterator[Problem]:
    """A reminder on a writing step that an earlier reminder in the same block covers."""
    reminding = {
        name
        for name, state in dialogue.states.items()
        if any(is_privacy_reminder(key) for key in state.says)
    }
    incoming = predecessors(dialogue)
    for name, state in dialogue.states.items():
        if name not in reminding or state.input_kind not in _WRITING:
            continue
        earlier = _reminder_before(dialogue, name, reminding, incoming)
        if earlier is None:
            continue
        yield doc.problem(
            _reminder_path(name, state),
            f"state '{name}' repeats the privacy reminder that '{earlier}' showed "
            "in the same row of free-text questions",
            "keep one reminder per block of free-text questions, at its first question",
        )


def _reminder_path(name: str, state: State) -> PathKey:
    """Where the reminder is named: the `say` entry itself when `say` is a list."""
    path: PathKey = ("states", name, "say")
    if isinstance(state.say, list):
        index = next(i for i, key in enumerate(state.says) if is_privacy_reminder(key))
        path = (*path, index)
    return path


def _reminder_before(
    dialogue: Dialogue, name: str, reminding: set[str], incoming: dict[str, list[str]]
) -> str | None:
    """A state with a reminder that can come just before `name`, with only free-text
    questions and information steps in between; None if there is none."""
    seen = {name}
    queue = deque(incoming[name])
    while queue:
        current = queue.popleft()
        if current in seen:
            continue
        seen.add(current)
        if current in reminding:
            return current
        if dialogue.states[current].input_kind in _WRITING:
            queue.extend(incoming[current])
    return None
