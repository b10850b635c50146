"""The `policy_versions` table: every policy text proposed, and its status.

At most one row is `active` and at most one is `shadow`: two partial unique indexes
make the database refuse a second one, so two publishes racing on two hosts cannot
both win (the loser gets an IntegrityError and is answered 409).
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import DateTime, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base

DRAFT, ACTIVE, RETIRED, SHADOW = "draft", "active", "retired", "shadow"
STATUSES = (DRAFT, ACTIVE, RETIRED, SHADOW)


class PolicyVersion(Base):
    __tablename__ = "policy_versions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(128))
    # The file's own `version:` string, as its author wrote it.
    version: Mapped[str] = mapped_column(String(64))
    # The key's name (or the console's person) that proposed it; "file" for an import.
    author: Mapped[str] = mapped_column(String(128))
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(16))
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    published_by: Mapped[str | None] = mapped_column(String(128))
    # When its current shadow run started (GET /v1/policy/shadow counts from here).
    shadow_since: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        Index("ux_policy_versions_one_active", "status", unique=True,
              sqlite_where=sa.text("status = 'active'"),
              postgresql_where=sa.text("status = 'active'")),
        Index("ux_policy_versions_one_shadow", "status", unique=True,
              sqlite_where=sa.text("status = 'shadow'"),
              postgresql_where=sa.text("status = 'shadow'")),
        Index("ix_policy_versions_sha256", "sha256"),
    )
