"""An index for one manager's decisions over time (the statistics' decision metrics).

See app/log/read/indexes.py.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_decisions_actor_id_decided_at", "decisions", ["actor_id", "decided_at"])


def downgrade() -> None:
    op.drop_index("ix_decisions_actor_id_decided_at", table_name="decisions")
