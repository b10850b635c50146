"""The policy model: what rules.yaml says, as plain typed objects.

The loader builds it (and checks it), the compiler turns it into durable_rules
rulesets, and the combination reads outcomes, approvers and messages from it. The
words it uses (actions, outcomes, principles, roles) are app.vocabulary's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Contract §7: always masked in the log, whatever the policy adds.
CONTRACT_CONFIDENTIAL = (
    "client.name",
    "client.email",
    "client.phone",
    "client.tax_id",
    "disclosure.purpose",
)
COMPARISONS = ("eq", "ne", "lt", "le", "gt", "ge", "in", "not_in")
# Parameters that no rule reads but the approvals do (CONTRACT §10), with their defaults:
# how long an approval given in dealguard counts, and whether approvals asserted by a
# CRM ({role, by}) are accepted or refused (then only an approval_id counts).
APPROVAL_VALID_HOURS = ("approval_valid_hours", 72)
ASSERTED_APPROVALS = ("asserted_approvals", "accept")
ASSERTED_CHOICES = ("accept", "refuse")


@dataclass(frozen=True)
class Operand:
    """The right-hand side of a comparison."""

    kind: str  # literal, param, table, field
    value: Any = None  # the literal, the parameter name, the table name or the field path
    column: str | None = None  # for tables


@dataclass(frozen=True)
class Compare:
    field: str
    op: str
    operand: Operand
    line: int | None = None


@dataclass(frozen=True)
class AllOf:
    items: tuple[Condition, ...]


@dataclass(frozen=True)
class AnyOf:
    items: tuple[Condition, ...]


@dataclass(frozen=True)
class Not:
    item: Condition


Condition = Compare | AllOf | AnyOf | Not


@dataclass(frozen=True)
class Case:
    when: Condition
    outcome: str
    approver: str | None
    message: str  # English
    line: int | None = None
    # The message in other languages: (language, template), e.g. (("ru", "..."),).
    translations: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Obligation:
    type: str
    value: Operand


@dataclass(frozen=True)
class Rule:
    id: str
    principle: str
    actions: tuple[str, ...]
    description: str
    per_line: bool
    cases: tuple[Case, ...]
    obligations: tuple[Obligation, ...] = ()
    line: int | None = None
    # The description in other languages: (language, text), e.g. (("ru", "..."),).
    description_translations: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Table:
    name: str
    row_key: str
    columns: tuple[str, ...]
    rows: dict[str, tuple[Any, ...]]
    description: str = ""
    description_translations: tuple[tuple[str, str], ...] = ()  # as a rule's

    def cell(self, row: str, column: str) -> Any:
        return self.rows[row][self.columns.index(column)]


@dataclass(frozen=True)
class PolicyModel:
    name: str
    version: str
    currency: str
    principles: dict[str, str]
    confidential: tuple[str, ...]
    parameters: dict[str, Any]
    tables: dict[str, Table]
    rules: tuple[Rule, ...]
    lines: dict[str, int] = field(default_factory=dict)  # "parameters.x" -> line, for errors

    def rules_for(self, action: str) -> list[Rule]:
        return [rule for rule in self.rules if action in rule.actions]

    @property
    def approval_valid_hours(self) -> Any:
        name, default = APPROVAL_VALID_HOURS
        return self.parameters.get(name, default)

    @property
    def refuses_asserted_approvals(self) -> bool:
        name, default = ASSERTED_APPROVALS
        return self.parameters.get(name, default) == "refuse"
