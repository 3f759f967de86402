"""Key rotation: re-seal every stored free text with the current key.

`straatwijs admin rotate-key` runs this after a new key was put in front of
STRAATWIJS_ENCRYPTION_KEY, so the old key can be dropped afterwards.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import InstrumentedAttribute, Session

from bot.privacy import CipherError, TextCipher
from bot.store.db import Database
from bot.store.models import AnswerRow, Feedback, Push

ROTATE_BATCH = 500


@dataclass
class Rotated:
    """What a rotation did, per table: encrypted from plain, re-encrypted under the
    current key, or left as it was (already under the current key)."""

    answers: Counter[str] = field(default_factory=Counter)
    feedback: Counter[str] = field(default_factory=Counter)
    push_notes: Counter[str] = field(default_factory=Counter)


async def rotate(db: Database, cipher: TextCipher, batch: int = ROTATE_BATCH) -> Rotated:
    """Re-seal every stored answer text, feedback text and push note with the current key.

    Each batch of rows is its own transaction, so a large database is never
    locked for long and an interrupted rotation can simply be run again: rows
    already under the current key are skipped. Counts are added only after a
    batch committed, so a batch retried on a lock is not counted twice.
    """
    if not cipher.enabled:
        raise CipherError("STRAATWIJS_ENCRYPTION_KEY is not set; there is no key to rotate to")
    done = Rotated()
    sealed = (
        (AnswerRow.text, AnswerRow.encrypted, done.answers),
        (Feedback.text, Feedback.encrypted, done.feedback),
        (Push.note, Push.note_encrypted, done.push_notes),
    )
    for text, flag, counts in sealed:
        last = 0
        while True:
            last, seen = await db.write(partial(_rotate_batch, text, flag, cipher, last, batch))
            counts.update(seen)
            if not seen:
                break
    return done


def _rotate_batch(
    text: InstrumentedAttribute[Any],
    flag: InstrumentedAttribute[bool],
    cipher: TextCipher,
    after: int,
    batch: int,
    session: Session,
) -> tuple[int, Counter[str]]:
    """One batch of rows after id `after` (of the table of the `text` column, sealed
    or not as `flag` says): the last id seen and what was done."""
    table = text.class_
    query = (
        select(table.id, text, flag)
        .where(table.id > after, text.is_not(None))
        .order_by(table.id)
        .limit(batch)
    )
    seen: Counter[str] = Counter()
    for row_id, stored, encrypted in session.execute(query).all():
        after = row_id
        sealed = cipher.reseal(stored, encrypted)
        if sealed is None:
            seen["unchanged"] += 1
            continue
        session.execute(
            update(table)
            .where(table.id == row_id)
            .values({text.key: sealed[0], flag.key: sealed[1]})
        )
        seen["reencrypted" if encrypted else "encrypted"] += 1
    return after, seen
