"""Activity events of the sales team, for period-over-period statistics (app.stats).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

ROW_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "activities",
        sa.Column("id", ROW_ID, primary_key=True, autoincrement=True),
        sa.Column("event_id", sa.String(128), nullable=False, unique=True),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("manager_id", sa.String(128), nullable=False),
        sa.Column("client_id", sa.String(128), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("amount", sa.Numeric(18, 2), nullable=True),
        sa.Column("outcome", sa.String(16), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index(
        "ix_activities_type_occurred_at", "activities",
        ["type", "occurred_at", "outcome", "client_id", "amount"],
    )
    op.create_index(
        "ix_activities_manager_type_occurred_at", "activities",
        ["manager_id", "type", "occurred_at", "outcome", "client_id", "amount"],
    )


def downgrade() -> None:
    op.drop_index("ix_activities_manager_type_occurred_at", table_name="activities")
    op.drop_index("ix_activities_type_occurred_at", table_name="activities")
    op.drop_table("activities")
