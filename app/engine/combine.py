"""Matched rules -> the decision of CONTRACT §2.

Deny overrides require_approval, which overrides allow. A requirement is met by
the actor's own role or by an approval already given: in the sales chain by that
role or a higher one, for cfo and compliance_officer only by themselves. What
stays open is answered with the smallest set of roles that covers it.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from app.engine.compiler import resolve
from app.engine.model import Case, PolicyModel, Rule

SALES_CHAIN = {"manager": 0, "head_of_sales": 1, "commercial_director": 2}
PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


def satisfier(required: str, given_roles: list[str]) -> str | None:
    """The first of `given_roles` (actor first, then approvals) that meets `required`."""
    for role in given_roles:
        if required in SALES_CHAIN:
            if SALES_CHAIN.get(role, -1) >= SALES_CHAIN[required]:
                return role
        elif role == required:
            return role
    return None


def minimal_cover(open_roles: set[str]) -> list[str]:
    """A commercial director covers a head-of-sales requirement too."""
    cover = set(open_roles)
    if "commercial_director" in cover:
        cover.discard("head_of_sales")
    return sorted(cover)


def combine(
    model: PolicyModel,
    matched: list[tuple[int, Rule, Case, dict[str, Any]]],
    given_roles: list[str],
) -> dict[str, Any]:
    """Build outcome, required_approvals, reasons and obligations.

    `matched` holds, in rule order, (rule index, rule, deciding case, the fact it judged).
    """
    reasons: list[dict[str, Any]] = []
    obligations: list[dict[str, Any]] = []
    open_roles: set[str] = set()
    denied = False
    for _index, rule, case, fact in matched:
        satisfied_by = None
        if case.outcome == "require_approval":
            satisfied_by = satisfier(case.approver, given_roles)
            if satisfied_by is None:
                open_roles.add(case.approver)
        denied = denied or case.outcome == "deny"
        reasons.append({
            "rule": rule.id,
            "principle": rule.principle,
            "outcome": case.outcome,
            "approver": case.approver,
            "satisfied_by": satisfied_by,
            "item": fact.get("line.item") if rule.per_line else None,
            "message": render(case.message, fact, model),
        })
        for obligation in rule.obligations:
            entry = {"type": obligation.type, "value": resolve(obligation.value, model),
                     "rule": rule.id}
            if entry not in obligations:
                obligations.append(entry)
    if denied:
        outcome, required = "deny", []
    elif open_roles:
        outcome, required = "require_approval", minimal_cover(open_roles)
    else:
        outcome, required = "allow", []
    return {
        "outcome": outcome,
        "required_approvals": required,
        "reasons": reasons,
        # Nothing is owed on an action that will not happen.
        "obligations": [] if denied else obligations,
    }


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
