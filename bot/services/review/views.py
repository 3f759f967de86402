"""What the review service hands out: plain values, so that adapters never hold a
database row (and cannot lazy-load past the access rule)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


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
