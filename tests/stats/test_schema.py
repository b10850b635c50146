"""The migration matches the model, and the decision log still has what the stats read."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import MetaData, create_engine, inspect

from app.cli.service import upgrade
from app.stats.metrics import DECISIONS
from app.stats.models import Activity


def test_the_decision_log_has_the_columns_the_stats_read() -> None:
    from app.log.models import Decision

    log = Decision.__table__
    for column in DECISIONS.c:
        assert column.name in log.c
        assert type(log.c[column.name].type) is type(column.type)
    # The week's counts by outcome are read from an index alone (migration 0012).
    assert any(index.columns.keys() == ["decided_at", "outcome"] for index in log.indexes)


def _compare(url: str) -> list:
    upgrade(url)
    engine = create_engine(url)
    try:
        metadata = MetaData()
        Activity.__table__.to_metadata(metadata)
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, metadata)
            indexes = {i["name"] for i in inspect(connection).get_indexes("activities")}
    finally:
        engine.dispose()
    assert {"ix_activities_type_occurred_at", "ix_activities_manager_type_occurred_at"} <= indexes
    # Tables of other areas are not in this metadata and show up as "remove_*": not ours.
    return [d for d in differences if "activities" in repr(d)]


def test_migration_matches_the_model_on_sqlite(tmp_path) -> None:
    assert _compare(f"sqlite:///{tmp_path / 'migrated.db'}") == []


@pytest.mark.postgres
def test_migration_matches_the_model_on_postgresql(postgres_url) -> None:
    assert _compare(postgres_url) == []
