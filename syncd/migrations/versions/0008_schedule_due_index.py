"""schedule due index: a scheduler tick reads the clients that are due, not every client

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 17:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_schedule_due", "schedule", ["due_at"])


def downgrade() -> None:
    op.drop_index("ix_schedule_due", table_name="schedule")
