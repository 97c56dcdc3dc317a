"""badge key sealed: the edition's badge signing key encrypted at rest under ASCC_SECRET_KEY

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 15:00:00

A plain PEM in the database let anyone with a copy of it mint badges. Each stored key is sealed with Fernet
under a key derived from ASCC_SECRET_KEY (the development secret when unset, as the application does), so
run the upgrade with the same ASCC_SECRET_KEY as the server. The key itself does not change: badges
already printed keep verifying.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from ascc.badges import keystore
from ascc.config import Settings

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

_keys = sa.table(
    "badge_key", sa.column("id"), sa.column("private_pem", sa.Text), sa.column("private_key_sealed", sa.Text)
)


def upgrade() -> None:
    secret = Settings.from_env().secret_key
    with op.batch_alter_table("badge_key") as batch:
        batch.add_column(sa.Column("private_key_sealed", sa.Text(), nullable=True))
    connection = op.get_bind()
    for key_id, pem in connection.execute(sa.select(_keys.c.id, _keys.c.private_pem)).all():
        connection.execute(
            _keys.update().where(_keys.c.id == key_id).values(private_key_sealed=keystore.seal(pem, secret))
        )
    with op.batch_alter_table("badge_key") as batch:
        batch.alter_column("private_key_sealed", existing_type=sa.Text(), nullable=False)
        batch.drop_column("private_pem")


def downgrade() -> None:
    settings = Settings.from_env()
    older = () if settings.uses_dev_secret else (Settings.secret_key,)
    with op.batch_alter_table("badge_key") as batch:
        batch.add_column(sa.Column("private_pem", sa.Text(), nullable=True))
    connection = op.get_bind()
    for key_id, sealed in connection.execute(sa.select(_keys.c.id, _keys.c.private_key_sealed)).all():
        pem, _ = keystore.unseal(sealed, settings.secret_key, older)
        connection.execute(_keys.update().where(_keys.c.id == key_id).values(private_pem=pem))
    with op.batch_alter_table("badge_key") as batch:
        batch.alter_column("private_pem", existing_type=sa.Text(), nullable=False)
        batch.drop_column("private_key_sealed")
