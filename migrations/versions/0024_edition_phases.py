"""edition phases: registration opens and closes, a category's own last day, meeting requests close, late codes

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-07 18:00:00

Editions get their dates beside the conference days (ascc.editions.phases); existing editions get none, so
they keep working as before (the status decides) until organizers set them. Registration settings keep each
category's own last day ({} for existing ones); an invitation code may admit late registration (no existing
one does).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("edition") as batch:
        batch.add_column(sa.Column("registration_opens_on", sa.Date(), nullable=True))
        batch.add_column(sa.Column("registration_closes_on", sa.Date(), nullable=True))
        batch.add_column(sa.Column("meeting_requests_close_on", sa.Date(), nullable=True))
    with op.batch_alter_table("registration_settings") as batch:
        batch.add_column(
            sa.Column("category_closes_on", sa.JSON(), server_default=sa.text("'{}'"), nullable=False)
        )
    with op.batch_alter_table("invitation_code") as batch:
        batch.add_column(sa.Column("late", sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("invitation_code") as batch:
        batch.drop_column("late")
    with op.batch_alter_table("registration_settings") as batch:
        batch.drop_column("category_closes_on")
    with op.batch_alter_table("edition") as batch:
        batch.drop_column("meeting_requests_close_on")
        batch.drop_column("registration_closes_on")
        batch.drop_column("registration_opens_on")
