"""trust files in the database, verification history

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07 05:40:00
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
        "trust_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=500), nullable=False),
        sa.Column("source", sa.String(length=40), nullable=False),
        sa.Column("origin", sa.String(length=1000), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("certificates", sa.Integer(), nullable=False),
        sa.Column("crls", sa.Integer(), nullable=False),
        sa.Column("imported_at", sa.DateTime(), nullable=False),
        sa.Column("imported_by", sa.String(length=150), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trust_files")),
        sa.UniqueConstraint("sha256", name=op.f("uq_trust_files_sha256")),
    )
    op.create_table(
        "verification_history",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("replaced_at", sa.DateTime(), nullable=False),
        sa.Column("indication", sa.String(length=20), nullable=False),
        sa.Column("sub_indication", sa.String(length=60), nullable=True),
        sa.Column("report", sa.JSON(), nullable=True),
        sa.Column("reason", sa.String(length=60), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["documents.id"],
            name=op.f("fk_verification_history_document_id_documents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_verification_history")),
    )
    op.create_index("ix_verification_history_document", "verification_history", ["document_id"])


def downgrade() -> None:
    op.drop_index("ix_verification_history_document", table_name="verification_history")
    op.drop_table("verification_history")
    op.drop_table("trust_files")
