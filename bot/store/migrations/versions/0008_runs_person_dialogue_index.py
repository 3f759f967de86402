"""runs person dialogue index

The dashboard reads the runs of one exercise by one organisation's people (who
started, where they dropped off). With only ix_runs_dialogue_id SQLite read the
runs of that exercise in every organisation, so the figure grew with the whole
table (bench/RESULTS.md, aggregate_1m_vs_10k); this index starts from the people.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-28 22:00:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.create_index("ix_runs_person_dialogue", ["person_id", "dialogue_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.drop_index("ix_runs_person_dialogue")
