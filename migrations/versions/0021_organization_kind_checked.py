"""organization.kind_checked: whether organizers (or the seed) checked an organization's kind

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07 16:20:00

People now say what kind of organization they typed at sign-up; that kind counts in the report at once but
stays unchecked until an organizer confirms it. Organizations already classified (kind other than "other")
were classified by organizers or the seed, so they start checked.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("organization") as batch:
        batch.add_column(sa.Column("kind_checked", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.execute("UPDATE organization SET kind_checked = (kind <> 'other')")


def downgrade() -> None:
    with op.batch_alter_table("organization") as batch:
        batch.drop_column("kind_checked")
