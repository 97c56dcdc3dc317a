"""visa letters: invitation letters for visas, requested with passport data and approved by organizers

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-07 21:40:00

A registered person asks for a visa invitation letter with their passport number, date of birth and
nationality (sealed at rest in `passport_data`, deleted after the edition by the retention rules); an
organizer approves it, and a consulate verifies its random `reference` on a public page. At most one open
(requested or approved) letter per person and edition: a partial unique index.
"""

from __future__ import annotations

import sqlalchemy as sa
from advanced_alchemy.types import DateTimeUTC
from alembic import op

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None

OPEN = "status IN ('requested', 'approved')"
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "visa_letter",
        sa.Column("id", ID, sa.Identity(always=False, start=1, increment=1), nullable=False),
        sa.Column("edition_id", ID, nullable=False),
        sa.Column("user_id", ID, nullable=False),
        sa.Column("registration_id", ID, nullable=False),
        sa.Column("reference", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("passport_data", sa.LargeBinary(), nullable=True),
        sa.Column("requested_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("approved_at", DateTimeUTC(timezone=True), nullable=True),
        sa.Column("revoked_at", DateTimeUTC(timezone=True), nullable=True),
        sa.Column("purged_at", DateTimeUTC(timezone=True), nullable=True),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["edition_id"], ["edition.id"], name=op.f("fk_visa_letter_edition_id_edition"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_visa_letter_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["registration_id"],
            ["registration.id"],
            name=op.f("fk_visa_letter_registration_id_registration"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_visa_letter")),
        sa.UniqueConstraint("reference", name=op.f("uq_visa_letter_reference")),
    )
    with op.batch_alter_table("visa_letter") as batch:
        batch.create_index(batch.f("ix_visa_letter_edition_id"), ["edition_id"], unique=False)
        batch.create_index(batch.f("ix_visa_letter_user_id"), ["user_id"], unique=False)
        batch.create_index(batch.f("ix_visa_letter_registration_id"), ["registration_id"], unique=False)
        batch.create_index(batch.f("ix_visa_letter_status"), ["status"], unique=False)
    op.create_index(
        "uq_visa_letter_open",
        "visa_letter",
        ["edition_id", "user_id"],
        unique=True,
        sqlite_where=sa.text(OPEN),
        postgresql_where=sa.text(OPEN),
    )


def downgrade() -> None:
    op.drop_index("uq_visa_letter_open", table_name="visa_letter")
    with op.batch_alter_table("visa_letter") as batch:
        batch.drop_index(batch.f("ix_visa_letter_status"))
        batch.drop_index(batch.f("ix_visa_letter_registration_id"))
        batch.drop_index(batch.f("ix_visa_letter_user_id"))
        batch.drop_index(batch.f("ix_visa_letter_edition_id"))
    op.drop_table("visa_letter")
