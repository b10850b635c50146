"""Approvals found by their proposal's HMAC (the console's check attaches the approvals
given on the same proposal) and by the approver (what an approver decided).

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30
"""

from __future__ import annotations

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_approvals_proposal_seq", "approvals", ["proposal", "seq"])
    op.create_index("ix_approvals_approver_seq", "approvals", ["approver_id", "seq"])


def downgrade() -> None:
    op.drop_index("ix_approvals_approver_seq", table_name="approvals")
    op.drop_index("ix_approvals_proposal_seq", table_name="approvals")
