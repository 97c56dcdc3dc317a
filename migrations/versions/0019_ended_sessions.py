"""ended sessions: signing out ends this device's session only (its id is recorded and refused)

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07 15:30:00

Until now signing out ended every session of the account (user_account.sessions_ended_at), so one check-in
phone signing out signed out the others on the same account. That stays as "sign out everywhere".
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from advanced_alchemy.types import DateTimeUTC

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ended_session",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            sa.Identity(always=False, start=1, increment=1),
            nullable=False,
        ),
        sa.Column("session_id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("ended_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_ended_session_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ended_session")),
        sa.UniqueConstraint("session_id", name=op.f("uq_ended_session_session_id")),
    )
    with op.batch_alter_table("ended_session") as batch:
        batch.create_index(batch.f("ix_ended_session_ended_at"), ["ended_at"], unique=False)
        batch.create_index(batch.f("ix_ended_session_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("ended_session") as batch:
        batch.drop_index(batch.f("ix_ended_session_user_id"))
        batch.drop_index(batch.f("ix_ended_session_ended_at"))
    op.drop_table("ended_session")
