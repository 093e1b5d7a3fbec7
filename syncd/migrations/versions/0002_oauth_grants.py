"""oauth grants: the newest rotated refresh token of each grant

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02 16:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "oauth_grants",
        sa.Column("grant", sa.String(length=64), nullable=False),
        sa.Column("refresh_token", sa.Text(), nullable=False),
        sa.Column("rotated", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("grant"),
    )


def downgrade() -> None:
    op.drop_table("oauth_grants")
