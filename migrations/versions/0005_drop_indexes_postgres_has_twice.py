"""PostgreSQL: drop the single-column indexes that a (col, seq) index of 0003 covers.

Every decision writes every index of the log; these five answered nothing the (col,
seq) ones do not (a look-up by col alone reads the front of (col, seq)). On SQLite
they are the (col, seq) indexes themselves (each ends in the rowid) and stay.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

COVERED = (
    ("ix_decisions_action_outcome", ["action", "outcome"]),
    ("ix_decisions_actor_id", ["actor_id"]),
    ("ix_decisions_client_id", ["client_id"]),
    ("ix_decisions_subject_id", ["subject_id"]),
    ("ix_decisions_order_id", ["order_id"]),
)


def _postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade() -> None:
    if _postgresql():
        for name, _ in COVERED:
            op.drop_index(name, table_name="decisions")


def downgrade() -> None:
    if _postgresql():
        for name, columns in COVERED:
            op.create_index(name, "decisions", columns)
