"""certificates of attendance: one per registration, the online threshold, the "ready" mailings (issue #28 item 3)

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-07 21:40:00

One certificate per registration (uq_certificate_registration): two first downloads at once make one row.
"""

from __future__ import annotations

import sqlalchemy as sa
from advanced_alchemy.types import DateTimeUTC
from alembic import op

revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _audit() -> list[sa.Column]:
    return [
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", DateTimeUTC(timezone=True), nullable=False),
    ]


def _id() -> sa.Column:
    return sa.Column("id", ID, sa.Identity(always=False, start=1, increment=1), nullable=False)


def _edition(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["edition_id"], ["edition.id"], name=op.f(f"fk_{table}_edition_id_edition"), ondelete="CASCADE"
    )


def upgrade() -> None:
    op.create_table(
        "certificate",
        _id(),
        sa.Column("edition_id", ID, nullable=False),
        sa.Column("registration_id", ID, nullable=False),
        sa.Column("reference", sa.String(length=24), nullable=False),
        sa.Column("issued_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("notified_at", DateTimeUTC(timezone=True), nullable=True),
        sa.Column("revoked_at", DateTimeUTC(timezone=True), nullable=True),
        sa.Column("revoked_reason", sa.String(length=20), nullable=True),
        sa.Column("revoked_note", sa.String(length=300), nullable=True),
        *_audit(),
        _edition("certificate"),
        sa.ForeignKeyConstraint(
            ["registration_id"],
            ["registration.id"],
            name=op.f("fk_certificate_registration_id_registration"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certificate")),
        sa.UniqueConstraint("registration_id", name="uq_certificate_registration"),
        sa.UniqueConstraint("reference", name=op.f("uq_certificate_reference")),
    )
    op.create_index(op.f("ix_certificate_edition_id"), "certificate", ["edition_id"])
    op.create_table(
        "certificate_settings",
        _id(),
        sa.Column("edition_id", ID, nullable=False),
        sa.Column("online_minutes", sa.Integer(), nullable=False),
        *_audit(),
        _edition("certificate_settings"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certificate_settings")),
        sa.UniqueConstraint("edition_id", name=op.f("uq_certificate_settings_edition_id")),
    )
    op.create_table(
        "certificate_mailing",
        _id(),
        sa.Column("edition_id", ID, nullable=False),
        sa.Column("requested_by_id", ID, nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("sent", sa.Integer(), nullable=False),
        sa.Column("error", sa.String(length=300), nullable=True),
        *_audit(),
        _edition("certificate_mailing"),
        sa.ForeignKeyConstraint(
            ["requested_by_id"],
            ["user_account.id"],
            name=op.f("fk_certificate_mailing_requested_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certificate_mailing")),
    )
    op.create_index(op.f("ix_certificate_mailing_edition_id"), "certificate_mailing", ["edition_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_certificate_mailing_edition_id"), table_name="certificate_mailing")
    op.drop_table("certificate_mailing")
    op.drop_table("certificate_settings")
    op.drop_index(op.f("ix_certificate_edition_id"), table_name="certificate")
    op.drop_table("certificate")
