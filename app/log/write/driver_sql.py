"""Statements run on the driver's own connection, compiled once by SQLAlchemy.

On the decision path SQLAlchemy's per-statement work (building parameters, result
objects, events) cost more than the statement itself; the log's writer and the claim
look-up therefore compile their statement once per dialect and run the text on the
DBAPI connection, with values bound as SQLAlchemy would bind them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")
_built: dict[tuple, Any] = {}


def once_per_dialect(build: Callable[[Any], T], dialect) -> T:
    """build(dialect), made once per dialect and driver and kept."""
    key = (build, dialect.name, dialect.driver)
    if key not in _built:
        _built[key] = build(dialect)
    return _built[key]


def driver_sql(statement, dialect, columns: list[str] | None = None, table=None):
    """(SQL text in the driver's paramstyle, values dict -> driver parameters).

    The values go through the column types' bind processors, as SQLAlchemy itself
    would send them (SQLite stores dates and times as text in its own format).
    """
    compiled = statement.compile(dialect=dialect, column_keys=columns)
    processors = {}
    if table is not None:
        for name in columns or ():
            # The dialect's own type (SQLite's DATETIME, say), as SQLAlchemy binds it;
            # the generic type has no processor and would leave the value to the driver.
            processor = dialect.type_descriptor(table.c[name].type).bind_processor(dialect)
            if processor is not None:
                processors[name] = processor
    names = list(compiled.positiontup) if compiled.positiontup else None  # qmark, format

    def params(values: dict[str, Any]) -> Any:
        if processors:
            values = {k: (processors[k](v) if k in processors else v) for k, v in values.items()}
        if names is not None:
            return tuple(values[name] for name in names)
        return values

    return compiled.string, params
