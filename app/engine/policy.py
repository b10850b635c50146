"""A loaded policy: validate a request, derive its facts, match, combine (CONTRACT §9)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from app.engine.approvals import ApprovalLookup, Given, Proposal, gather
from app.engine.combine import combine
from app.engine.compiler import SCOPE_FIELD, compile_action
from app.engine.evaluator import CompiledRuleset
from app.engine.facts import ClaimLookup, Facts, business_date, derive
from app.engine.messages import PLACEHOLDER
from app.engine.model import AllOf, AnyOf, Compare, Condition, Not, PolicyModel, Rule
from app.schemas import InvalidRequest, validate_request
from app.vocabulary import ACTIONS


@dataclass
class Evaluation:
    """One decision before it is logged: what was asked, what was compared, what follows."""

    action: str
    request: dict[str, Any]
    as_of: str
    derived: Facts
    outcome: str
    required_approvals: list[str]
    reasons: list[dict[str, Any]]
    obligations: list[dict[str, Any]]
    # The referenced approvals that did not count: [{approval_id, problem}].
    approval_problems: list[dict[str, str]]
    proposal: Proposal  # what an approval of this decision would be given on
    duration_ms: float = 0.0
    # Per reason, its message in the policy's other languages (not logged: the log and
    # the engine's own answer are English; an answer may be given in another language).
    translations: list[dict[str, str]] = field(default_factory=list)

    def reasons_in(self, language: str) -> list[dict[str, Any]]:
        """The reasons with their messages in `language` where the policy has it."""
        return localized_reasons(self.reasons, self.translations, language)

    @property
    def facts(self) -> list[dict[str, Any]]:
        """The facts as JSON-ready dicts, for the log (built only when asked)."""
        return [_loggable(self.derived.request)] + [_loggable(line) for line in self.derived.lines]

    def as_dict(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome,
            "required_approvals": self.required_approvals,
            "reasons": self.reasons,
            "obligations": self.obligations,
            "approval_problems": self.approval_problems,
        }


@dataclass(frozen=True)
class _ActionProgram:
    """The compiled ruleset of one action and how to read its hits back."""

    ruleset: CompiledRuleset
    fields: frozenset[str]  # the fact fields its rules read: nothing else is sent
    quoted: frozenset[str]  # those and the ones its messages quote: the facts kept


class Policy:
    def __init__(self, model: PolicyModel, sha256: str) -> None:
        self.model = model
        self.sha256 = sha256
        self.loaded_at = datetime.now(UTC)
        self._programs = {
            action: _ActionProgram(
                CompiledRuleset(f"{model.name}@{sha256[:12]}/{action}",
                                compile_action(model, action)),
                frozenset(read := _fields_read(model, action)),
                frozenset(read | _fields_quoted(model, action)),
            )
            for action in ACTIONS
        }

    # -- what the policy is
    @property
    def name(self) -> str:
        return self.model.name

    @property
    def version(self) -> str:
        return self.model.version

    @property
    def confidential_fields(self) -> tuple[str, ...]:
        return self.model.confidential

    @property
    def rules(self) -> tuple[Rule, ...]:
        return self.model.rules

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "sha256": self.sha256,
            "loaded_at": self.loaded_at.isoformat().replace("+00:00", "Z"),
            "principles": self.model.principles,
            "rules": [
                {"id": r.id, "principle": r.principle, "actions": list(r.actions),
                 "description": r.description}
                for r in self.model.rules
            ],
        }

    # -- deciding
    def decide(self, request: dict[str, Any], claims: ClaimLookup | None = None,
               timezone: str = "Europe/Moscow",
               approvals: ApprovalLookup | None = None) -> dict[str, Any]:
        """Validate and decide one request; raise InvalidRequest with field errors.

        `approvals` looks up an approval referenced by id (app.engine.approvals);
        without it every reference is unknown.
        """
        return self.evaluate(request, claims=claims, timezone=timezone,
                             approvals=approvals).as_dict()

    def proposal(self, request: dict[str, Any]) -> Proposal:
        """What an approval of `request` is given on, made as `evaluate` makes it (the
        request validated, then its Proposal), so that its HMAC is the one a reference
        is compared with. Raises InvalidRequest as `evaluate` does."""
        return Proposal(validate_request(request, currency=self.model.currency))

    def evaluate(self, request: dict[str, Any], claims: ClaimLookup | None = None,
                 timezone: str = "Europe/Moscow",
                 approvals: ApprovalLookup | None = None) -> Evaluation:
        started = time.perf_counter()
        valid = validate_request(request, currency=self.model.currency)
        if self.model.refuses_asserted_approvals and valid["approvals"]:
            _refuse_asserted(valid["approvals"])
        action = valid["action"]
        as_of = business_date(valid.get("as_of"), timezone)
        facts = derive(action, valid, as_of, claims, self._programs[action].quoted)
        proposal = Proposal(valid)
        given, problems = gather(valid, proposal, approvals)
        decision = self._judge(action, facts, given)
        return Evaluation(
            action=action,
            request=request,
            as_of=as_of.isoformat(),
            derived=facts,
            approval_problems=problems,
            proposal=proposal,
            duration_ms=round((time.perf_counter() - started) * 1000, 3),
            **decision,
        )

    def _judge(self, action: str, facts: Facts, given: list[Given]) -> dict[str, Any]:
        program = self._programs[action]
        documents = [facts.request, *facts.lines]
        sent = [
            _project(doc, program.fields, "request" if index == 0 else "line")
            for index, doc in enumerate(documents)
        ]
        hits = program.ruleset.matches(sent)
        # Per rule and fact, the first case that matched decides.
        deciding: dict[tuple[int, int], int] = {}
        for name, doc_index in hits:
            rule_index, case_index = (int(part) for part in name.split("."))
            key = (rule_index, doc_index)
            if key not in deciding or case_index < deciding[key]:
                deciding[key] = case_index
        matched = [
            (rule_index, rule := self.model.rules[rule_index], rule.cases[case_index],
             documents[doc_index])
            for (rule_index, doc_index), case_index in sorted(deciding.items())
        ]
        return combine(self.model, matched, given)


def localized_reasons(reasons: list[dict[str, Any]], translations: list[dict[str, str]],
                      language: str) -> list[dict[str, Any]]:
    """`reasons` with each message in `language` where a translation exists."""
    if language == "en" or not translations:
        return reasons
    return [{**reason, "message": texts.get(language, reason["message"])}
            for reason, texts in zip(reasons, translations, strict=False)]


def _refuse_asserted(approvals: list[dict[str, Any]]) -> None:
    """The policy counts only approvals given in dealguard: a {role, by} is a 422."""
    raise InvalidRequest({
        f"approvals.{index}": ["This policy accepts no asserted approvals: reference an "
                               "approval given in dealguard by its approval_id."]
        for index, approval in enumerate(approvals) if "role" in approval
    })


def _project(doc: dict[str, Any], fields: frozenset[str], scope: str) -> dict[str, Any]:
    # A missing value is left out, not sent as null: every comparison with a missing
    # field is false, which is what "margin below the floor" means when no cost is known.
    projected = {name: doc[name] for name in fields if doc.get(name) is not None}
    projected[SCOPE_FIELD] = scope
    return projected


def _fields_read(model: PolicyModel, action: str) -> set[str]:
    names: set[str] = set()
    for rule in model.rules_for(action):
        for case in rule.cases:
            _collect_fields(case.when, model, names)
    return names


def _fields_quoted(model: PolicyModel, action: str) -> set[str]:
    return {name for rule in model.rules_for(action) for case in rule.cases
            for text in (case.message, *(t for _, t in case.translations))
            for name in PLACEHOLDER.findall(text)}


def _collect_fields(condition: Condition, model: PolicyModel, names: set[str]) -> None:
    if isinstance(condition, Not):
        _collect_fields(condition.item, model, names)
    elif isinstance(condition, AllOf | AnyOf):
        for item in condition.items:
            _collect_fields(item, model, names)
    elif isinstance(condition, Compare):
        names.add(condition.field)
        if condition.operand.kind == "field":
            names.add(condition.operand.value)
        elif condition.operand.kind == "table":
            names.add(model.tables[condition.operand.value].row_key)


def _loggable(fact: dict[str, Any]) -> dict[str, Any]:
    # Called for every logged decision: only Decimals need converting.
    return {name: _json_number(value) if type(value) is Decimal else value
            for name, value in fact.items()}


def _json_number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)
