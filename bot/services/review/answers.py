"""Reading answers: a person's own look back, and a trainer's review of their groups.

"Nobody sees anything of a group they are not in" (DESIGN.md, contracts) is
enforced here, in the queries, not in the menus that call them: every query that
returns a person's answers carries the access rule as a join or EXISTS on
Membership with the trainer role (`access.reviewable`). A separate guard query
decides between AccessDenied and an empty answer, but even a caller that skipped
the guard would get no foreign rows.

Only the trainer role opens individual answers; a coordinator's membership does
not, and neither does being a professional in the same group. Memberships are
read in the same transaction as the data, so a removed member (whose Membership
row is deleted) loses access with the very next call. Every look at someone
else's answers is written to the audit log in that same transaction.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.privacy import TextCipher
from bot.services import access
from bot.services.access import AccessDenied, Gone
from bot.services.audit import VIEW_ANSWERS, record_in
from bot.services.review.base import ReviewBase, stored
from bot.services.review.views import AnswerView, FeedbackView, RunView
from bot.store.models import AnswerRow, Feedback, Membership, Person, Push, Run


class ReviewAnswers(ReviewBase):
    """Runs and answers with their feedback, each behind the access rule."""

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
                self._audit_look(session, viewer_id, person_id, dialogue_id)
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

    def _audit_look(
        self, session: Session, viewer_id: int, person_id: int, dialogue_id: str | None
    ) -> None:
        """Refuse a viewer who trains none of the person's groups; otherwise write the
        look to the audit log, once per group they share."""
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
                    stored(row, self.cipher),
                    self._shown(row, locale),
                    row.updated_at,
                    feedback.get(row.id, []),
                )
            )
        return result


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
