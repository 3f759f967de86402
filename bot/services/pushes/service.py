"""The pushes service as callers get it: one object for every job, built once by the
composition root (bot/bootstrap.py)."""

from __future__ import annotations

from bot.services.pushes.actions import TrainerActions
from bot.services.pushes.outbox import Outbox
from bot.services.pushes.reminders import Reminders


class Pushes(TrainerActions, Outbox, Reminders):
    """Creating, cancelling, sending and following up trainer pushes.

    Every public method is one transaction. The jobs live in their own modules
    (trainer actions, the outbox, reminders) and share one configuration
    (`PushesBase`), so callers hold one service and a push is created, sent and
    reminded under the same quiet hours, lease and cipher.
    """
