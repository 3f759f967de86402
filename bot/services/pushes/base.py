"""What every part of the pushes service shares: where it stores, what time it is,
and the sending policy (quiet hours, reminders, leases)."""

from __future__ import annotations

import os
import socket
from datetime import timedelta

from bot.clock import Clock
from bot.privacy import PLAIN, TextCipher
from bot.services.pushes.quiet import DEFAULT_QUIET, QuietHours
from bot.store.db import Database


def default_worker() -> str:
    """This process's name in the logs and on the pushes it fans out: host and pid,
    so two workers on one machine stay apart."""
    return f"{socket.gethostname()}:{os.getpid()}"[:64]


class PushesBase:
    """The configuration the trainer actions, the outbox and the reminders read.

    One object, so that a push is created, sent and followed up under the same
    quiet hours, lease and cipher.
    """

    def __init__(
        self,
        db: Database,
        clock: Clock,
        quiet: QuietHours = DEFAULT_QUIET,
        reminder_after: timedelta = timedelta(hours=48),
        max_reminders: int = 1,
        lease: timedelta = timedelta(seconds=60),
        worker: str | None = None,
        cipher: TextCipher = PLAIN,
    ) -> None:
        self.db = db
        self.clock = clock
        # A trainer's note may name people or cases: sealed like answers (bot/privacy/cipher.py).
        self.cipher = cipher
        self.quiet = quiet
        self.reminder_after = reminder_after
        self.max_reminders = max_reminders
        self.lease = lease
        self.worker = (worker or default_worker())[:64]
        # SQLite has no row locks (it serialises writers); PostgreSQL needs FOR UPDATE.
        self._postgres = not db.sqlite
