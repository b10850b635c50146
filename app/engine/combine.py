"""Matched rules -> the decision of CONTRACT §2.

Deny overrides require_approval, which overrides allow; no matching rule is allow.
A requirement is met by the actor's own role or by an approval already given
(app.engine.approvals): on the sales ladder (app.vocabulary.SALES_LADDER) by that
role or a higher one, for cfo and compliance_officer only by themselves. What stays
open is answered with the smallest set of roles that covers it.
"""

from __future__ import annotations

from typing import Any

from app.engine.approvals import Given
from app.engine.compiler import resolve
from app.engine.messages import render
from app.engine.model import Case, PolicyModel, Rule
from app.vocabulary import SALES_LADDER

# A role's rank on the sales ladder: it meets the requirements of every role below it.
RANK = {role: rank for rank, role in enumerate(SALES_LADDER)}


def meets(required: str, role: str) -> bool:
    """Whether `role` meets a requirement of `required` (and so may approve it)."""
    if required in RANK:
        return RANK.get(role, -1) >= RANK[required]
    return role == required


def satisfier(required: str, given_roles: list[str]) -> str | None:
    """The first of `given_roles` (actor first, then approvals) that meets `required`."""
    return next((role for role in given_roles if meets(required, role)), None)


def covered_by(role: str, required: list[str]) -> list[str]:
    """The requirements of `required` that `role` meets."""
    return [each for each in required if meets(each, role)]


def minimal_cover(open_roles: set[str]) -> list[str]:
    """The open roles less those a higher open role on the ladder covers (a commercial
    director covers a head-of-sales requirement too)."""
    top = max((RANK[role] for role in open_roles if role in RANK), default=-1)
    return sorted(role for role in open_roles if RANK.get(role, top) >= top)


def combine(
    model: PolicyModel,
    matched: list[tuple[int, Rule, Case, dict[str, Any]]],
    given: list[Given],
) -> dict[str, Any]:
    """Build outcome, required_approvals, reasons and obligations.

    `matched` holds, in rule order, (rule index, rule, deciding case, the fact it judged).
    """
    reasons: list[dict[str, Any]] = []
    # Per reason, its message in the policy's other languages ({"ru": "..."}).
    translations: list[dict[str, str]] = []
    obligations: list[dict[str, Any]] = []
    open_roles: set[str] = set()
    denied = False
    for _index, rule, case, fact in matched:
        proof = None
        if case.outcome == "require_approval":
            proof = next((g for g in given if meets(case.approver, g.role)), None)
            if proof is None:
                open_roles.add(case.approver)
        denied = denied or case.outcome == "deny"
        reasons.append({
            "rule": rule.id,
            "principle": rule.principle,
            "outcome": case.outcome,
            "approver": case.approver,
            "satisfied_by": proof.role if proof else None,
            "approval_id": proof.approval_id if proof else None,
            "item": fact.get("line.item") if rule.per_line else None,
            "message": render(case.message, fact, model),
        })
        translations.append({lang: render(template, fact, model)
                             for lang, template in case.translations})
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
        "translations": translations,
    }
