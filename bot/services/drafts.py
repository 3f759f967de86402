"""Multi-step chat tasks in progress (a trainer composing a push, typing feedback).

Stored per person in the database, like runs: a restart in the middle of a
task loses nothing, and a second worker sees the same state. A task may hold what
a trainer typed (a push's note), so with an encryption key the whole task is
sealed like answers; a task sealed under a key that is gone is dropped (it is
minutes old, and the trainer starts it again) rather than shown garbled.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from bot.privacy import PLAIN, CipherError, TextCipher
from bot.store.db import Database
from bot.store.models import Draft, HandledUpdate, utcnow

log = logging.getLogger(__name__)
SEALED = "sealed"  # the key of a sealed task's stored data


@dataclass(frozen=True)
class Task:
    kind: str
    data: dict[str, Any]


class Drafts:
    """Read, write and clear a person's task in progress."""

    def __init__(self, db: Database, cipher: TextCipher = PLAIN) -> None:
        self.db = db
        self.cipher = cipher

    async def get(self, person_id: int) -> Task | None:
        def work(session: Session) -> Task | None:
            row = session.get(Draft, person_id)
            return Task(row.kind, self._open(row.data or {})) if row else None

        try:
            return await self.db.read(work)
        except CipherError:
            log.warning("a task in progress was sealed with a key that is gone; dropped")
            await self.clear(person_id)
            return None

    async def put(self, person_id: int, kind: str, data: dict[str, Any]) -> None:
        data = self._seal(data)

        def work(session: Session) -> None:
            row = session.get(Draft, person_id)
            if row is None:
                session.add(Draft(person_id=person_id, kind=kind, data=data))
            else:
                row.kind, row.data, row.updated_at = kind, data, utcnow()

        await self.db.write(work)

    async def clear(self, person_id: int) -> None:
        def work(session: Session) -> None:
            row = session.get(Draft, person_id)
            if row is not None:
                session.delete(row)

        await self.db.write(work)

    async def first_time(self, update_id: int) -> bool:
        """Record an update id; False if it was handled before (at most once)."""

        def work(session: Session) -> bool:
            if session.get(HandledUpdate, update_id) is not None:
                return False
            session.add(HandledUpdate(update_id=update_id))
            return True

        return await self.db.write(work)

    def _seal(self, data: dict[str, Any]) -> dict[str, Any]:
        if not self.cipher.enabled:
            return data
        return {SEALED: self.cipher.seal(json.dumps(data))[0]}

    def _open(self, stored: dict[str, Any]) -> dict[str, Any]:
        if SEALED in stored:
            return dict(json.loads(self.cipher.open(stored[SEALED], True)))
        return dict(stored)
