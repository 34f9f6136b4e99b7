"""mailboxes: IMAP accounts as installation state, their status and first import

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07 06:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mailboxes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("port", sa.Integer(), nullable=False),
        sa.Column("tls", sa.String(length=10), nullable=False),
        sa.Column("user", sa.String(length=255), nullable=False),
        sa.Column("auth", sa.String(length=20), nullable=False),
        sa.Column("provider", sa.String(length=20), nullable=False),
        sa.Column("secret", sa.LargeBinary(), nullable=True),
        sa.Column("folder", sa.String(length=255), nullable=False),
        sa.Column("after_import", sa.String(length=10), nullable=False),
        sa.Column("move_to", sa.String(length=255), nullable=False),
        sa.Column("address", sa.String(length=255), nullable=False),
        sa.Column("idle", sa.Boolean(), nullable=False),
        sa.Column("poll_seconds", sa.Integer(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mailboxes")),
        sa.UniqueConstraint("name", name=op.f("uq_mailboxes_name")),
    )
    op.create_table(
        "mailbox_status",
        sa.Column("key", sa.String(length=32), nullable=False),
        sa.Column("node", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("last_error", sa.String(length=500), nullable=False),
        sa.Column("last_message_at", sa.DateTime(), nullable=True),
        sa.Column("backlog", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("import_order", sa.String(length=10), nullable=False),
        sa.Column("import_uidvalidity", sa.BigInteger(), nullable=False),
        sa.Column("import_boundary", sa.BigInteger(), nullable=False),
        sa.Column("import_cursor", sa.BigInteger(), nullable=False),
        sa.Column("import_total", sa.Integer(), nullable=False),
        sa.Column("import_done", sa.Integer(), nullable=False),
        sa.Column("import_skipped", sa.Integer(), nullable=False),
        sa.Column("import_rate", sa.Float(), nullable=False),
        sa.Column("import_state", sa.String(length=20), nullable=False),
        sa.Column("import_requested", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_mailbox_status")),
    )


def downgrade() -> None:
    op.drop_table("mailbox_status")
    op.drop_table("mailboxes")
