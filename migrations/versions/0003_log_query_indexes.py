"""Indexes that end in seq, so a filtered page of the decision log needs no sort.

See app/log/read/indexes.py: on SQLite every index already ends in the rowid (seq), so
only (action, seq) is new there.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

EVERY_DATABASE = (
    ("ix_decisions_action_seq", ["action", "seq"]),
)
POSTGRES_ONLY = (
    ("ix_decisions_action_outcome_seq", ["action", "outcome", "seq"]),
    ("ix_decisions_actor_id_seq", ["actor_id", "seq"]),
    ("ix_decisions_client_id_seq", ["client_id", "seq"]),
    ("ix_decisions_subject_id_seq", ["subject_id", "seq"]),
    ("ix_decisions_order_id_seq", ["order_id", "seq"]),
)


def _indexes() -> tuple:
    postgres = op.get_bind().dialect.name == "postgresql"
    return EVERY_DATABASE + (POSTGRES_ONLY if postgres else ())


def upgrade() -> None:
    for name, columns in _indexes():
        op.create_index(name, "decisions", columns)


def downgrade() -> None:
    for name, _ in _indexes():
        op.drop_index(name, table_name="decisions")
