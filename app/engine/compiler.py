"""PolicyModel -> durable_rules ruleset definitions (JSON-ready dicts), one per action.

Each case of each rule becomes one durable rule named "<rule index>.<case index>".
durable_rules has no `not` and no `in`, so negations are pushed down to the
comparisons (De Morgan) and `in` becomes an `$or` of equalities. A table cell
depends on the request's row, so a table comparison becomes an `$or` over the
rows: (row is retail and value > 15) or (row is wholesale and value > 20) ...
Every rule also tests the fact's `scope`, so a line rule never fires on the
request fact and the other way round.
"""

from __future__ import annotations

from typing import Any

from app.engine.model import AllOf, AnyOf, Condition, Not, Operand, PolicyModel

NEGATED = {"eq": "ne", "ne": "eq", "lt": "ge", "ge": "lt", "gt": "le", "le": "gt",
           "in": "not_in", "not_in": "in"}
DURABLE_OPERATORS = {"ne": "$neq", "lt": "$lt", "le": "$lte", "gt": "$gt", "ge": "$gte"}
SCOPE_FIELD = "scope"


def durable_rule_name(rule_index: int, case_index: int) -> str:
    return f"{rule_index}.{case_index}"


def compile_action(model: PolicyModel, action: str) -> dict[str, Any]:
    """The ruleset definition judging `action`; empty when no rule concerns it."""
    definition: dict[str, Any] = {}
    for rule_index, rule in enumerate(model.rules):
        if action not in rule.actions:
            continue
        scope = "line" if rule.per_line else "request"
        for case_index, case in enumerate(rule.cases):
            test = _compile(case.when, model, negate=False)
            definition[durable_rule_name(rule_index, case_index)] = {
                "all": [{"m": {"$and": [{SCOPE_FIELD: scope}, test]}}]
            }
    return definition


def resolve(operand: Operand, model: PolicyModel) -> Any:
    """The value of a parameter or literal operand (tables are resolved per row)."""
    if operand.kind == "param":
        return model.parameters[operand.value]
    return operand.value


def _compile(condition: Condition, model: PolicyModel, negate: bool) -> dict[str, Any]:
    if isinstance(condition, Not):
        return _compile(condition.item, model, not negate)
    if isinstance(condition, AllOf | AnyOf):
        items = [_compile(item, model, negate) for item in condition.items]
        if len(items) == 1:
            return items[0]
        conjunction = isinstance(condition, AllOf) != negate  # De Morgan
        return {"$and" if conjunction else "$or": items}
    op = NEGATED[condition.op] if negate else condition.op
    return _compare(condition.field, op, condition.operand, model)


def _compare(field: str, op: str, operand: Operand, model: PolicyModel) -> dict[str, Any]:
    if operand.kind == "table":
        table = model.tables[operand.value]
        return _any([
            {"$and": [{table.row_key: row}, _leaf(field, op, table.cell(row, operand.column))]}
            for row in table.rows
        ])
    if operand.kind == "field":
        return _leaf(field, op, {"$m": operand.value})
    value = resolve(operand, model)
    if op == "in":
        return _any([_leaf(field, "eq", item) for item in value])
    if op == "not_in":
        return _all([_leaf(field, "ne", item) for item in value])
    return _leaf(field, op, value)


def _leaf(field: str, op: str, value: Any) -> dict[str, Any]:
    if op == "eq":
        return {field: value}
    return {DURABLE_OPERATORS[op]: {field: value}}


def _any(items: list[dict[str, Any]]) -> dict[str, Any]:
    return items[0] if len(items) == 1 else {"$or": items}


def _all(items: list[dict[str, Any]]) -> dict[str, Any]:
    return items[0] if len(items) == 1 else {"$and": items}
