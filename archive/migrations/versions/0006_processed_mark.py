"""front desk: a copy can be marked processed (by whom, when)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 05:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("documents") as batch:
        batch.add_column(sa.Column("processed_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("processed_by", sa.String(length=150), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("documents") as batch:
        batch.drop_column("processed_by")
        batch.drop_column("processed_at")
