"""snapshot outcome: what the reconcile that stored a snapshot read and decided, so that one
whose inputs did not change since can be skipped

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("snapshots", sa.Column("outcome", sa.JSON(), nullable=True))


def downgrade() -> None:
    op.drop_column("snapshots", "outcome")
