"""several nodes: nodes registry, job leases, stored keyring

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-07 05:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "nodes",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("version", sa.String(length=40), nullable=False),
        sa.Column("config_hash", sa.String(length=64), nullable=False),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("heartbeat_at", sa.DateTime(), nullable=False),
        sa.Column("heartbeat_seconds", sa.Integer(), nullable=False),
        sa.Column("spool_depth", sa.Integer(), nullable=False),
        sa.Column("drained_before", sa.DateTime(), nullable=True),
        sa.Column("probe_sha256", sa.String(length=64), nullable=True),
        sa.Column("stopped_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_nodes")),
    )
    op.create_table(
        "job_leases",
        sa.Column("job", sa.String(length=40), nullable=False),
        sa.Column("holder", sa.String(length=200), nullable=True),
        sa.Column("expires_at", sa.DateTime(), nullable=True),
        sa.Column("last_started_at", sa.DateTime(), nullable=True),
        sa.Column("last_finished_at", sa.DateTime(), nullable=True),
        sa.Column("last_ok_at", sa.DateTime(), nullable=True),
        sa.Column("last_holder", sa.String(length=200), nullable=True),
        sa.Column("last_result", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("job", name=op.f("pk_job_leases")),
    )
    op.create_table(
        "stored_keyring",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("wrapped", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stored_keyring")),
    )


def downgrade() -> None:
    op.drop_table("stored_keyring")
    op.drop_table("job_leases")
    op.drop_table("nodes")
