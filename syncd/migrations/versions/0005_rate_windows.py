"""rate windows: request budgets per credential, shared by every process of the deployment

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # UNLOGGED on PostgreSQL: the windows last seconds, so no write-ahead log is spent on them
    # and a crash that empties the table loses nothing that matters.
    postgres = op.get_bind().dialect.name == "postgresql"
    op.create_table(
        "rate_windows",
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("stamps", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
        prefixes=["UNLOGGED"] if postgres else [],
    )


def downgrade() -> None:
    op.drop_table("rate_windows")
