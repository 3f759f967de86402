"""aggregate indexes

An organisation's aggregates (people per answer of one exercise and key) are
driven by the organisation's members: with an index on (person_id, dialogue_id,
key) the database reads only those members' answers, so the view of one
organisation stays fast however many other organisations fill the table.
Without it SQLite picks ix_answers_dialogue_key and reads the answers of every
organisation (bench/RESULTS.md: 1M vs 10k answers went from ~29x to ~3x).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 18:40:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("answers", schema=None) as batch_op:
        batch_op.create_index(
            "ix_answers_person_dialogue_key", ["person_id", "dialogue_id", "key"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("answers", schema=None) as batch_op:
        batch_op.drop_index("ix_answers_person_dialogue_key")
