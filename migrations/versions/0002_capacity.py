"""capacity pools and waiting lists

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from advanced_alchemy.types import DateTimeUTC


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('capacity_pool',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), sa.Identity(always=False, start=1, increment=1), nullable=False),
    sa.Column('key', sa.String(length=80), nullable=False),
    sa.Column('limit', sa.Integer(), nullable=True),
    sa.Column('confirmed', sa.Integer(), nullable=False),
    sa.Column('next_sequence', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', DateTimeUTC(timezone=True), nullable=False),
    sa.Column('updated_at', DateTimeUTC(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_capacity_pool')),
    sa.UniqueConstraint('key', name=op.f('uq_capacity_pool_key'))
    )
    op.create_table('capacity_entry',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), sa.Identity(always=False, start=1, increment=1), nullable=False),
    sa.Column('pool_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('holder', sa.String(length=80), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('created_at', DateTimeUTC(timezone=True), nullable=False),
    sa.Column('updated_at', DateTimeUTC(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['pool_id'], ['capacity_pool.id'], name=op.f('fk_capacity_entry_pool_id_capacity_pool'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_capacity_entry')),
    sa.UniqueConstraint('pool_id', 'holder', name='uq_capacity_entry_holder')
    )
    with op.batch_alter_table('capacity_entry', schema=None) as batch_op:
        batch_op.create_index('ix_capacity_entry_queue', ['pool_id', 'status', 'sequence'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('capacity_entry', schema=None) as batch_op:
        batch_op.drop_index('ix_capacity_entry_queue')

    op.drop_table('capacity_entry')
    op.drop_table('capacity_pool')
