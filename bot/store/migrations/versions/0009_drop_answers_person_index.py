"""drop answers person index

ix_answers_person_id is a prefix of ix_answers_person_dialogue_key (0005), which
serves every lookup by person (exports, erasure, cascades). Keeping both cost one
more index page written with every answer and ~20 MB per million answers.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-28 23:45:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("answers", schema=None) as batch_op:
        batch_op.drop_index("ix_answers_person_id")


def downgrade() -> None:
    with op.batch_alter_table("answers", schema=None) as batch_op:
        batch_op.create_index("ix_answers_person_id", ["person_id"], unique=False)
