"""Multi-step chat tasks in progress (a trainer composing a push, typing feedback).

Stored per person in the database, like runs: a restart in the middle of a
task loses nothing, and a second worker sees the same state.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from bot.store.db import Database
from bot.store.models import Draft, HandledUpdate, utcnow


@dataclass(frozen=True)
class Task:
    kind: str
    data: dict[str, Any]


class Drafts:
    """Read, write and clear a person's task in progress."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def get(self, person_id: int) -> Task | None:
        def work(session: Session) -> Task | None:
            row = session.get(Draft, person_id)
            return Task(row.kind, dict(row.data or {})) if row else None

        return await self.db.read(work)

    async def put(self, person_id: int, kind: str, data: dict[str, Any]) -> None:
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
