"""The review service as callers get it: one object, built once by the composition
root (bot/bootstrap.py)."""

from __future__ import annotations

from bot.services.review.answers import ReviewAnswers
from bot.services.review.choices import GroupChoices
from bot.services.review.feedback import TrainerFeedback


class Review(ReviewAnswers, TrainerFeedback, GroupChoices):
    """Answers, feedback and group choices, each behind its access rule.

    The jobs live in their own modules and share one configuration
    (`ReviewBase`), so an answer reads the same in a trainer's review, in a
    feedback notice and in a group's distribution.
    """
