"""Trainers' feedback on an answer, and getting it to the professional once.

Feedback is written in the chat or on the dashboard; the bot delivers it. The
dashboard cannot send, so the bot's dispatcher picks up what is left
undelivered, and a claim decides who sends (the same at-most-once trade-off as
for pushes, bot/services/pushes/outbox.py).
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.services import access
from bot.services.access import AccessDenied, Gone
from bot.services.review.base import ReviewBase
from bot.services.review.views import FeedbackNotice
from bot.store.db import affected
from bot.store.models import AnswerRow, Feedback, Person
from bot.store.repo import Repository

FEEDBACK_MAX = 2000


class TrainerFeedback(ReviewBase):
    """Writing feedback, and the delivery bookkeeping the channel needs."""

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
        dispatcher) or it is gone. At most once, as for pushes: a crash between
        this mark and the request loses the message rather than sending it twice;
        a send that fails while we still run releases it.
        """

        def work(session: Session) -> bool:
            taken = session.execute(
                update(Feedback)
                .where(Feedback.id == feedback_id, Feedback.delivered_at.is_(None))
                .values(delivered_at=self.clock.now())
            )
            return affected(taken) == 1

        return await self.db.write(work)

    async def release_feedback(self, feedback_id: int) -> None:
        """The send failed (Telegram refused or could not be reached): try again later."""

        def work(session: Session) -> None:
            session.execute(
                update(Feedback).where(Feedback.id == feedback_id).values(delivered_at=None)
            )

        await self.db.write(work)

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
