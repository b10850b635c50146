"""Approvals given in dealguard, in the decisions' hash chain, and the inbox's index.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

SEQ = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "approvals",
        sa.Column("seq", SEQ, primary_key=True, autoincrement=False),
        sa.Column("approval_id", sa.String(36), nullable=False, unique=True),
        sa.Column("decision_id", sa.String(36), nullable=False),
        sa.Column("verdict", sa.String(16), nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("approver_id", sa.String(128), nullable=False),
        sa.Column("decision_actor_id", sa.String(128), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("proposal", sa.String(64), nullable=True),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.UniqueConstraint("decision_id", "role", name="uq_approvals_decision_role"),
    )
    op.create_index("ix_approvals_verdict_seq", "approvals", ["verdict", "seq"])
    op.create_index("ix_approvals_actor_seq", "approvals", ["decision_actor_id", "seq"])
    op.create_table(
        "approval_requests",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("decision_seq", SEQ, sa.ForeignKey("decisions.seq", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("audience", sa.String(32), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_approval_requests_inbox", "approval_requests",
                    ["audience", "decided_at", "decision_seq"])


def downgrade() -> None:
    op.drop_index("ix_approval_requests_inbox", table_name="approval_requests")
    op.drop_table("approval_requests")
    op.drop_index("ix_approvals_actor_seq", table_name="approvals")
    op.drop_index("ix_approvals_verdict_seq", table_name="approvals")
    op.drop_table("approvals")
