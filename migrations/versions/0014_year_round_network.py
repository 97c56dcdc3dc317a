"""year-round network

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-24 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from advanced_alchemy.types import DateTimeUTC


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('network_member',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), sa.Identity(always=False, start=1, increment=1), nullable=False),
    sa.Column('user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('joined_at', DateTimeUTC(timezone=True), nullable=False),
    sa.Column('left_at', DateTimeUTC(timezone=True), nullable=True),
    sa.Column('headline', sa.String(length=300), nullable=False),
    sa.Column('interests', sa.Text(), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('created_at', DateTimeUTC(timezone=True), nullable=False),
    sa.Column('updated_at', DateTimeUTC(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_network_member_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_network_member')),
    sa.UniqueConstraint('user_id', name=op.f('uq_network_member_user_id'))
    )

    op.create_table('network_choice',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), sa.Identity(always=False, start=1, increment=1), nullable=False),
    sa.Column('user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('action', sa.String(length=5), nullable=False),
    sa.Column('via', sa.String(length=12), nullable=False),
    sa.Column('chosen_at', DateTimeUTC(timezone=True), nullable=False),
    sa.Column('created_at', DateTimeUTC(timezone=True), nullable=False),
    sa.Column('updated_at', DateTimeUTC(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_network_choice_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_network_choice'))
    )
    with op.batch_alter_table('network_choice', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_network_choice_user_id'), ['user_id'], unique=False)

    op.create_table('network_meeting',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), sa.Identity(always=False, start=1, increment=1), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('requester_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('recipient_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('duration_minutes', sa.Integer(), nullable=False),
    sa.Column('slot_1_at', DateTimeUTC(timezone=True), nullable=False),
    sa.Column('slot_2_at', DateTimeUTC(timezone=True), nullable=True),
    sa.Column('slot_3_at', DateTimeUTC(timezone=True), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('chosen_slot', sa.Integer(), nullable=True),
    sa.Column('starts_at', DateTimeUTC(timezone=True), nullable=True),
    sa.Column('ends_at', DateTimeUTC(timezone=True), nullable=True),
    sa.Column('answer', sa.Text(), nullable=False),
    sa.Column('answered_at', DateTimeUTC(timezone=True), nullable=True),
    sa.Column('cancelled_by_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('room_token', sa.String(length=32), nullable=False),
    sa.Column('requester_joined_at', DateTimeUTC(timezone=True), nullable=True),
    sa.Column('recipient_joined_at', DateTimeUTC(timezone=True), nullable=True),
    sa.Column('created_at', DateTimeUTC(timezone=True), nullable=False),
    sa.Column('updated_at', DateTimeUTC(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['cancelled_by_id'], ['user_account.id'], name=op.f('fk_network_meeting_cancelled_by_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['recipient_id'], ['user_account.id'], name=op.f('fk_network_meeting_recipient_id_user_account'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['requester_id'], ['user_account.id'], name=op.f('fk_network_meeting_requester_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_network_meeting')),
    sa.UniqueConstraint('room_token', name=op.f('uq_network_meeting_room_token'))
    )
    with op.batch_alter_table('network_meeting', schema=None) as batch_op:
        batch_op.create_index('ix_network_meeting_status', ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_network_meeting_requester_id'), ['requester_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_network_meeting_recipient_id'), ['recipient_id'], unique=False)

    op.create_table('network_carried_over',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), sa.Identity(always=False, start=1, increment=1), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('source_id', sa.Integer(), nullable=False),
    sa.Column('copy_id', sa.Integer(), nullable=False),
    sa.Column('edition_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('by_user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('created_at', DateTimeUTC(timezone=True), nullable=False),
    sa.Column('updated_at', DateTimeUTC(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['by_user_id'], ['user_account.id'], name=op.f('fk_network_carried_over_by_user_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['edition_id'], ['edition.id'], name=op.f('fk_network_carried_over_edition_id_edition'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_network_carried_over')),
    sa.UniqueConstraint('kind', 'source_id', 'edition_id', name='uq_network_carried_over')
    )
    with op.batch_alter_table('network_carried_over', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_network_carried_over_edition_id'), ['edition_id'], unique=False)


def downgrade() -> None:
    op.drop_table('network_carried_over')
    op.drop_table('network_meeting')
    op.drop_table('network_choice')
    op.drop_table('network_member')
