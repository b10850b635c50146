"""Person keys: a key carries its person's id and job role (CONTRACT §6).

A manager key's `manager_id` becomes `person_id` with job role `manager`; an approver
key (new) has a person id and one of the approving job roles.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("api_keys") as batch:
        batch.add_column(sa.Column("person_id", sa.String(128), nullable=True))
        batch.add_column(sa.Column("job_role", sa.String(32), nullable=True))
    op.execute("UPDATE api_keys SET person_id = manager_id, job_role = 'manager' "
               "WHERE role = 'manager'")
    with op.batch_alter_table("api_keys") as batch:
        batch.drop_column("manager_id")


def downgrade() -> None:
    with op.batch_alter_table("api_keys") as batch:
        batch.add_column(sa.Column("manager_id", sa.String(128), nullable=True))
    op.execute("UPDATE api_keys SET manager_id = person_id WHERE role = 'manager'")
    # Approver keys did not exist before: they cannot be kept.
    op.execute("DELETE FROM api_keys WHERE role = 'approver'")
    with op.batch_alter_table("api_keys") as batch:
        batch.drop_column("job_role")
        batch.drop_column("person_id")
