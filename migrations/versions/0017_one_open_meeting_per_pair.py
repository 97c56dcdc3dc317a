"""one open meeting per pair: the two people in id order and a partial unique index over them

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 13:00:00

Requests sent at the same moment could leave two open requests between the same two people. Before the
index is built, such duplicates are closed (the oldest stays; the others become "cancelled" and give up any
seat they hold), so the upgrade never fails on data the race left behind.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

OPEN = "status IN ('requested', 'accepted', 'scheduled')"


def upgrade() -> None:
    with op.batch_alter_table("meeting") as batch:
        batch.add_column(sa.Column("person_low", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("person_high", sa.Integer(), nullable=True))
    op.execute(
        "UPDATE meeting SET"
        " person_low = CASE WHEN requester_id < recipient_id THEN requester_id ELSE recipient_id END,"
        " person_high = CASE WHEN requester_id < recipient_id THEN recipient_id ELSE requester_id END"
    )
    # A later open meeting of the same two people than an older open one: a duplicate the race left.
    duplicate = (
        "meeting.status IN ('requested', 'accepted', 'scheduled') AND EXISTS (SELECT 1 FROM meeting AS older"
        " WHERE older.edition_id = meeting.edition_id AND older.person_low = meeting.person_low"
        " AND older.person_high = meeting.person_high"
        " AND older.status IN ('requested', 'accepted', 'scheduled') AND older.id < meeting.id)"
    )
    op.execute(
        "DELETE FROM meeting_seat WHERE meeting_id IN (SELECT id FROM meeting WHERE " + duplicate + ")"  # noqa: S608 (constants)
    )
    op.execute(
        "UPDATE meeting SET status = 'cancelled', slot_id = NULL, place = NULL, place_number = NULL WHERE "  # noqa: S608
        + duplicate
    )
    with op.batch_alter_table("meeting") as batch:
        batch.alter_column("person_low", existing_type=sa.Integer(), nullable=False)
        batch.alter_column("person_high", existing_type=sa.Integer(), nullable=False)
    op.create_index(
        "uq_meeting_open_pair",
        "meeting",
        ["edition_id", "person_low", "person_high"],
        unique=True,
        sqlite_where=sa.text(OPEN),
        postgresql_where=sa.text(OPEN),
    )


def downgrade() -> None:
    op.drop_index("uq_meeting_open_pair", table_name="meeting")
    with op.batch_alter_table("meeting") as batch:
        batch.drop_column("person_high")
        batch.drop_column("person_low")
