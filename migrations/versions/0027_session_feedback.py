"""session feedback: a participant's rating and comment of a session that ended (issue #28 item 4)

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-07 20:30:00

One row per person and session (uq_programme_feedback): concurrent ratings of one person are one row.
"""

from __future__ import annotations

import sqlalchemy as sa
from advanced_alchemy.types import DateTimeUTC
from alembic import op

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "programme_feedback",
        sa.Column("id", ID, sa.Identity(always=False, start=1, increment=1), nullable=False),
        sa.Column("session_id", ID, nullable=False),
        sa.Column("edition_id", ID, nullable=False),
        sa.Column("user_id", ID, nullable=True),
        sa.Column("rating", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("comment_status", sa.String(length=10), nullable=False),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["programme_session.id"],
            name=op.f("fk_programme_feedback_session_id_programme_session"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["edition_id"],
            ["edition.id"],
            name=op.f("fk_programme_feedback_edition_id_edition"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_programme_feedback_user_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_programme_feedback")),
        sa.UniqueConstraint("session_id", "user_id", name="uq_programme_feedback"),
    )
    op.create_index(op.f("ix_programme_feedback_edition_id"), "programme_feedback", ["edition_id"])
    op.create_index(op.f("ix_programme_feedback_user_id"), "programme_feedback", ["user_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_programme_feedback_user_id"), table_name="programme_feedback")
    op.drop_index(op.f("ix_programme_feedback_edition_id"), table_name="programme_feedback")
    op.drop_table("programme_feedback")
