"""privacy notices and retention

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-24 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from advanced_alchemy.types import DateTimeUTC


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('privacy_retention_rule',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), sa.Identity(always=False, start=1, increment=1), nullable=False),
    sa.Column('data_class', sa.String(length=40), nullable=False),
    sa.Column('period', sa.Integer(), nullable=False),
    sa.Column('created_at', DateTimeUTC(timezone=True), nullable=False),
    sa.Column('updated_at', DateTimeUTC(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_privacy_retention_rule')),
    sa.UniqueConstraint('data_class', name=op.f('uq_privacy_retention_rule_data_class'))
    )
    op.create_table('privacy_retention_run',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), sa.Identity(always=False, start=1, increment=1), nullable=False),
    sa.Column('dry_run', sa.Boolean(), nullable=False),
    sa.Column('actor_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('actor_name', sa.String(length=300), nullable=False),
    sa.Column('results', sa.JSON(), nullable=False),
    sa.Column('refused', sa.Boolean(), nullable=False),
    sa.Column('created_at', DateTimeUTC(timezone=True), nullable=False),
    sa.Column('updated_at', DateTimeUTC(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['user_account.id'], name=op.f('fk_privacy_retention_run_actor_id_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_privacy_retention_run'))
    )
    op.create_table('privacy_notice_version',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), sa.Identity(always=False, start=1, increment=1), nullable=False),
    sa.Column('version', sa.String(length=20), nullable=False),
    sa.Column('body_en', sa.Text(), nullable=False),
    sa.Column('body_ja', sa.Text(), nullable=False),
    sa.Column('effective_on', sa.Date(), nullable=False),
    sa.Column('published_by_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('created_at', DateTimeUTC(timezone=True), nullable=False),
    sa.Column('updated_at', DateTimeUTC(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['published_by_id'], ['user_account.id'], name=op.f('fk_privacy_notice_version_published_by_id_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_privacy_notice_version')),
    sa.UniqueConstraint('version', name=op.f('uq_privacy_notice_version_version'))
    )
    op.create_table('privacy_notice_acceptance',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), sa.Identity(always=False, start=1, increment=1), nullable=False),
    sa.Column('user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('notice_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('accepted_at', DateTimeUTC(timezone=True), nullable=False),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('created_at', DateTimeUTC(timezone=True), nullable=False),
    sa.Column('updated_at', DateTimeUTC(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['notice_id'], ['privacy_notice_version.id'], name=op.f('fk_privacy_notice_acceptance_notice_id_privacy_notice_version'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_privacy_notice_acceptance_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_privacy_notice_acceptance')),
    sa.UniqueConstraint('user_id', 'notice_id', name='uq_privacy_notice_acceptance')
    )
    with op.batch_alter_table('privacy_notice_acceptance', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_privacy_notice_acceptance_notice_id'), ['notice_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_privacy_notice_acceptance_user_id'), ['user_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('privacy_notice_acceptance', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_privacy_notice_acceptance_user_id'))
        batch_op.drop_index(batch_op.f('ix_privacy_notice_acceptance_notice_id'))
    op.drop_table('privacy_notice_acceptance')
    op.drop_table('privacy_notice_version')
    op.drop_table('privacy_retention_run')
    op.drop_table('privacy_retention_rule')
