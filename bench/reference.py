"""POLICY.md and CONTRACT §2 by hand in plain Python: no engine, no schema, no YAML.

The floor of the benchmarks (issue 6: "about 25 µs median") and a third opinion when
dealguard and the Rego peer disagree. It trusts its input (the generator only makes valid
requests) and answers {outcome, required_approvals, reasons, obligations} as CONTRACT §3,
without messages, with the rule ids of ../shared/peers/deal.rego.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

CHAIN = {"manager": 0, "head_of_sales": 1, "commercial_director": 2}
LIMITS = {"retail": (5, 10, 15), "wholesale": (10, 15, 20), "key_account": (15, 20, 25)}
QUALITY = {"defect", "damaged_in_transit", "wrong_item", "not_as_described"}
BASIS = {
    "contractor": {"contract"},
    "third_party": {"client_consent"},
    "authority": {"court_order", "law_request"},
}
HS, CD, CO, CFO = "head_of_sales", "commercial_director", "compliance_officer", "cfo"

Lookup = Callable[[str], "tuple[str, str] | None"]
Reason = tuple[str, str, "str | None", "str | None"]


def dec(value: Any) -> Decimal:
    return Decimal(str(value))


def pricing(req: dict, pct: Any, category: str, list_price: Any, cost: Any,
            item: str | None) -> list[Reason]:
    out: list[Reason] = []
    pct = dec(pct)
    manager, head, director = LIMITS[req["client"]["segment"]]
    rule = "pricing-policy.segment-limit"
    if pct > director:
        out.append((rule, "deny", None, item))
    elif pct > head:
        out.append((rule, "require_approval", CD, item))
    elif pct > manager:
        out.append((rule, "require_approval", HS, item))
    if category == "novelty" and pct > 5:
        out.append(("pricing-policy.novelty", "deny", None, item))
    elif category == "novelty" and pct > 0:
        out.append(("pricing-policy.novelty", "require_approval", HS, item))
    if category == "promo" and pct > 0:
        out.append(("pricing-policy.promo", "deny", None, item))
    if req["client"].get("is_new") and pct > 0:
        out.append(("pricing-policy.new-client", "require_approval", HS, item))
    if cost is not None:
        net, cost = dec(list_price) * (100 - pct) / 100, dec(cost)
        if net <= 0 or net < cost:
            out.append(("pricing-policy.margin-floor", "deny", None, item))
        elif (net - cost) * 100 < 10 * net:
            out.append(("pricing-policy.margin-floor", "require_approval", CFO, item))
    return out


def discount(req: dict, claims: Lookup | None) -> tuple[list[Reason], list]:
    deal = req["deal"]
    return pricing(req, req["discount"]["percent"], deal.get("category", "standard"),
                   deal["list_amount"], deal.get("cost_amount"), None), []


def shipment(req: dict, claims: Lookup | None) -> tuple[list[Reason], list]:
    order, ship = req["order"], req["shipment"]
    if ship.get("kind", "regular") == "claim_replacement":
        claim_id = ship.get("claim_decision_id")
        known = claims(claim_id) if claims and claim_id else None
        if known is None or tuple(known) != (req["client"]["id"], "allow"):
            return [("prepayment.claim-replacement", "deny", None, None)], []
        return [], []
    cleared = dec(order["paid"]) - dec(order.get("shipped_before", 0))
    if cleared < dec(ship["amount"]):
        return [("prepayment.cleared-money", "deny", None, None)], []
    return [], []


def claim(req: dict, claims: Lookup | None) -> tuple[list[Reason], list]:
    c, total = req["claim"], dec(req["order"]["total"])
    comp, days, out = dec(c.get("compensation", 0)), c["days_since_delivery"], []
    obligations = []
    if c["reason"] in QUALITY:
        obligations.append({"type": "resolve_within_hours", "value": 24})
        if days > 365:
            out.append(("claims.quality-window", "require_approval", HS, None))
        if comp > min(total * 15 / 100, 100_000):
            out.append(("claims.compensation", "require_approval", CD, None))
        elif comp > min(total * 5 / 100, 15_000):
            out.append(("claims.compensation", "require_approval", HS, None))
    else:
        if days > 14:
            out.append(("claims.changed-mind-window", "deny", None, None))
        if comp > 0:
            out.append(("claims.changed-mind-compensation", "deny", None, None))
    if dec(c["amount"]) > 500_000:
        out.append(("claims.large-amount", "require_approval", CD, None))
    return out, obligations


def disclosure(req: dict, claims: Lookup | None) -> tuple[list[Reason], list]:
    d, out = req["disclosure"], []
    recipient, records = d["recipient"], d.get("records", 1)
    basis = d.get("legal_basis", "none")
    if recipient == "client" and records > 1:
        out.append(("confidentiality.client-own-record", "deny", None, None))
    if recipient == "internal":
        actor = req["actor"]
        owner = actor["id"] == req["client"].get("owner_id")
        if not owner and actor["role"] not in (HS, CD, CO):
            out.append(("confidentiality.internal", "require_approval", HS, None))
    if recipient in BASIS:
        if basis in BASIS[recipient]:
            out.append(("confidentiality.legal-basis", "require_approval", CO, None))
        else:
            out.append(("confidentiality.legal-basis", "deny", None, None))
    if records > 1000:
        out.append(("confidentiality.bulk", "deny", None, None))
    elif records > 100:
        out.append(("confidentiality.bulk", "require_approval", CO, None))
    return out, []


def offer(req: dict, claims: Lookup | None) -> tuple[list[Reason], list]:
    o, out = req["offer"], []
    as_of = dt.date.fromisoformat(req["as_of"][:10])
    days = (dt.date.fromisoformat(o["promised_delivery_date"]) - as_of).days
    needs = set(req["client"].get("needs", ()))
    if days < 0:
        out.append(("no-empty-promises.date-in-past", "deny", None, None))
    if any(t["requires_process_change"] for t in o.get("custom_terms", ())):
        out.append(("no-empty-promises.process-change", "deny", None, None))
    for it in o["items"]:
        sku = it["sku"]
        out += pricing(req, it.get("discount_percent", 0), it.get("category", "standard"),
                       it["list_price"], it.get("cost_price"), sku)
        if dec(it["quantity"]) > dec(it["available_quantity"]) and it["lead_time_days"] > days:
            out.append(("no-empty-promises.lead-time", "deny", None, sku))
        if it.get("need") not in needs:
            out.append(("real-need.documented-need", "deny", None, sku))
    return out, []


ACTIONS = {"discount": discount, "shipment": shipment, "claim": claim,
           "disclosure": disclosure, "offer": offer}


def satisfies(role: str, required: str) -> bool:
    if required in CHAIN:
        return CHAIN.get(role, -1) >= CHAIN[required]
    return role == required


def decide(req: dict, claims: Lookup | None = None) -> dict[str, Any]:
    """The decision of CONTRACT §2 for one valid request."""
    found, obligations = ACTIONS[req["action"]](req, claims)
    given = [req["actor"]["role"]] + [a["role"] for a in req.get("approvals", ())]
    reasons, open_roles, denied = [], set(), False
    for rule, outcome, approver, item in found:
        by = None
        if outcome == "require_approval":
            by = next((g for g in given if satisfies(g, approver)), None)
            if by is None:
                open_roles.add(approver)
        denied = denied or outcome == "deny"
        reasons.append({"rule": rule, "principle": rule.split(".")[0], "outcome": outcome,
                        "approver": approver, "satisfied_by": by, "item": item})
    if denied:
        outcome, required = "deny", []
    else:
        if CD in open_roles:
            open_roles.discard(HS)
        outcome = "require_approval" if open_roles else "allow"
        required = sorted(open_roles)
    return {"outcome": outcome, "required_approvals": required, "reasons": reasons,
            "obligations": obligations}
