"""change notices keep old and new values; a meeting records each party's check-in

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-09 10:00:00

programme_release_change.details: the old and new time, room, title, speakers, format and places of a
change (None for releases published before). meeting.requester_checked_in_at / recipient_checked_in_at:
a meeting is held once both parties were there, not when one of them checked in.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from advanced_alchemy.types import DateTimeUTC

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("programme_release_change", schema=None) as batch_op:
        batch_op.add_column(sa.Column("details", sa.JSON(), nullable=True))
    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.add_column(sa.Column("requester_checked_in_at", DateTimeUTC(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("recipient_checked_in_at", DateTimeUTC(timezone=True), nullable=True))
    # Meetings held before: both parties count as there (that is what "held" said until now).
    op.execute(
        "UPDATE meeting SET requester_checked_in_at = checked_in_at, recipient_checked_in_at = checked_in_at "
        "WHERE status = 'held' AND checked_in_at IS NOT NULL"
    )


def downgrade() -> None:
    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.drop_column("recipient_checked_in_at")
        batch_op.drop_column("requester_checked_in_at")
    with op.batch_alter_table("programme_release_change", schema=None) as batch_op:
        batch_op.drop_column("details")
