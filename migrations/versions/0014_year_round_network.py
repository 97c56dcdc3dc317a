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
    sa.Column('created_at', DateTimeUTC(timezone=True), nullable=False),
    sa.Column('updated_at', DateTimeUTC(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_network_member_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_network_member')),
    sa.UniqueConstraint('user_id', name=op.f('uq_network_member_user_id'))
    )


def downgrade() -> None:
    op.drop_table('network_member')
