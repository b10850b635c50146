"""rules.yaml -> PolicyModel, with every mistake reported at its line.

The loader refuses what would make a rule silently wrong: unknown keys, unknown
principles, a condition on a field the request does not have, duplicate ids, a
parameter of the wrong type, a message quoting a value that does not exist.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

from app.engine.errors import PolicyError, PolicyProblem
from app.engine.facts import LINE_ACTIONS, known_fields
from app.engine.messages import PLACEHOLDER
from app.engine.model import (
    APPROVAL_VALID_HOURS,
    ASSERTED_APPROVALS,
    ASSERTED_CHOICES,
    COMPARISONS,
    CONTRACT_CONFIDENTIAL,
    AllOf,
    AnyOf,
    Case,
    Compare,
    Condition,
    Not,
    Obligation,
    Operand,
    PolicyModel,
    Rule,
    Table,
)
from app.engine.yamltext import YamlProblem, parse_with_lines
from app.schemas import FieldInfo, scalar_fields
from app.vocabulary import ACTIONS, APPROVERS, OUTCOMES, PRINCIPLES

TOP_KEYS = {"name", "version", "currency", "principles", "confidential", "parameters", "tables",
            "rules"}
RULE_KEYS = {"id", "principle", "actions", "description", "for_each", "cases", "when", "outcome",
             "approver", "message", "obligations"}
CASE_KEYS = {"when", "outcome", "approver", "message"}
# The languages of a message; English is required, the others optional (CONTRACT §11).
MESSAGE_LANGUAGES = ("en", "ru")
TABLE_KEYS = {"description", "row_key", "columns", "rows"}
OPERAND_KEYS = {"param", "table", "column", "field"}
COMBINATORS = ("all", "any", "not")
RULE_ID = re.compile(r"^[a-z][a-z0-9-]*(\.[a-z0-9-]+)+$")
NUMERIC = ("number", "integer")


def load_policy(path: str | Path) -> Policy:  # noqa: F821 - defined in app.engine.policy
    """Load, check and compile a policy file; raise PolicyError listing every mistake."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise PolicyError([PolicyProblem(None, "", f"cannot read the policy: {error.strerror}")],
                          str(path)) from None
    return load_policy_bytes(raw, str(path))


def load_policy_text(text: str, filename: str = "rules.yaml") -> Policy:  # noqa: F821
    return load_policy_bytes(text.encode("utf-8"), filename)


def load_policy_bytes(raw: bytes, filename: str) -> Policy:  # noqa: F821
    from app.engine.policy import Policy

    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise PolicyError([PolicyProblem(None, "", "the policy is not UTF-8 text")],
                          filename) from None
    model = parse_policy(text, filename)
    return Policy(model, hashlib.sha256(raw).hexdigest())


def parse_policy(text: str, filename: str = "rules.yaml") -> PolicyModel:
    try:
        data, lines = parse_with_lines(text)
    except YamlProblem as problem:
        raise PolicyError([PolicyProblem(problem.line, "", problem.message)], filename) from None
    checker = _Checker(lines)
    model = checker.policy(data)
    if checker.problems:
        raise PolicyError(sorted(checker.problems, key=lambda p: (p.line or 0, p.path)), filename)
    return model


class _Checker:
    """Walks the parsed YAML once, building the model and collecting problems."""

    def __init__(self, lines: dict[str, int]) -> None:
        self.lines = lines
        self.problems: list[PolicyProblem] = []
        self.parameters: dict[str, Any] = {}
        self.tables: dict[str, Table] = {}

    def problem(self, path: str, message: str) -> None:
        line = self.lines.get(path)
        probe = path
        while line is None and "." in probe:
            probe = probe.rsplit(".", 1)[0]
            line = self.lines.get(probe)
        self.problems.append(PolicyProblem(line, path, message))

    def unknown_keys(self, data: dict, allowed: set[str], path: str) -> None:
        for key in data:
            if key not in allowed:
                where = f"{path}.{key}" if path else key
                self.problem(where, f"unknown key {key!r}; allowed: {', '.join(sorted(allowed))}")

    # ------------------------------------------------------------------ top level
    def policy(self, data: Any) -> PolicyModel:
        if not isinstance(data, dict):
            self.problem("", "the policy must be a mapping with name, version and rules")
            data = {}
        self.unknown_keys(data, TOP_KEYS, "")
        name = self.text(data, "name", "")
        version = self.text(data, "version", "")
        currency = self.text(data, "currency", "")
        principles = self.principles(data.get("principles"))
        confidential = self.confidential(data.get("confidential", []))
        self.parameters = self.parameters_of(data.get("parameters", {}))
        self.tables = self.tables_of(data.get("tables", {}))
        rules = self.rules(data.get("rules"))
        return PolicyModel(name, version, currency, principles, confidential, self.parameters,
                           self.tables, tuple(rules), dict(self.lines))

    def text(self, data: dict, key: str, path: str) -> str:
        value = data.get(key)
        where = f"{path}.{key}" if path else key
        if not isinstance(value, str) or not value.strip():
            self.problem(where, f"{key!r} must be a non-empty text")
            return ""
        return value.strip()

    def principles(self, data: Any) -> dict[str, str]:
        if not isinstance(data, dict):
            self.problem("principles", "principles must map each principle key to its wording")
            return {}
        for key, wording in data.items():
            if key not in PRINCIPLES:
                self.problem(f"principles.{key}", f"unknown principle {key!r}; "
                             f"the six are {', '.join(PRINCIPLES)}")
            elif not isinstance(wording, str):
                self.problem(f"principles.{key}", "a principle's wording must be text")
        for key in PRINCIPLES:
            if key not in data:
                self.problem("principles", f"principle {key!r} is missing")
        return {key: str(data.get(key, "")).strip() for key in PRINCIPLES}

    def confidential(self, data: Any) -> tuple[str, ...]:
        if not isinstance(data, list) or not all(isinstance(item, str) for item in data):
            self.problem("confidential", "confidential must be a list of request field paths")
            return CONTRACT_CONFIDENTIAL
        known = _request_paths()
        for index, path in enumerate(data):
            if path not in known:
                self.problem(f"confidential.{index}", f"no request has a field {path!r}")
        return tuple(dict.fromkeys((*CONTRACT_CONFIDENTIAL, *data)))

    def parameters_of(self, data: Any) -> dict[str, Any]:
        if not isinstance(data, dict):
            self.problem("parameters", "parameters must map names to numbers or lists")
            return {}
        result = {}
        for name, value in data.items():
            ok_scalar = _is_number(value) or isinstance(value, str)
            ok_list = isinstance(value, list) and all(
                _is_number(item) or isinstance(item, str) for item in value
            )
            if not (ok_scalar or ok_list):
                self.problem(f"parameters.{name}",
                             f"parameter {name!r} must be a number, a text or a list of them")
            result[name] = value
        self.approval_settings(result)
        return result

    def approval_settings(self, parameters: dict[str, Any]) -> None:
        hours_name, _ = APPROVAL_VALID_HOURS
        hours = parameters.get(hours_name)
        if hours is not None and not (_is_number(hours) and hours > 0):
            self.problem(f"parameters.{hours_name}",
                         f"{hours_name} must be a number of hours above 0")
        asserted_name, _ = ASSERTED_APPROVALS
        asserted = parameters.get(asserted_name)
        if asserted is not None and asserted not in ASSERTED_CHOICES:
            self.problem(f"parameters.{asserted_name}",
                         f"{asserted_name} must be {' or '.join(ASSERTED_CHOICES)}")

    def tables_of(self, data: Any) -> dict[str, Table]:
        if not isinstance(data, dict):
            self.problem("tables", "tables must map names to decision tables")
            return {}
        tables = {}
        for name, table in data.items():
            path = f"tables.{name}"
            if not isinstance(table, dict):
                self.problem(path, "a table needs row_key, columns and rows")
                continue
            self.unknown_keys(table, TABLE_KEYS, path)
            row_key = table.get("row_key")
            columns = table.get("columns")
            rows = table.get("rows")
            info = _request_fields_any_action().get(row_key) if isinstance(row_key, str) else None
            if info is None:
                self.problem(f"{path}.row_key", f"row_key {row_key!r} is not a request field")
            if not isinstance(columns, list) or not all(isinstance(c, str) for c in columns):
                self.problem(f"{path}.columns", "columns must be a list of names")
                continue
            if not isinstance(rows, dict):
                self.problem(f"{path}.rows", "rows must map each row key to its values")
                continue
            for row, values in rows.items():
                if info is not None and info.choices and row not in info.choices:
                    self.problem(f"{path}.rows.{row}",
                                 f"{row!r} is not a value of {row_key}: {', '.join(info.choices)}")
                if (not isinstance(values, list) or len(values) != len(columns)
                        or not all(_is_number(v) for v in values)):
                    self.problem(f"{path}.rows.{row}",
                                 f"row {row!r} needs {len(columns)} numbers, one per column")
            tables[name] = Table(name, str(row_key), tuple(columns),
                                 {k: tuple(v) if isinstance(v, list) else () for k, v in
                                  rows.items()},
                                 *self.description(table.get("description"),
                                                   f"{path}.description"))
        return tables

    # ------------------------------------------------------------------ rules
    def rules(self, data: Any) -> list[Rule]:
        if not isinstance(data, list) or not data:
            self.problem("rules", "rules must be a non-empty list")
            return []
        seen: dict[str, int] = {}
        rules = []
        for index, item in enumerate(data):
            rule = self.rule(item, f"rules.{index}")
            if rule is None:
                continue
            if rule.id in seen:
                self.problem(f"rules.{index}.id",
                             f"duplicate rule id {rule.id!r} (first at line {seen[rule.id]})")
            else:
                seen[rule.id] = self.lines.get(f"rules.{index}.id", 0)
            rules.append(rule)
        return rules

    def rule(self, data: Any, path: str) -> Rule | None:
        if not isinstance(data, dict):
            self.problem(path, "a rule must be a mapping")
            return None
        self.unknown_keys(data, RULE_KEYS, path)
        rule_id = self.text(data, "id", path)
        if rule_id and not RULE_ID.match(rule_id):
            self.problem(f"{path}.id", f"rule id {rule_id!r} must look like 'area.name' "
                         "in lower case")
        principle = data.get("principle")
        if principle not in PRINCIPLES:
            self.problem(f"{path}.principle",
                         f"unknown principle {principle!r}; one of {', '.join(PRINCIPLES)}")
        actions = data.get("actions")
        if (not isinstance(actions, list) or not actions
                or not all(a in ACTIONS for a in actions)):
            self.problem(f"{path}.actions", f"actions must list some of {', '.join(ACTIONS)}")
            actions = [a for a in actions if a in ACTIONS] if isinstance(actions, list) else []
        for_each = data.get("for_each")
        per_line = for_each == "line"
        if for_each is not None and not per_line:
            self.problem(f"{path}.for_each", "for_each may only be 'line'")
        if per_line and any(a not in LINE_ACTIONS for a in actions):
            self.problem(f"{path}.for_each",
                         f"only {' and '.join(LINE_ACTIONS)} have lines to judge one by one")
        scopes = [known_fields(action, per_line) for action in actions]
        cases = self.cases(data, path, scopes)
        obligations = self.obligations(data.get("obligations", []), f"{path}.obligations")
        description, translated = self.description(data.get("description"),
                                                   f"{path}.description")
        return Rule(rule_id, str(principle), tuple(actions), description, per_line,
                    tuple(cases), tuple(obligations), self.lines.get(path), translated)

    def description(self, data: Any, path: str) -> tuple[str, tuple[tuple[str, str], ...]]:
        """A rule's or a table's description: a text (English), or {en: text, ru: text}
        as a message's languages; the console shows it in the reader's language."""
        if not isinstance(data, dict):
            return str(data if data is not None else "").strip(), ()
        self.unknown_keys(data, set(MESSAGE_LANGUAGES), path)
        texts = {}
        for lang in MESSAGE_LANGUAGES:
            text = data.get(lang)
            if isinstance(text, str) and text.strip():
                texts[lang] = " ".join(text.split())
            elif lang in data or lang == "en":
                self.problem(f"{path}.{lang}", f"the {lang} description must be a "
                             "non-empty text")
        return texts.pop("en", ""), tuple(texts.items())

    def cases(self, data: dict, path: str, scopes: list[dict[str, FieldInfo]]) -> list[Case]:
        if "cases" in data:
            if any(key in data for key in CASE_KEYS):
                self.problem(path, "a rule has either cases or when/outcome, not both")
            raw_cases = data["cases"]
            if not isinstance(raw_cases, list) or not raw_cases:
                self.problem(f"{path}.cases", "cases must be a non-empty list")
                return []
            items = [(case, f"{path}.cases.{i}") for i, case in enumerate(raw_cases)]
        else:
            items = [({k: data[k] for k in CASE_KEYS if k in data}, path)]
        cases = []
        for case, case_path in items:
            if not isinstance(case, dict):
                self.problem(case_path, "a case must be a mapping with when and outcome")
                continue
            if case_path != path:
                self.unknown_keys(case, CASE_KEYS, case_path)
            cases.append(self.case(case, case_path, scopes))
        return cases

    def case(self, data: dict, path: str, scopes: list[dict[str, FieldInfo]]) -> Case:
        outcome = data.get("outcome")
        if outcome not in OUTCOMES:
            self.problem(f"{path}.outcome", f"outcome must be one of {', '.join(OUTCOMES)}")
        approver = data.get("approver")
        if outcome == "require_approval" and approver not in APPROVERS:
            self.problem(f"{path}.approver",
                         f"require_approval needs an approver: one of {', '.join(APPROVERS)}")
        elif outcome != "require_approval" and approver is not None:
            self.problem(f"{path}.approver", "only require_approval takes an approver")
        if "when" not in data:
            self.problem(path, "a case needs a 'when' condition")
            when: Condition = AllOf(())
        else:
            when = self.condition(data["when"], f"{path}.when", scopes)
        message, translations = self.messages(data.get("message"), f"{path}.message", scopes)
        return Case(when, str(outcome), approver if outcome == "require_approval" else None,
                    message, self.lines.get(path), translations)

    def messages(self, data: Any, path: str, scopes: list[dict[str, FieldInfo]]
                 ) -> tuple[str, tuple[tuple[str, str], ...]]:
        """A case's message: a text (English), or {en: text, ru: text} (CONTRACT §11).

        Every language quotes the same placeholders as the English text, so no reader
        misses a value another one sees."""
        if isinstance(data, dict):
            self.unknown_keys(data, set(MESSAGE_LANGUAGES), path)
            texts = {lang: data[lang] for lang in MESSAGE_LANGUAGES if lang in data}
        else:
            texts = {"en": data}
        known = len(self.problems)  # a placeholder known to no language is named once
        english = self.message_text(texts.get("en"), path if not isinstance(data, dict)
                                    else f"{path}.en", scopes)
        translations = []
        for lang, text in texts.items():
            if lang == "en":
                continue
            where = f"{path}.{lang}"
            translated = self.message_text(text, where, scopes)
            quoted, quoted_en = set(PLACEHOLDER.findall(translated)), set(
                PLACEHOLDER.findall(english))
            if translated and english and len(self.problems) == known and quoted != quoted_en:
                names = ", ".join(f"{{{name}}}" for name in sorted(quoted ^ quoted_en))
                self.problem(where, f"the {lang} message quotes other placeholders than the "
                             f"en one: {names}")
            translations.append((lang, translated))
        return english, tuple(translations)

    def message_text(self, text: Any, path: str, scopes: list[dict[str, FieldInfo]]) -> str:
        if not isinstance(text, str) or not text.strip():
            self.problem(path, "a message is required: it is the reason people read")
            return ""
        text = " ".join(text.split())
        self.check_placeholders(text, path, scopes)
        return text

    def obligations(self, data: Any, path: str) -> list[Obligation]:
        if not isinstance(data, list):
            self.problem(path, "obligations must be a list of {type, value}")
            return []
        result = []
        for index, item in enumerate(data):
            where = f"{path}.{index}"
            if not isinstance(item, dict) or set(item) != {"type", "value"}:
                self.problem(where, "an obligation is {type: name, value: number or {param}}")
                continue
            operand = self.operand(item["value"], f"{where}.value", None, [])
            result.append(Obligation(str(item["type"]), operand))
        return result

    # ------------------------------------------------------------------ conditions
    def condition(self, data: Any, path: str, scopes: list[dict[str, FieldInfo]]) -> Condition:
        if not isinstance(data, dict) or not data:
            self.problem(path, "a condition is a mapping of fields to tests, or all/any/not")
            return AllOf(())
        parts: list[Condition] = []
        for key, value in data.items():
            where = f"{path}.{key}"
            if key in ("all", "any"):
                if not isinstance(value, list) or not value:
                    self.problem(where, f"{key} takes a non-empty list of conditions")
                    continue
                items = tuple(self.condition(v, f"{where}.{i}", scopes)
                              for i, v in enumerate(value))
                parts.append(AllOf(items) if key == "all" else AnyOf(items))
            elif key == "not":
                parts.append(Not(self.condition(value, where, scopes)))
            else:
                parts.extend(self.tests(key, value, where, scopes))
        return parts[0] if len(parts) == 1 else AllOf(tuple(parts))

    def tests(self, field: str, value: Any, path: str,
              scopes: list[dict[str, FieldInfo]]) -> list[Compare]:
        infos = [scope.get(field) for scope in scopes]
        if not scopes or any(info is None for info in infos):
            self.problem(path, f"no field {field!r} in the requests of this rule's actions")
            return []
        info = infos[0]
        if isinstance(value, dict):
            unknown = sorted(set(value) - set(COMPARISONS))
            if unknown or not value:
                self.problem(path, f"unknown test {', '.join(unknown) or '{}'}; "
                             f"use {', '.join(COMPARISONS)}")
                return []
        else:
            value = {"eq": value}  # `field: value` is short for `field: {eq: value}`
        tests = []
        for op, raw in value.items():
            operand = self.operand(raw, f"{path}.{op}", info, scopes, op)
            tests.append(Compare(field, op, operand, self.lines.get(path)))
        return tests

    def operand(self, raw: Any, path: str, info: FieldInfo | None,
                scopes: list[dict[str, FieldInfo]], op: str = "eq") -> Operand:
        if isinstance(raw, dict):
            self.unknown_keys(raw, OPERAND_KEYS, path)
            if "param" in raw:
                return self.param_operand(raw["param"], path, info, op)
            if "table" in raw:
                return self.table_operand(raw, path, info, op, scopes)
            if "field" in raw:
                other = raw["field"]
                if any(other not in scope for scope in scopes) or not scopes:
                    self.problem(path, f"no field {other!r} to compare with")
                return Operand("field", other)
            self.problem(path, "an operand is a value, {param}, {table, column} or {field}")
            return Operand("literal", None)
        self.check_value(raw, path, info, op)
        return Operand("literal", raw)

    def param_operand(self, name: Any, path: str, info: FieldInfo | None, op: str) -> Operand:
        if name not in self.parameters:
            self.problem(path, f"unknown parameter {name!r}")
            return Operand("param", name)
        value = self.parameters[name]
        where = f"parameters.{name}"
        if not self.fits(value, info, op):
            self.problem(where, f"parameter {name!r} is {_describe(value)}, but "
                         f"{path.rsplit('.', 1)[0]} compares it as {_expected(info, op)}")
        elif info is not None and info.choices:
            # As a literal in a condition is checked: a typo would never match.
            for item in value if isinstance(value, list) else [value]:
                if item not in info.choices:
                    self.problem(where, f"{item!r} is not one of {', '.join(info.choices)}")
        return Operand("param", name)

    def table_operand(self, raw: dict, path: str, info: FieldInfo | None, op: str,
                      scopes: list[dict[str, FieldInfo]]) -> Operand:
        table = self.tables.get(raw["table"])
        column = raw.get("column")
        if table is None:
            self.problem(path, f"unknown table {raw['table']!r}")
        elif column not in table.columns:
            self.problem(path, f"table {table.name!r} has no column {column!r}")
        elif op in ("in", "not_in") or (info is not None and info.type not in NUMERIC):
            self.problem(path, "a table cell is a number; compare a number field with it")
        elif any(table.row_key not in scope for scope in scopes):
            self.problem(path, f"the rule's requests have no {table.row_key} to pick a row")
        return Operand("table", raw["table"], column)

    def check_value(self, raw: Any, path: str, info: FieldInfo | None, op: str) -> None:
        if not self.fits(raw, info, op):
            self.problem(path, f"{_describe(raw)} cannot be compared as {_expected(info, op)}")
            return
        if info is not None and info.choices:
            values = raw if isinstance(raw, list) else [raw]
            for value in values:
                if value not in info.choices:
                    self.problem(path, f"{value!r} is not one of {', '.join(info.choices)}")

    @staticmethod
    def fits(value: Any, info: FieldInfo | None, op: str) -> bool:
        if info is None:  # obligations: any number
            return _is_number(value)
        if op in ("in", "not_in"):
            return (isinstance(value, list) and bool(value)
                    and all(_fits_scalar(v, info) for v in value))
        if op in ("lt", "le", "gt", "ge"):
            return info.type in NUMERIC and _is_number(value)
        # No null: a missing value is never sent to the engine, where every comparison
        # with a missing field is false. Rules test derived facts such as line.has_cost.
        return _fits_scalar(value, info)

    def check_placeholders(self, message: str, path: str,
                           scopes: list[dict[str, FieldInfo]]) -> None:
        for name in PLACEHOLDER.findall(message):
            if name in self.parameters:
                continue
            table, _, column = name.partition(".")
            if table in self.tables and column in self.tables[table].columns:
                continue
            if scopes and all(name in scope for scope in scopes):
                continue
            self.problem(path, f"the message quotes {{{name}}}, which is no field, parameter "
                         "or table column")


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _fits_scalar(value: Any, info: FieldInfo) -> bool:
    if info.type in NUMERIC:
        return _is_number(value)
    if info.type == "boolean":
        return isinstance(value, bool)
    return isinstance(value, str)


def _describe(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, list) and not value:
        return "an empty list"
    if isinstance(value, bool):
        return f"the boolean {value}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return f"the text {value!r}"
    return f"the value {value!r}"


def _expected(info: FieldInfo | None, op: str) -> str:
    kind = "a number" if info is None or info.type in NUMERIC else f"a {info.type}"
    return f"a list of {kind[2:]} values" if op in ("in", "not_in") else kind


def _request_paths() -> set[str]:
    """Every request field path, lists included (offer.custom_terms.text)."""
    from app.schemas import REQUEST_SCHEMAS, list_item_fields

    paths: set[str] = set()
    for action in ACTIONS:
        paths.update(scalar_fields(action))
        schema = REQUEST_SCHEMAS[action]
        for name, field in schema.fields.items():
            nested = getattr(field, "schema", None)
            if nested is None:
                continue
            for sub, sub_field in nested.fields.items():
                if getattr(sub_field, "inner", None) is not None and hasattr(
                        sub_field.inner, "schema"):
                    for leaf in list_item_fields(action, f"{name}.{sub}"):
                        paths.add(f"{name}.{sub}.{leaf}")
    return paths


def _request_fields_any_action() -> dict[str, FieldInfo]:
    fields: dict[str, FieldInfo] = {}
    for action in ACTIONS:
        fields.update(scalar_fields(action))
    return fields
