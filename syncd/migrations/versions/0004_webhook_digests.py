"""webhook digests: the bodies already taken into the inbox, for dedupe across delivery ids

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03 16:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "webhook_digests",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("seen", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_index("ix_webhook_digests_seen", "webhook_digests", ["seen"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_webhook_digests_seen", table_name="webhook_digests")
    op.drop_table("webhook_digests")
