"""What changed between two policies, in the policy's own terms (CONTRACT §12).

Not a diff of lines: a moved rule, a re-indented table or a new comment is no
change; a discount cell that moved from 15 to 18 is `{table, row, column, from, to}`;
a rule is compared case by case (its condition written out, its outcome, approver and
message). Line numbers never count.
"""

from __future__ import annotations

from typing import Any

from app.engine.model import AllOf, AnyOf, Compare, Condition, Not, Operand, PolicyModel, Rule

_MISSING = None  # what `from` or `to` says of something one side does not have


def diff(before: PolicyModel, after: PolicyModel) -> dict[str, Any]:
    """`{settings, parameters, tables, rules: {added, removed, changed}}` from before to after."""
    return {
        "settings": _settings(before, after),
        "parameters": _named(before.parameters, after.parameters),
        "tables": _tables(before, after),
        "rules": _rules(before, after),
    }


def _settings(before: PolicyModel, after: PolicyModel) -> list[dict[str, Any]]:
    """The policy's name, version, currency, principles and confidential fields."""
    changes = []
    for name in ("name", "version", "currency"):
        if getattr(before, name) != getattr(after, name):
            changes.append({"name": name, "from": getattr(before, name),
                            "to": getattr(after, name)})
    changes += _named({f"principles.{k}": v for k, v in before.principles.items()},
                      {f"principles.{k}": v for k, v in after.principles.items()})
    if sorted(before.confidential) != sorted(after.confidential):
        changes.append({"name": "confidential", "from": sorted(before.confidential),
                        "to": sorted(after.confidential)})
    return changes


def _named(before: dict[str, Any], after: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"name": name, "from": before.get(name, _MISSING), "to": after.get(name, _MISSING)}
            for name in _union(before, after) if before.get(name) != after.get(name)
            or (name in before) != (name in after)]


def _tables(before: PolicyModel, after: PolicyModel) -> list[dict[str, Any]]:
    """Every cell that differs; a row, column or table on one side only: each of its cells."""
    changes = []
    for name in _union(before.tables, after.tables):
        old, new = before.tables.get(name), after.tables.get(name)
        old_rows = _cells(old)
        new_rows = _cells(new)
        columns = list(dict.fromkeys([*(old.columns if old else ()),
                                      *(new.columns if new else ())]))
        for row in _union(old_rows, new_rows):
            for column in columns:
                was = old_rows.get(row, {}).get(column, _MISSING)
                now = new_rows.get(row, {}).get(column, _MISSING)
                if was != now:
                    changes.append({"table": name, "row": row, "column": column,
                                    "from": was, "to": now})
    return changes


def _cells(table: Any) -> dict[str, dict[str, Any]]:
    if table is None:
        return {}
    return {row: dict(zip(table.columns, values, strict=False))
            for row, values in table.rows.items()}


def _rules(before: PolicyModel, after: PolicyModel) -> dict[str, list[dict[str, Any]]]:
    old = {rule.id: rule for rule in before.rules}
    new = {rule.id: rule for rule in after.rules}
    changed = []
    for rule_id in old.keys() & new.keys():
        changes = _rule_changes(old[rule_id], new[rule_id])
        if changes:
            changed.append({"id": rule_id, "changes": changes})
    return {
        "added": [_summary(new[i]) for i in new if i not in old],
        "removed": [_summary(old[i]) for i in old if i not in new],
        "changed": sorted(changed, key=lambda c: list(new).index(c["id"])),
    }


def _summary(rule: Rule) -> dict[str, Any]:
    return {"id": rule.id, "principle": rule.principle, "actions": list(rule.actions),
            "description": rule.description,
            "cases": [_case(case) for case in rule.cases]}


def _rule_changes(old: Rule, new: Rule) -> list[dict[str, Any]]:
    """Each difference: {what, from, to}, with `case` (1-based) for a case's part."""
    changes = []
    for what, was, now in (("principle", old.principle, new.principle),
                           ("actions", list(old.actions), list(new.actions)),
                           ("description", old.description, new.description),
                           ("for_each", _for_each(old), _for_each(new)),
                           ("obligations", _obligations(old), _obligations(new))):
        if was != now:
            changes.append({"what": what, "from": was, "to": now})
    for index in range(max(len(old.cases), len(new.cases))):
        was = _case(old.cases[index]) if index < len(old.cases) else None
        now = _case(new.cases[index]) if index < len(new.cases) else None
        if was is None or now is None:
            changes.append({"case": index + 1, "what": "case", "from": was, "to": now})
            continue
        for part in ("when", "outcome", "approver", "message"):
            if was[part] != now[part]:
                changes.append({"case": index + 1, "what": part, "from": was[part],
                                "to": now[part]})
    return changes


def _case(case: Any) -> dict[str, Any]:
    return {"when": condition_text(case.when), "outcome": case.outcome,
            "approver": case.approver, "message": case.message}


def _for_each(rule: Rule) -> str | None:
    return "line" if rule.per_line else None


def _obligations(rule: Rule) -> list[str]:
    return [f"{o.type} = {_operand(o.value)}" for o in rule.obligations]


def condition_text(condition: Condition) -> str:
    """A condition as one line: `line.discount_percent > discount_limits.manager`."""
    if isinstance(condition, Compare):
        return f"{condition.field} {_OPS.get(condition.op, condition.op)} " \
               f"{_operand(condition.operand)}"
    if isinstance(condition, Not):
        return f"not ({condition_text(condition.item)})"
    if isinstance(condition, AllOf | AnyOf):
        word = " and " if isinstance(condition, AllOf) else " or "
        parts = [condition_text(item) for item in condition.items]
        return parts[0] if len(parts) == 1 else "(" + word.join(parts) + ")"
    return repr(condition)


_OPS = {"eq": "=", "ne": "!=", "lt": "<", "le": "<=", "gt": ">", "ge": ">=",
        "in": "in", "not_in": "not in"}


def _operand(operand: Operand) -> str:
    if operand.kind == "param":
        return f"parameters.{operand.value}"
    if operand.kind == "table":
        return f"{operand.value}.{operand.column}"
    if operand.kind == "field":
        return str(operand.value)
    value = operand.value
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_literal(v) for v in value) + "]"
    return _literal(value)


def _literal(value: Any) -> str:
    if isinstance(value, str):
        return f'"{value}"'
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _union(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """Keys of both, in the order the newer text has them, then those it dropped."""
    return list(dict.fromkeys([*after, *before]))
