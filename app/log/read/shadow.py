"""A shadow run's results over live traffic, aggregated in SQL (CONTRACT §12).

Each decision made while a version ran in shadow has a row in decision_shadows
(written with the decision); the transitions are counted by the database, grouped
by the outcome given and the outcome the shadow would have given, so a report over a
month of traffic reads a handful of rows, not the month.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, func, select

from app.jsontext import loads
from app.log.models import Decision, DecisionShadow

MAX_SAMPLES = 20


@dataclass
class ShadowReport:
    evaluated: int = 0
    changed: int = 0
    errors: int = 0
    since: Any = None
    by_transition: dict[str, int] = field(default_factory=dict)
    errors_by_kind: dict[str, int] = field(default_factory=dict)
    samples: list[dict[str, Any]] = field(default_factory=list)


def report(db_engine: Engine, version_id: int) -> ShadowReport:
    """Every decision the version was evaluated on: what it would have changed."""
    result = ShadowReport()
    joined = DecisionShadow.__table__.join(
        Decision.__table__, Decision.seq == DecisionShadow.decision_seq)
    with db_engine.connect() as connection:
        counts = connection.execute(
            select(Decision.outcome, DecisionShadow.outcome.label("shadow"),
                   DecisionShadow.error, func.count().label("n"),
                   func.min(Decision.decided_at).label("first"))
            .select_from(joined).where(DecisionShadow.version_id == version_id)
            .group_by(Decision.outcome, DecisionShadow.outcome, DecisionShadow.error)).all()
        for row in counts:
            result.evaluated += row.n
            if row.first is not None and (result.since is None or row.first < result.since):
                result.since = row.first
            if row.shadow is None:
                result.errors += row.n
                kind = row.error or "error"
                result.errors_by_kind[kind] = result.errors_by_kind.get(kind, 0) + row.n
            elif row.shadow != row.outcome:
                result.changed += row.n
                key = f"{row.outcome}->{row.shadow}"
                result.by_transition[key] = result.by_transition.get(key, 0) + row.n
        result.by_transition = dict(sorted(result.by_transition.items()))
        samples = connection.execute(
            select(Decision.seq, Decision.decision_id, Decision.action, Decision.as_of,
                   Decision.outcome, DecisionShadow.outcome.label("shadow"),
                   DecisionShadow.required_approvals)
            .select_from(joined)
            .where(DecisionShadow.version_id == version_id,
                   DecisionShadow.outcome.is_not(None),
                   DecisionShadow.outcome != Decision.outcome)
            .order_by(Decision.seq.desc()).limit(MAX_SAMPLES)).all()
    result.samples = [{
        "decision_id": row.decision_id,
        "seq": row.seq,
        "action": row.action,
        "as_of": str(row.as_of)[:10],
        "before": row.outcome,
        "after": row.shadow,
        "required_approvals_after": loads(row.required_approvals or "[]"),
    } for row in samples]
    return result
