"""Every check that needs one parsed dialogue file and nothing else.

Run right after parsing, so a file's structural mistakes are reported on their
own lines even when the texts or the other dialogues are broken too.
"""

from __future__ import annotations

from bot.dialogues.checks.conventions import check_conventions, check_question_tags
from bot.dialogues.checks.names import stored_keys
from bot.dialogues.checks.privacy_reminders import check_privacy_reminders
from bot.dialogues.checks.structure import check_paths, check_start, check_states
from bot.dialogues.model import Dialogue
from bot.dialogues.problems import Problem
from bot.dialogues.yamlsource import YamlDoc


def check_dialogue(dialogue: Dialogue, doc: YamlDoc) -> list[Problem]:
    """Structural problems: targets, reachability, ends, branches and conditions,
    and the house rules (method, craft tags, privacy reminders)."""
    stored = stored_keys(dialogue)
    return [
        *check_start(dialogue, doc),
        *check_conventions(dialogue, stored, doc),
        *check_question_tags(dialogue, doc),
        *check_privacy_reminders(dialogue, doc),
        *check_states(dialogue, stored, doc),
        *check_paths(dialogue, doc),
    ]
