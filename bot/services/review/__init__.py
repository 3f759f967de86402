"""Trainers' review of their groups, professionals' look back at their own answers,
and feedback between them.

Where each job lives:

- `answers`: reading runs and answers behind the access rule, with the audit trace;
- `feedback`: a trainer's feedback on an answer, and its delivery bookkeeping;
- `choices`: how the group chose, shown after finishing an exercise;
- `views`: the plain values handed out; `base`: what the parts share;
- `service`: `Review`, the one object callers hold.
"""

from bot.services.access import AccessDenied, Gone
from bot.services.review.choices import CHOICE_KINDS, MIN_GROUP
from bot.services.review.feedback import FEEDBACK_MAX
from bot.services.review.service import Review
from bot.services.review.views import AnswerView, FeedbackNotice, FeedbackView, RunView

__all__ = [
    "CHOICE_KINDS",
    "FEEDBACK_MAX",
    "MIN_GROUP",
    "AccessDenied",
    "AnswerView",
    "FeedbackNotice",
    "FeedbackView",
    "Gone",
    "Review",
    "RunView",
]
