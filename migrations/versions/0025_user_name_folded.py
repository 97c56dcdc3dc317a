"""people's names folded for search: user_account.name_folded

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-07 17:30:00

Every name search (check-in, organizer lists, directories) compares names folded by ascc.text.fold_name
(case, width, accents, Vietnamese đ): "nguyen" finds Nguyễn on SQLite and PostgreSQL alike. Existing
accounts are filled here; the model's flush hooks keep the column up to date from then on.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from ascc.text import fold_name

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None

_users = sa.table(
    "user_account",
    sa.column("id", sa.Integer),
    sa.column("name_latin", sa.String),
    sa.column("name_local", sa.String),
    sa.column("name_folded", sa.String),
)


def upgrade() -> None:
    with op.batch_alter_table("user_account") as batch:
        batch.add_column(sa.Column("name_folded", sa.String(length=410), server_default="", nullable=False))
    connection = op.get_bind()
    rows = connection.execute(sa.select(_users.c.id, _users.c.name_latin, _users.c.name_local)).all()
    for user_id, name_latin, name_local in rows:
        connection.execute(
            _users.update()
            .where(_users.c.id == user_id)
            .values(name_folded=f"{fold_name(name_latin)}\n{fold_name(name_local)}")
        )


def downgrade() -> None:
    with op.batch_alter_table("user_account") as batch:
        batch.drop_column("name_folded")
