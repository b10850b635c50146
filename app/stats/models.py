"""The `activities` table: what the sales team did, one row per CRM event."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import BigInteger, DateTime, Index, Integer, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base

EVENT_TYPES = ("call", "meeting", "offer_sent", "contract_signed", "payment_received")
MONEY_TYPES = ("contract_signed", "payment_received")
CALL_OUTCOMES = ("connected", "no_answer")

# SQLite auto-increments only a column declared exactly INTEGER PRIMARY KEY.
RowId = BigInteger().with_variant(Integer(), "sqlite")


class Activity(Base):
    __tablename__ = "activities"

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    # The CRM's own id of the event: the idempotency key (unique).
    event_id: Mapped[str] = mapped_column(String(128), unique=True)
    type: Mapped[str] = mapped_column(String(32))
    manager_id: Mapped[str] = mapped_column(String(128))
    client_id: Mapped[str] = mapped_column(String(128))
    # Always UTC: SQLite keeps no offset, so every writer converts before storing.
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # Kopeck-exact money; only contract_signed and payment_received carry one.
    amount: Mapped[Decimal | None] = mapped_column(Numeric(18, 2))
    outcome: Mapped[str | None] = mapped_column(String(16))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        # A period's query reads a time range of the event types its metrics count,
        # team-wide or for one manager; the trailing columns answer it from the index
        # alone, without visiting the table.
        Index(
            "ix_activities_type_occurred_at",
            "type", "occurred_at", "outcome", "client_id", "amount",
        ),
        Index(
            "ix_activities_manager_type_occurred_at",
            "manager_id", "type", "occurred_at", "outcome", "client_id", "amount",
        ),
    )
