"""retired badge codes: the short code of a reissued badge answers REVOKED at the door, not "unknown"

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07 16:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from advanced_alchemy.types import DateTimeUTC

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "retired_badge_code",
        sa.Column("id", _ID, sa.Identity(always=False, start=1, increment=1), nullable=False),
        sa.Column("edition_id", _ID, nullable=False),
        sa.Column("registration_id", _ID, nullable=False),
        sa.Column("code", sa.String(length=9), nullable=False),
        sa.Column("reason", sa.String(length=20), nullable=False),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["edition_id"], ["edition.id"], name=op.f("fk_retired_badge_code_edition_id_edition"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["registration_id"],
            ["registration.id"],
            name=op.f("fk_retired_badge_code_registration_id_registration"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retired_badge_code")),
        sa.UniqueConstraint("edition_id", "code", name="uq_retired_badge_code"),
    )
    with op.batch_alter_table("retired_badge_code") as batch:
        batch.create_index(
            batch.f("ix_retired_badge_code_registration_id"), ["registration_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("retired_badge_code") as batch:
        batch.drop_index(batch.f("ix_retired_badge_code_registration_id"))
    op.drop_table("retired_badge_code")
