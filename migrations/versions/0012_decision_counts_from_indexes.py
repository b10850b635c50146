"""The statistics count decisions from the indexes alone: outcome joins both time indexes.

A week's decision metrics count rows by outcome in a range of decided_at, for one
manager or the whole team. With (actor_id, decided_at) and (decided_at) each counted
row was also read from the table for its outcome: on a week of many decisions the
console's team page took seconds. With outcome in the index, both are index-only scans.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30
"""

from __future__ import annotations

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_decisions_actor_id_decided_at_outcome", "decisions",
                    ["actor_id", "decided_at", "outcome"])
    op.drop_index("ix_decisions_actor_id_decided_at", table_name="decisions")
    op.create_index("ix_decisions_decided_at_outcome", "decisions", ["decided_at", "outcome"])
    op.drop_index("ix_decisions_decided_at", table_name="decisions")


def downgrade() -> None:
    op.create_index("ix_decisions_decided_at", "decisions", ["decided_at"])
    op.drop_index("ix_decisions_decided_at_outcome", table_name="decisions")
    op.create_index("ix_decisions_actor_id_decided_at", "decisions", ["actor_id", "decided_at"])
    op.drop_index("ix_decisions_actor_id_decided_at_outcome", table_name="decisions")
