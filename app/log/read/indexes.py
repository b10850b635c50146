"""Indexes that let the log's filters read one page without sorting (app.log.read.query).

Every filtered page is `WHERE col = :v AND seq < :cursor ORDER BY seq DESC LIMIT n`.
On SQLite `seq` is the rowid, which every index already ends with, so the
single-column indexes of app.log.models have that shape. A PostgreSQL index holds
no such key: there `(col, seq)` is what turns the page into a short backward index
scan instead of fetching every row of a busy client and sorting it. So those are
made on PostgreSQL only. Migrations 0003, 0004 and 0012 make the same indexes.
"""

from __future__ import annotations

from sqlalchemy import Index

from app.log.models import Decision

# `action` alone: (action, outcome) cannot give seq order, and SQLite would read and
# sort every claim of the log to show the newest fifty.
EVERY_DATABASE = (
    Index("ix_decisions_action_seq", Decision.action, Decision.seq),
    # Statistics count one manager's decisions by the time they were made and by outcome
    # (app.stats): a range of decided_at inside one actor_id, read from the index alone.
    Index("ix_decisions_actor_id_decided_at_outcome", Decision.actor_id, Decision.decided_at,
          Decision.outcome),
)

POSTGRES_ONLY = (
    Index("ix_decisions_action_outcome_seq", Decision.action, Decision.outcome, Decision.seq),
    Index("ix_decisions_actor_id_seq", Decision.actor_id, Decision.seq),
    Index("ix_decisions_client_id_seq", Decision.client_id, Decision.seq),
    Index("ix_decisions_subject_id_seq", Decision.subject_id, Decision.seq),
    Index("ix_decisions_order_id_seq", Decision.order_id, Decision.seq),
)

for _index in POSTGRES_ONLY:
    _index.ddl_if(dialect="postgresql")
