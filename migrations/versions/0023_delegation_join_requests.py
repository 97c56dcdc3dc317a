"""delegation join requests: a registered person asks to join their organization's delegation

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-09 12:00:00

A second official of a city whose delegation already has a head asks to join it; the head accepts or
declines, the person may withdraw. At most one open request per registration (a partial unique index), so a
double click or two phones never leave two open requests.
"""

from __future__ import annotations

import sqlalchemy as sa
from advanced_alchemy.types import DateTimeUTC
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

OPEN = "status = 'open'"


def upgrade() -> None:
    op.create_table(
        "delegation_join_request",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            sa.Identity(always=False, start=1, increment=1),
            nullable=False,
        ),
        sa.Column("delegation_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("registration_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("decided_at", DateTimeUTC(timezone=True), nullable=True),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["delegation_id"],
            ["delegation.id"],
            name=op.f("fk_delegation_join_request_delegation_id_delegation"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["registration_id"],
            ["registration.id"],
            name=op.f("fk_delegation_join_request_registration_id_registration"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delegation_join_request")),
    )
    with op.batch_alter_table("delegation_join_request") as batch:
        batch.create_index(
            batch.f("ix_delegation_join_request_delegation_id"), ["delegation_id"], unique=False
        )
        batch.create_index(
            batch.f("ix_delegation_join_request_registration_id"), ["registration_id"], unique=False
        )
    op.create_index(
        "uq_delegation_join_request_open",
        "delegation_join_request",
        ["registration_id"],
        unique=True,
        sqlite_where=sa.text(OPEN),
        postgresql_where=sa.text(OPEN),
    )


def downgrade() -> None:
    op.drop_index("uq_delegation_join_request_open", table_name="delegation_join_request")
    with op.batch_alter_table("delegation_join_request") as batch:
        batch.drop_index(batch.f("ix_delegation_join_request_registration_id"))
        batch.drop_index(batch.f("ix_delegation_join_request_delegation_id"))
    op.drop_table("delegation_join_request")
