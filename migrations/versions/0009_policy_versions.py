"""Policy versions in the database, the version a decision was made under, shadow results.

`policy_versions` takes over from the one-row `policy_state` (which held only the
sha256 of a file each host read from its own disk): the first start after this
imports the policy file as version 1 (app/versions/store.py).

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

SeqType = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "policy_versions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("version", sa.String(64), nullable=False),
        sa.Column("author", sa.String(128), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("published_by", sa.String(128), nullable=True),
        sa.Column("shadow_since", sa.DateTime(timezone=True), nullable=True),
    )
    for status in ("active", "shadow"):
        op.create_index(f"ux_policy_versions_one_{status}", "policy_versions", ["status"],
                        unique=True, sqlite_where=sa.text(f"status = '{status}'"),
                        postgresql_where=sa.text(f"status = '{status}'"))
    op.create_index("ix_policy_versions_sha256", "policy_versions", ["sha256"])
    with op.batch_alter_table("decisions") as batch:
        batch.add_column(sa.Column("policy_version_id", sa.Integer(), nullable=True))
    op.create_table(
        "decision_shadows",
        sa.Column("decision_seq", SeqType,
                  sa.ForeignKey("decisions.seq", ondelete="CASCADE"), primary_key=True,
                  autoincrement=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(20), nullable=True),
        sa.Column("required_approvals", sa.String(200), nullable=True),
        sa.Column("error", sa.String(200), nullable=True),
    )
    op.create_index("ix_decision_shadows_version", "decision_shadows",
                    ["version_id", "decision_seq"])
    op.drop_table("policy_state")


def downgrade() -> None:
    op.create_table(
        "policy_state",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("version", sa.String(64), nullable=False),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.execute("INSERT INTO policy_state (id, sha256, version, loaded_at) "
               "SELECT 1, sha256, version, published_at FROM policy_versions "
               "WHERE status = 'active'")
    op.drop_index("ix_decision_shadows_version", table_name="decision_shadows")
    op.drop_table("decision_shadows")
    with op.batch_alter_table("decisions") as batch:
        batch.drop_column("policy_version_id")
    op.drop_table("policy_versions")
