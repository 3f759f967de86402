"""Trainers' review of their groups, and professionals' look back at their own answers.

"Nobody sees anything of a group they are not in" (DESIGN.md, contracts) is
enforced here, in the queries, not in the menus that call them: every query that
returns a person's answers carries the access rule as a join or EXISTS on
Membership with the trainer role, built by the helpers at the bottom of this
module. A separate guard query decides between AccessDenied and an empty
answer, but even a caller that skipped the guard would get no foreign rows.

Only the trainer role opens individual answers; a coordinator's membership does
not, and neither does being a professional in the same group. Memberships are
read in the same transaction as the data, so a removed member (whose Membership
row is deleted) loses access with the very next call, and no longer counts in
any group figure.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    Executable,
    Integer,
    bindparam,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from bot.clock import Clock, SystemClock
from bot.dialogues.compile import CompiledDialogue
from bot.engine import Context, Engine
from bot.engine.engine import UnknownDialogue
from bot.privacy.cipher import PLAIN, TextCipher
from bot.services import access
from bot.services.access import COORDINATOR, PROFESSIONAL, TRAINER, AccessDenied, Gone
from bot.services.audit import VIEW_ANSWERS, record_in
from bot.store.db import Database
from bot.store.direct import Direct
from bot.store.models import (
    AnswerRow,
    Feedback,
    Membership,
    Person,
    Push,
    Run,
)
from bot.store.repo import Repository

# Roles a trainer may hand out: a coordinator invite stays with the operator (CLI).
TRAINER_GRANTS = (PROFESSIONAL, TRAINER)
# Kinds whose answers are options, so a group distribution can be shown without text.
CHOICE_KINDS = ("choice", "multi", "yesno")
# A distribution is shown only when at least this many people answered, so no
# single person's choice can be read from it.
MIN_GROUP = 5
FEEDBACK_MAX = 2000
_ROLE_ORDER = {TRAINER: 0, COORDINATOR: 1, PROFESSIONAL: 2}


@dataclass(frozen=True)
class FeedbackView:
    """Feedback on an answer, with the first name of the trainer who wrote it."""

    id: int
    text: str
    trainer_name: str
    created_at: datetime


@dataclass(frozen=True)
class AnswerView:
    """One stored answer. `shown` reads as the person saw it: option labels in the
    viewer's locale, free text as typed; `value` is the raw stored value."""

    answer_id: int
    run_id: int
    dialogue_id: str
    state: str
    key: str
    kind: str
    value: Any
    shown: str
    answered_at: datetime
    feedback: list[FeedbackView]


@dataclass(frozen=True)
class RunView:
    """One run of a dialogue with its answers, in the order they were given."""

    run_id: int
    dialogue_id: str
    title: str
    status: str
    started_at: datetime
    finished_at: datetime | None
    answers: list[AnswerView]


@dataclass(frozen=True)
class FeedbackNotice:
    """What the channel sends to the professional, in the professional's locale."""

    feedback_id: int
    professional_id: int
    channel: str
    external_id: str
    locale: str
    dialogue_id: str
    title: str
    question_key: str
    answer_shown: str
    text: str


class Review:
    """Groups, members, invites, answers and feedback, each behind its access rule."""

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

    # -- answers -----------------------------------------------------------------

    async def runs_of(
        self, viewer_id: int, person_id: int, dialogue_id: str | None = None, locale: str = "nl"
    ) -> list[RunView]:
        """A person's runs with answers and feedback, newest first.

        Allowed for the person themselves, and for a trainer of a group the person
        is a member of; anyone else gets AccessDenied. A trainer's look is written
        to the audit log (once per group they share) in the same transaction, so
        no answers are shown without a trace.
        """

        def work(session: Session) -> list[RunView]:
            if viewer_id != person_id:
                if not access.trains_person(session, viewer_id, person_id):
                    raise AccessDenied(f"person {viewer_id} may not review person {person_id}")
                for group_id in access.shared_groups(session, viewer_id, person_id):
                    record_in(
                        session,
                        self.clock.now(),
                        viewer_id,
                        VIEW_ANSWERS,
                        group_id=group_id,
                        subject_id=person_id,
                        detail=dialogue_id,
                    )
            query = select(Run).where(
                Run.person_id == person_id, access.reviewable(viewer_id, Run.person_id)
            )
            if dialogue_id is not None:
                query = query.where(Run.dialogue_id == dialogue_id)
            runs = (session.execute(query.order_by(Run.id.desc()))).scalars().all()
            answers = self._answers(session, viewer_id, [r.id for r in runs], locale)
            return [
                RunView(
                    run.id,
                    run.dialogue_id,
                    self._title(run.dialogue_id, locale),
                    run.status,
                    run.started_at,
                    run.finished_at,
                    answers.get(run.id, []),
                )
                for run in runs
            ]

        # Someone else's answers: a write transaction, for the audit entry.
        return await (self.db.read if viewer_id == person_id else self.db.write)(work)

    async def push_answers(
        self, viewer_id: int, push_id: int, locale: str = "nl"
    ) -> dict[int, list[AnswerView]]:
        """Per current member of the push's group, the answers of their runs opened
        from this push (an empty list for a member without any).

        Only for a trainer of the push's group. Removed members are left out: their
        membership is gone, so they are no longer part of the group's review. The
        look is written to the audit log in the same transaction.
        """

        def work(session: Session) -> dict[int, list[AnswerView]]:
            push = session.get(Push, push_id)
            if push is None:
                raise Gone(f"push {push_id}")
            access.require_trainer(session, viewer_id, push.group_id)
            record_in(
                session,
                self.clock.now(),
                viewer_id,
                VIEW_ANSWERS,
                group_id=push.group_id,
                detail=f"push {push_id}",
            )
            members = select(Membership.person_id).where(
                Membership.group_id == push.group_id,
                Membership.group_id.in_(access.trained_groups(viewer_id)),
            )
            people = session.execute(members.order_by(Membership.person_id)).scalars()
            result: dict[int, list[AnswerView]] = {pid: [] for pid in people}
            runs = select(Run.id, Run.person_id).where(
                Run.push_id == push_id,
                Run.person_id.in_(members),
                access.reviewable(viewer_id, Run.person_id),
            )
            rows = session.execute(runs.order_by(Run.id)).all()
            owners = {row.id: row.person_id for row in rows}
            by_run = self._answers(session, viewer_id, list(owners), locale)
            for run_id, owner in owners.items():
                result.setdefault(owner, []).extend(by_run.get(run_id, []))
            return result

        return await self.db.write(work)

    async def add_feedback(self, viewer_id: int, answer_id: int, text: str) -> FeedbackNotice:
        """Store a trainer's feedback on an answer and say what to send to its author.

        Allowed for a trainer of a group the answer's author is in. An answer that
        no longer exists (erased, or replaced by going back) raises Gone.
        """
        text = text.strip()
        if not 1 <= len(text) <= FEEDBACK_MAX:
            raise ValueError(f"feedback must be 1 to {FEEDBACK_MAX} characters")

        def work(session: Session) -> FeedbackNotice:
            lookup = select(AnswerRow).where(AnswerRow.id == answer_id)
            if Repository(session).postgres:
                # Hold the answer until commit, so an erasure cannot slip in between.
                lookup = lookup.with_for_update(read=True)
            answer = session.execute(lookup).scalar_one_or_none()
            if answer is None:
                raise Gone(f"answer {answer_id}")
            if not access.trains_person(session, viewer_id, answer.person_id):
                raise AccessDenied(f"person {viewer_id} may not give feedback on {answer_id}")
            author = session.get(Person, answer.person_id)
            if author is None:  # cannot happen: answers cascade with their person
                raise Gone(f"author of answer {answer_id}")
            sealed, encrypted = self.cipher.seal(text)
            feedback = Feedback(
                answer_id=answer.id,
                trainer_id=viewer_id,
                text=sealed,
                encrypted=encrypted,
                created_at=self.clock.now(),
            )
            session.add(feedback)
            try:
                session.flush()
            except IntegrityError as exc:  # the answer vanished after all
                raise Gone(f"answer {answer_id}") from exc
            return self._notice(feedback.id, answer, author, text)

        return await self.db.write(work)

    async def undelivered_feedback(
        self, older_than: timedelta, limit: int = 30
    ) -> list[FeedbackNotice]:
        """Feedback written elsewhere (the dashboard) that the bot has yet to deliver.

        Only feedback older than `older_than`, so feedback the bot is sending right
        now from the chat is not picked up a second time.
        """

        def work(session: Session) -> list[FeedbackNotice]:
            query = (
                select(Feedback, AnswerRow, Person)
                .join(AnswerRow, AnswerRow.id == Feedback.answer_id)
                .join(Person, Person.id == AnswerRow.person_id)
                .where(
                    Feedback.delivered_at.is_(None),
                    Feedback.created_at <= self.clock.now() - older_than,
                )
                .order_by(Feedback.id)
                .limit(limit)
            )
            return [
                self._notice(
                    feedback.id, answer, author, self.cipher.open(feedback.text, feedback.encrypted)
                )
                for feedback, answer, author in session.execute(query).all()
            ]

        return await self.db.read(work)

    async def claim_feedback(self, feedback_id: int) -> bool:
        """Take feedback for sending: mark it delivered *before* the message leaves.

        False when another sender took it (two workers, or the chat and the
        dispatcher) or it is gone. At most once, as for pushes (bot/services/pushes.py): a
        crash between this mark and the request loses the message rather than
        sending it twice; a send that fails while we still run releases it.
        """

        def work(session: Session) -> bool:
            taken = session.execute(
                update(Feedback)
                .where(Feedback.id == feedback_id, Feedback.delivered_at.is_(None))
                .values(delivered_at=self.clock.now())
            )
            return taken.rowcount == 1

        return await self.db.write(work)

    async def release_feedback(self, feedback_id: int) -> None:
        """The send failed (Telegram refused or could not be reached): try again later."""

        def work(session: Session) -> None:
            session.execute(
                update(Feedback).where(Feedback.id == feedback_id).values(delivered_at=None)
            )

        await self.db.write(work)

    async def group_choices(
        self, person_id: int, run_id: int, locale: str = "nl"
    ) -> dict[str, dict[str, int]] | None:
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

        # Every finished exercise asks this, so it runs on driver statements.
        found = await self.db.read_direct(work)
        if found is None:
            return None
        dialogue_id, rows = found
        compiled = self._dialogue(dialogue_id)
        keys = _choice_keys(compiled) if compiled is not None else {}
        if compiled is None or not keys:
            return None
        latest: dict[tuple[int, str], tuple[int, Any]] = {}
        for pid, key, value, rid in rows:
            seen = latest.get((pid, key))
            if key in keys and (seen is None or rid > seen[0]):
                latest[(pid, key)] = (rid, value)
        result: dict[str, dict[str, int]] = {}
        for key, state in keys.items():
            values = [v for (_, k), (_, v) in latest.items() if k == key]
            if len(values) < MIN_GROUP:
                continue
            result[key] = self._distribution(compiled, state, values, locale)
        return result or None

    # -- internals ---------------------------------------------------------------------

    def _notice(
        self, feedback_id: int, answer: AnswerRow, author: Person, text: str
    ) -> FeedbackNotice:
        """What the bot needs to deliver feedback, in the professional's own locale."""
        return FeedbackNotice(
            feedback_id,
            author.id,
            author.channel,
            author.external_id,
            author.locale,
            answer.dialogue_id,
            self._title(answer.dialogue_id, author.locale),
            answer.key,
            self._shown(answer, author.locale),
            text,
        )

    def _answers(
        self, session: Session, viewer_id: int, run_ids: Sequence[int], locale: str
    ) -> dict[int, list[AnswerView]]:
        """Answers of these runs with their feedback, per run, in answering order.

        The access rule is applied again on the answers' authors, so this helper
        never returns an answer the viewer may not read, whatever ids it is given.
        """
        if not run_ids:
            return {}
        query = (
            select(AnswerRow)
            .where(AnswerRow.run_id.in_(run_ids), access.reviewable(viewer_id, AnswerRow.person_id))
            .order_by(AnswerRow.run_id, AnswerRow.created_at, AnswerRow.id)
        )
        rows = session.execute(query).scalars().all()
        feedback = _feedback_of(session, [row.id for row in rows], self.cipher)
        result: dict[int, list[AnswerView]] = {}
        for row in rows:
            result.setdefault(row.run_id, []).append(
                AnswerView(
                    row.id,
                    row.run_id,
                    row.dialogue_id,
                    row.state,
                    row.key,
                    row.kind,
                    _stored(row, self.cipher),
                    self._shown(row, locale),
                    row.updated_at,
                    feedback.get(row.id, []),
                )
            )
        return result

    def _dialogue(self, dialogue_id: str) -> CompiledDialogue | None:
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
        value = _stored(row, self.cipher)
        raw = _as_text(value)
        if row.kind == "text":
            return raw
        compiled = self._dialogue(row.dialogue_id)
        state = compiled.spec.states.get(row.state) if compiled else None
        if state is None:
            return raw
        label = self.engine.render.answer_label(state, value, Context(locale))
        return label or raw

    def _distribution(
        self, compiled: CompiledDialogue, state: str, values: Iterable[Any], locale: str
    ) -> dict[str, int]:
        """Counts per option label, every option listed in the dialogue's order."""
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
        return counts


def _feedback_of(
    session: Session, answer_ids: Sequence[int], cipher: TextCipher
) -> dict[int, list[FeedbackView]]:
    """Feedback per answer, oldest first; callers pass only answers already allowed."""
    if not answer_ids:
        return {}
    query = (
        select(Feedback, Person.first_name)
        .outerjoin(Person, Person.id == Feedback.trainer_id)
        .where(Feedback.answer_id.in_(answer_ids))
        .order_by(Feedback.created_at, Feedback.id)
    )
    result: dict[int, list[FeedbackView]] = {}
    for feedback, name in session.execute(query).all():
        result.setdefault(feedback.answer_id, []).append(
            FeedbackView(
                feedback.id,
                cipher.open(feedback.text, feedback.encrypted),
                name or "",
                feedback.created_at,
            )
        )
    return result


def _choice_keys(compiled: CompiledDialogue) -> dict[str, str]:
    """Stored answer key -> state name, for the states that ask a choice, multi or yes/no."""
    keys: dict[str, str] = {}
    for name, state in compiled.spec.states.items():
        if state.store and state.input_kind in CHOICE_KINDS and state.store not in keys:
            keys[state.store] = name
    return keys


def _stored(row: AnswerRow, cipher: TextCipher) -> Any:
    """The answer's value: free text lives in `text` (sealed by the cipher when a
    key is set), everything else in `value`."""
    if row.kind == "text":
        return None if row.text is None else cipher.open(row.text, row.encrypted)
    return row.value


def _as_text(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return "" if value is None else str(value)


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
