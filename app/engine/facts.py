"""Request -> the facts rules compare.

Arithmetic happens here, in exact decimals, so the engine only ever compares a
value with a constant: durable_rules computes in doubles (0.3 - 0.1 < 0.2) and
its integer division truncates. One fact describes the request; discounts and
offers add one fact per line, which carries the request's fields too so that a
line rule can read `client.segment` beside `line.discount_percent`.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from app.schemas import FieldInfo, InvalidRequest, scalar_fields

ClaimLookup = Callable[[str], "tuple[str, str] | None"]
HUNDRED = Decimal(100)
# Derived ratios are rounded here, once, so a boundary (margin exactly 10) compares exactly.
RATIO_PLACES = Decimal("1e-9")

# Facts that are not request fields, by action; line facts by the actions that have lines.
DERIVED_FIELDS: dict[str, dict[str, FieldInfo]] = {
    "*": {"as_of": FieldInfo("date"), "actor.owns_client": FieldInfo("boolean")},
    "shipment": {
        "order.cleared_balance": FieldInfo("number"),
        "shipment.uncovered_amount": FieldInfo("number"),
        "shipment.claim_allowed": FieldInfo("boolean"),
        "shipment.claim_status": FieldInfo("string"),
    },
    "claim": {"claim.compensation_percent_of_total": FieldInfo("number")},
    "offer": {
        "offer.days_to_promise": FieldInfo("integer"),
        "offer.process_change_terms": FieldInfo("integer"),
    },
}
LINE_FIELDS: dict[str, FieldInfo] = {
    "line.item": FieldInfo("string"),
    "line.category": FieldInfo("string", ("standard", "novelty", "promo")),
    "line.discount_percent": FieldInfo("number"),
    "line.list_price": FieldInfo("number"),
    "line.cost_price": FieldInfo("number"),
    "line.has_cost": FieldInfo("boolean"),
    "line.net_price": FieldInfo("number"),
    "line.margin_percent": FieldInfo("number"),
}
OFFER_LINE_FIELDS: dict[str, FieldInfo] = {
    "line.quantity": FieldInfo("number"),
    "line.available_quantity": FieldInfo("number"),
    "line.lead_time_days": FieldInfo("integer"),
    "line.need": FieldInfo("string"),
    "line.need_documented": FieldInfo("boolean"),
}
LINE_ACTIONS = ("discount", "offer")


@dataclass(frozen=True)
class Facts:
    """What the rules of one request compare: the request fact and its line facts."""

    request: dict[str, Any]
    lines: list[dict[str, Any]]


def known_fields(action: str, per_line: bool) -> dict[str, FieldInfo]:
    """Every field a rule on `action` may name (the loader checks rules against this)."""
    known = dict(scalar_fields(action))
    known.update(DERIVED_FIELDS["*"])
    known.update(DERIVED_FIELDS.get(action, {}))
    if per_line and action in LINE_ACTIONS:
        known.update(LINE_FIELDS)
        if action == "offer":
            known.update(OFFER_LINE_FIELDS)
    return known


def business_date(as_of: dt.date | dt.datetime | None, timezone: str) -> dt.date:
    """The date date-rules count from: `as_of` read in the policy's zone, else today there."""
    zone = ZoneInfo(timezone)
    if as_of is None:
        return dt.datetime.now(zone).date()
    if isinstance(as_of, dt.datetime):
        if not as_of.tzinfo:
            return as_of.date()
        try:
            return as_of.astimezone(zone).date()
        except OverflowError:  # 9999-12-31T23:00:00Z is in the year 10000 in Moscow
            raise InvalidRequest({"as_of": [
                f"Must fall within the years 1 to 9999 in the time zone {timezone}."]}) from None
    return as_of


def derive(
    action: str, request: dict[str, Any], as_of: dt.date, claims: ClaimLookup | None,
    fields: frozenset[str] | None = None,
) -> Facts:
    """Facts of one validated request (see `validate_request`).

    `fields` limits the request fields copied into the facts to those the policy reads
    or quotes (derived facts are always computed); None copies every scalar field.
    """
    base = _flatten(request, _paths(action, fields))
    base["as_of"] = as_of.isoformat()
    base["actor.owns_client"] = request["actor"]["id"] == request["client"].get("owner_id")
    lines: list[dict[str, Any]] = []
    if action == "shipment":
        base.update(_shipment(request, claims))
    elif action == "claim":
        base.update(_claim(request))
    elif action == "discount":
        deal, discount = request["deal"], request["discount"]
        lines.append(
            base | _pricing_line(None, deal["category"], discount["percent"],
                                 deal["list_amount"], deal.get("cost_amount"))
        )
    elif action == "offer":
        base.update(_offer(request, as_of))
        needs = set(request["client"].get("needs") or ())
        for item in request["offer"]["items"]:
            lines.append(base | _offer_line(item, needs))
    return Facts(base, lines)


@functools.cache
def _paths(action: str, fields: frozenset[str] | None) -> tuple[tuple[str, tuple[str, ...]], ...]:
    return tuple((path, tuple(path.split("."))) for path in scalar_fields(action)
                 if fields is None or path in fields)


def _flatten(request: dict[str, Any], paths: tuple[tuple[str, tuple[str, ...]], ...]
             ) -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for path, parts in paths:
        value: Any = request
        for part in parts:
            value = value.get(part) if type(value) is dict else None
        if isinstance(value, dt.date):
            value = value.isoformat()
        flat[path] = value
    return flat


def _shipment(request: dict[str, Any], claims: ClaimLookup | None) -> dict[str, Any]:
    order, shipment = request["order"], request["shipment"]
    cleared = order["paid"] - order["shipped_before"]
    status = "not a replacement"
    allowed = False
    if shipment["kind"] == "claim_replacement":
        status, allowed = _claim_status(shipment.get("claim_decision_id"),
                                        request["client"]["id"], claims)
    return {
        "order.cleared_balance": cleared,
        "shipment.uncovered_amount": shipment["amount"] - cleared,
        "shipment.claim_allowed": allowed,
        "shipment.claim_status": status,
    }


def _claim_status(
    decision_id: str | None, client_id: str, claims: ClaimLookup | None
) -> tuple[str, bool]:
    if not decision_id:
        return "not given", False
    found = claims(decision_id) if claims is not None else None
    if found is None:
        return "not found in the decision log", False
    claim_client, outcome = found
    if claim_client != client_id:
        return "a claim of another client", False
    if outcome != "allow":
        return f"not allowed ({outcome})", False
    return "allowed", True


def _claim(request: dict[str, Any]) -> dict[str, Any]:
    compensation, total = request["claim"]["compensation"], request["order"]["total"]
    return {"claim.compensation_percent_of_total": _ratio(compensation * HUNDRED, total)}


def _offer(request: dict[str, Any], as_of: dt.date) -> dict[str, Any]:
    offer = request["offer"]
    return {
        "offer.days_to_promise": (offer["promised_delivery_date"] - as_of).days,
        "offer.process_change_terms": sum(
            1 for term in offer["custom_terms"] if term["requires_process_change"]
        ),
    }


def _pricing_line(
    item: str | None, category: str, percent: Decimal, list_price: Decimal, cost: Decimal | None
) -> dict[str, Any]:
    net = list_price * (HUNDRED - percent) / HUNDRED
    margin = None
    if cost is not None and net > 0:
        margin = _ratio((net - cost) * HUNDRED, net)
    return {
        "line.item": item,
        "line.category": category,
        "line.discount_percent": percent,
        "line.list_price": list_price,
        "line.cost_price": cost,
        "line.has_cost": cost is not None,
        "line.net_price": net,
        "line.margin_percent": margin,
    }


def _offer_line(item: dict[str, Any], needs: set[str]) -> dict[str, Any]:
    line = _pricing_line(item["sku"], item["category"], item["discount_percent"],
                         item["list_price"], item.get("cost_price"))
    need = item.get("need")
    line.update({
        "line.quantity": item["quantity"],
        "line.available_quantity": item["available_quantity"],
        "line.lead_time_days": item["lead_time_days"],
        "line.need": need,
        "line.need_documented": need is not None and need in needs,
    })
    return line


def _ratio(numerator: Decimal, denominator: Decimal) -> Decimal:
    ratio = numerator / denominator
    try:
        return ratio.quantize(RATIO_PLACES).normalize()
    except InvalidOperation:
        # Too large to carry nine places in the context's 28 digits (a cost of 1e15
        # against a price of a kopeck's fraction): it has no such digits to round.
        return ratio.normalize()
