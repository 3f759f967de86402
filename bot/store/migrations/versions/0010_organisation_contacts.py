"""organisation contacts

An organisation's local contacts (its reporting point, its undermining-crime
contact, its Zorg- en Veiligheidshuis, the out-of-hours number for threats),
filled into the exercises' `{contact.<key>}` placeholders. One row per
organisation and key; a key without a row reads as the national route.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "organisation_contacts",
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("value", sa.String(length=200), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_organisation_contacts_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["updated_by"],
            ["people.id"],
            name=op.f("fk_organisation_contacts_updated_by_people"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("organisation_id", "key", name=op.f("pk_organisation_contacts")),
    )


def downgrade() -> None:
    op.drop_table("organisation_contacts")
