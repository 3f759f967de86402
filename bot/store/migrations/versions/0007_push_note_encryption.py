"""push note encryption

A trainer's note on a push may name people or cases, so it is sealed with the
encryption key like answers and feedback; the flag says which notes are.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28 21:55:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("pushes", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("note_encrypted", sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("pushes", schema=None) as batch_op:
        batch_op.drop_column("note_encrypted")
