"""How the group chose: shown to a professional right after they finish an exercise.

Only option values are read, never free text, names or ids; a question shows only
when at least MIN_GROUP people answered it, and its counts follow the same
disclosure rules as the coordinators' figures, so no single person's choice can be
read from it. Memberships are read in the same query, so a removed member no
longer counts. Every finished exercise asks this, so it runs on the driver
statements of bot/store/direct.py rather than the ORM.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Executable, Integer, bindparam, or_, select
from sqlalchemy.orm import aliased

from bot.dialogues.compile import CompiledDialogue
from bot.engine import Context
from bot.services.access import AccessDenied
from bot.services.reports import Cell, count, partition
from bot.services.review.base import ReviewBase
from bot.store.driver import Direct
from bot.store.models import AnswerRow, Membership, Push, Run

# Kinds whose answers are options, so a group distribution can be shown without text.
CHOICE_KINDS = ("choice", "multi", "yesno")
# A distribution is shown only when at least this many people answered, so no
# single person's choice can be read from it.
MIN_GROUP = 5


class GroupChoices(ReviewBase):
    """The group's distribution of choices, for a professional's own finished run."""

    async def group_choices(
        self, person_id: int, run_id: int, locale: str = "nl"
    ) -> dict[str, dict[str, Cell]] | None:
        """How the person's group chose, after they finished a dialogue themselves.

        Per stored choice/multi/yesno key: the count per option label (every option,
        in the dialogue's order) among current members of the person's groups who
        finished the same dialogue, each person counted once per question (their
        answer in their latest finished run that has it). For a run opened from a
        push, only the push's group counts, and only while the person is still in
        it; a push with `show_group` off shows nothing. A key appears only when at
        least MIN_GROUP people answered it; None when no key does. Only option
        values are read, never free text, names or ids.
        """

        def work(tx: Direct) -> tuple[Any, list[tuple[Any, ...]]] | None:
            run = tx.first(_finished_run, run_id=run_id)
            if run is None or run[0] != person_id or run[1] != "finished":
                raise AccessDenied(f"run {run_id} is not a finished run of person {person_id}")
            _, _, dialogue_id, from_push, show_group, push_group = run
            if from_push is not None and show_group is False:
                return None
            group = push_group if from_push is not None else None
            return dialogue_id, tx.rows(
                _peer_choices, person_id=person_id, group_id=group, dialogue=dialogue_id
            )

        found = await self.db.read_direct(work)
        if found is None:
            return None
        dialogue_id, rows = found
        compiled = self._dialogue(dialogue_id)
        keys = _choice_keys(compiled) if compiled is not None else {}
        if compiled is None or not keys:
            return None
        values_of = _latest_values(rows, keys)
        result = {
            key: self._distribution(compiled, state, values_of[key], locale)
            for key, state in keys.items()
            if len(values_of.get(key, [])) >= MIN_GROUP
        }
        return result or None

    def _distribution(
        self, compiled: CompiledDialogue, state: str, values: Iterable[Any], locale: str
    ) -> dict[str, Cell]:
        """Counts per option label, every option listed in the dialogue's order, under
        the disclosure rules of the reports (bot/services/reports/disclosure.py): the
        options of a single choice add up to the people who answered, so a small
        one is hidden with what would give it back; a multiple choice hides each
        count of 1-4 people."""
        ask = compiled.spec.states[state].ask
        spec = (ask.choice or ask.multi) if ask else None
        ids = list(spec.options) if spec else ["yes", "no"]
        ctx = Context(locale)
        labels = {
            oid: self.engine.render.answer_label(compiled.spec.states[state], oid, ctx)
            for oid in ids
        }
        counts = {labels[oid]: 0 for oid in ids}
        for value in values:
            for oid in set(value if isinstance(value, list) else [value]):
                if oid in labels:
                    counts[labels[oid]] += 1
        if ask is not None and ask.multi:
            return {label: count(n) for label, n in counts.items()}
        return partition(counts)


def _latest_values(rows: Sequence[tuple[Any, ...]], keys: Iterable[str]) -> dict[str, list[Any]]:
    """Key -> one value per person: the answer in their latest run that has it, so
    someone who did the exercise twice is counted once."""
    wanted = set(keys)
    latest: dict[tuple[int, str], tuple[int, Any]] = {}
    for pid, key, value, rid in rows:
        seen = latest.get((pid, key))
        if key in wanted and (seen is None or rid > seen[0]):
            latest[(pid, key)] = (rid, value)
    values: dict[str, list[Any]] = {}
    for (_, key), (_, value) in latest.items():
        values.setdefault(key, []).append(value)
    return values


def _choice_keys(compiled: CompiledDialogue) -> dict[str, str]:
    """Stored answer key -> state name, for the states that ask a choice, multi or yes/no."""
    keys: dict[str, str] = {}
    for name, state in compiled.spec.states.items():
        if state.store and state.input_kind in CHOICE_KINDS and state.store not in keys:
            keys[state.store] = name
    return keys


def _finished_run(_: str) -> Executable:
    """A run's owner and status, and the push it came from (whether it shows the group)."""
    return (
        select(Run.person_id, Run.status, Run.dialogue_id, Push.id, Push.show_group, Push.group_id)
        .outerjoin(Push, Push.id == Run.push_id)
        .where(Run.id == bindparam("run_id"))
    )


def _peer_choices(_: str) -> Executable:
    """Choice answers in finished runs of one dialogue by members of the person's groups
    (only of `group_id` when given): person, key, value and run; never free text."""
    mine, peer = aliased(Membership), aliased(Membership)
    group = bindparam("group_id", type_=Integer)
    own = select(mine.group_id).where(
        mine.person_id == bindparam("person_id"), or_(group.is_(None), mine.group_id == group)
    )
    peers = select(peer.person_id).where(peer.group_id.in_(own))
    return (
        select(AnswerRow.person_id, AnswerRow.key, AnswerRow.value, Run.id)
        .join(Run, Run.id == AnswerRow.run_id)
        .where(
            Run.dialogue_id == bindparam("dialogue"),
            Run.status == "finished",
            Run.person_id.in_(peers),
            or_(*(AnswerRow.kind == kind for kind in CHOICE_KINDS)),
        )
    )
