"""token ids never reused: the tokens table gets AUTOINCREMENT on SQLite

A revoked token's id must not name a later token (`syncd token revoke 3` after a new token took
id 3 would revoke the wrong one, and logs would mix the two up). PostgreSQL's SERIAL sequence
never hands out a number twice; SQLite reuses the largest rowid after a delete unless the table
is AUTOINCREMENT, which only a rebuild can add. Ids deleted before this revision are unknown, so
the counter starts at the largest id still present.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-09 10:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    with op.batch_alter_table(
        "tokens", recreate="always", table_kwargs={"sqlite_autoincrement": True}
    ):
        pass


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    with op.batch_alter_table(
        "tokens", recreate="always", table_kwargs={"sqlite_autoincrement": False}
    ):
        pass
