"""A rule's message: its template syntax, and the values it quotes as people read them.

A template quotes {field}, {parameter} and {table.column}. The loader checks that
every name it quotes exists (PLACEHOLDER), the engine keeps the facts a message
quotes, and the combination fills it in for each matched rule (render).
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from app.engine.model import PolicyModel

PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


def render(template: str, fact: dict[str, Any], model: PolicyModel) -> str:
    """Fill {field}, {parameter} and {table.column} with this request's values."""

    def value_of(match: re.Match) -> str:
        name = match.group(1)
        if name in fact:
            return display(fact[name])
        if name in model.parameters:
            return display(model.parameters[name])
        table_name, _, column = name.partition(".")
        table = model.tables.get(table_name)
        if table is not None:
            row = fact.get(table.row_key)
            if row in table.rows:
                return display(table.cell(row, column))
        return match.group(0)

    return PLACEHOLDER.sub(value_of, template)


def display(value: Any) -> str:
    """A value as a person reads it: 12.5 not 12.500000000, 'none' for a missing value."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float | Decimal) and not isinstance(value, bool):
        number = value if isinstance(value, Decimal) else Decimal(repr(value))
        if number.as_tuple().exponent < -4:  # type: ignore[operator]
            number = number.quantize(Decimal("0.0001"))
        text = format(number.normalize(), "f")
        return text
    if isinstance(value, list | tuple):
        return ", ".join(display(v) for v in value)
    return str(value)
