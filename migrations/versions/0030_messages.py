"""messages between participants: conversations, messages, blocks, reports, digests (issue #28 item 5)

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-07 21:40:00

One conversation per pair of people and edition (uq_message_pair): two first messages sent at once from both
sides end in one. One block per blocker and blocked person, one report per conversation and reporter, one
digest stamp per person.
"""

from __future__ import annotations

import sqlalchemy as sa
from advanced_alchemy.types import DateTimeUTC
from alembic import op

revision = "0030"
down_revision = "0029"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _id() -> sa.Column:
    return sa.Column("id", ID, sa.Identity(always=False, start=1, increment=1), nullable=False)


def _stamps() -> list[sa.Column]:
    return [
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", DateTimeUTC(timezone=True), nullable=False),
    ]


def _user(table: str, column: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], ["user_account.id"], name=op.f(f"fk_{table}_{column}_user_account"), ondelete="CASCADE"
    )


def upgrade() -> None:
    op.create_table(
        "message_conversation",
        _id(),
        sa.Column("edition_id", ID, nullable=False),
        sa.Column("person_low", ID, nullable=False),
        sa.Column("person_high", ID, nullable=False),
        sa.Column("low_read_id", sa.Integer(), nullable=False),
        sa.Column("high_read_id", sa.Integer(), nullable=False),
        sa.Column("low_mailed_id", sa.Integer(), nullable=False),
        sa.Column("high_mailed_id", sa.Integer(), nullable=False),
        sa.Column("last_message_at", DateTimeUTC(timezone=True), nullable=True),
        *_stamps(),
        sa.ForeignKeyConstraint(
            ["edition_id"],
            ["edition.id"],
            name=op.f("fk_message_conversation_edition_id_edition"),
            ondelete="CASCADE",
        ),
        _user("message_conversation", "person_low"),
        _user("message_conversation", "person_high"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message_conversation")),
        sa.UniqueConstraint("edition_id", "person_low", "person_high", name="uq_message_pair"),
    )
    for column in ("edition_id", "person_low", "person_high"):
        op.create_index(op.f(f"ix_message_conversation_{column}"), "message_conversation", [column])

    op.create_table(
        "message",
        _id(),
        sa.Column("conversation_id", ID, nullable=False),
        sa.Column("sender_id", ID, nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        *_stamps(),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["message_conversation.id"],
            name=op.f("fk_message_conversation_id_message_conversation"),
            ondelete="CASCADE",
        ),
        _user("message", "sender_id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message")),
    )
    op.create_index(op.f("ix_message_conversation_id"), "message", ["conversation_id"])
    op.create_index(op.f("ix_message_sender_id"), "message", ["sender_id"])

    op.create_table(
        "message_block",
        _id(),
        sa.Column("blocker_id", ID, nullable=False),
        sa.Column("blocked_id", ID, nullable=False),
        sa.Column("last_message_id", sa.Integer(), nullable=False),
        *_stamps(),
        _user("message_block", "blocker_id"),
        _user("message_block", "blocked_id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message_block")),
        sa.UniqueConstraint("blocker_id", "blocked_id", name="uq_message_block"),
    )
    op.create_index(op.f("ix_message_block_blocked_id"), "message_block", ["blocked_id"])

    op.create_table(
        "message_report",
        _id(),
        sa.Column("conversation_id", ID, nullable=False),
        sa.Column("reporter_id", ID, nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        *_stamps(),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["message_conversation.id"],
            name=op.f("fk_message_report_conversation_id_message_conversation"),
            ondelete="CASCADE",
        ),
        _user("message_report", "reporter_id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message_report")),
        sa.UniqueConstraint("conversation_id", "reporter_id", name="uq_message_report"),
    )
    op.create_index(op.f("ix_message_report_conversation_id"), "message_report", ["conversation_id"])
    op.create_index(op.f("ix_message_report_reporter_id"), "message_report", ["reporter_id"])

    op.create_table(
        "message_digest",
        _id(),
        sa.Column("user_id", ID, nullable=False),
        sa.Column("sent_at", DateTimeUTC(timezone=True), nullable=False),
        *_stamps(),
        _user("message_digest", "user_id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message_digest")),
        sa.UniqueConstraint("user_id", name=op.f("uq_message_digest_user_id")),
    )


def downgrade() -> None:
    op.drop_table("message_digest")
    op.drop_index(op.f("ix_message_report_reporter_id"), table_name="message_report")
    op.drop_index(op.f("ix_message_report_conversation_id"), table_name="message_report")
    op.drop_table("message_report")
    op.drop_index(op.f("ix_message_block_blocked_id"), table_name="message_block")
    op.drop_table("message_block")
    op.drop_index(op.f("ix_message_sender_id"), table_name="message")
    op.drop_index(op.f("ix_message_conversation_id"), table_name="message")
    op.drop_table("message")
    for column in ("edition_id", "person_low", "person_high"):
        op.drop_index(op.f(f"ix_message_conversation_{column}"), table_name="message_conversation")
    op.drop_table("message_conversation")
