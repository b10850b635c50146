"""API keys, the decision log with its hash chain head, and the running policy's version.

Revision ID: 0001
Revises:
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

SEQ = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
GENESIS = "0" * 64


def upgrade() -> None:
    op.create_table(
        "api_keys",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(128), nullable=False, unique=True),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("manager_id", sa.String(128), nullable=True),
        sa.Column("key_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "decisions",
        sa.Column("seq", SEQ, primary_key=True, autoincrement=False),
        sa.Column("decision_id", sa.String(36), nullable=False, unique=True),
        sa.Column("request_id", sa.String(128), nullable=True, unique=True),
        sa.Column("request_fingerprint", sa.String(64), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("actor_id", sa.String(128), nullable=True),
        sa.Column("actor_role", sa.String(32), nullable=True),
        sa.Column("client_id", sa.String(128), nullable=True),
        sa.Column("subject_id", sa.String(128), nullable=True),
        sa.Column("order_id", sa.String(128), nullable=True),
        sa.Column("key_name", sa.String(128), nullable=True),
        sa.Column("policy_name", sa.String(128), nullable=False),
        sa.Column("policy_version", sa.String(64), nullable=False),
        sa.Column("policy_sha256", sa.String(64), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("duration_ms", sa.Float(), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    op.create_index("ix_decisions_action_outcome", "decisions", ["action", "outcome"])
    op.create_index("ix_decisions_actor_id", "decisions", ["actor_id"])
    op.create_index("ix_decisions_client_id", "decisions", ["client_id"])
    op.create_index("ix_decisions_subject_id", "decisions", ["subject_id"])
    op.create_index("ix_decisions_order_id", "decisions", ["order_id"])
    op.create_index("ix_decisions_decided_at", "decisions", ["decided_at"])
    op.create_table(
        "decision_reasons",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("decision_seq", SEQ, sa.ForeignKey("decisions.seq", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("rule", sa.String(128), nullable=False),
        sa.Column("principle", sa.String(64), nullable=False),
        sa.Column("outcome", sa.String(20), nullable=False),
    )
    op.create_index("ix_decision_reasons_rule", "decision_reasons", ["rule", "decision_seq"])
    op.create_index("ix_decision_reasons_principle", "decision_reasons",
                    ["principle", "decision_seq"])
    op.create_index("ix_decision_reasons_decision_seq", "decision_reasons", ["decision_seq"])
    chain = op.create_table(
        "decision_chain",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("seq", SEQ, nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    # The one row every writer locks; seq 0 and the genesis hash start the chain.
    op.bulk_insert(chain, [{"id": 1, "seq": 0, "hash": GENESIS}])
    op.create_table(
        "policy_state",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("version", sa.String(64), nullable=False),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("policy_state")
    op.drop_table("decision_chain")
    op.drop_table("decision_reasons")
    op.drop_table("decisions")
    op.drop_table("api_keys")
