"""Request -> the facts rules compare.

Arithmetic happens here, in exact decimals, so the engine only ever compares a
value with a constant: durable_rules computes in doubles (0.3 - 0.1 < 0.2) and
its integer division truncates. One fact describes the request; discounts and
offers add one fact per line, which carries the request's fields too so that a
line rule can read `client.segment` beside `line.discount_percent`.

Every fact that is not a request field is declared below with its formula in words;
rules.yaml's header quotes that list (`dealguard policy facts`), so a policy owner
reads what the rules compare without reading this code.
"""

from __future__ import annotations

import datetime as dt
import functools
import textwrap
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


@dataclass(frozen=True)
class Computed(FieldInfo):
    """A fact computed from the request: its type, and how it is computed, in words."""

    formula: str = ""


def _fact(kind: str, formula: str, choices: tuple[str, ...] | None = None) -> Computed:
    return Computed(kind, choices, formula)


_LINE = "the offer line's"
# Facts that are not request fields, by action; line facts by the actions that have lines.
# Each formula is what the code below computes, as rules.yaml's header states it
# (`dealguard policy facts` prints them; a test keeps the header equal to them).
DERIVED_FIELDS: dict[str, dict[str, Computed]] = {
    "*": {
        "as_of": _fact("date", "the request's as_of (a date-time read in DEALGUARD_TIMEZONE), "
                       "else today there"),
        "actor.owns_client": _fact("boolean", "actor.id = client.owner_id"),
    },
    "shipment": {
        "order.cleared_balance": _fact("number", "order.paid - order.shipped_before"),
        "shipment.uncovered_amount": _fact("number", "shipment.amount - order.cleared_balance"),
        "shipment.claim_allowed": _fact("boolean", 'shipment.claim_status is "allowed"'),
        "shipment.claim_status": _fact(
            "string", '"not a replacement" unless shipment.kind is claim_replacement; else '
            'the logged claim shipment.claim_decision_id: "allowed", "not given", "not found '
            'in the decision log", "a claim of another client" or "not allowed (<its '
            'outcome>)"'),
    },
    "claim": {"claim.compensation_percent_of_total": _fact(
        "number", "claim.compensation × 100 / order.total, to 9 decimals")},
    "offer": {
        "offer.days_to_promise": _fact("integer", "days from as_of to "
                                       "offer.promised_delivery_date"),
        "offer.process_change_terms": _fact("integer", "how many offer.custom_terms have "
                                            "requires_process_change"),
    },
}
LINE_FIELDS: dict[str, Computed] = {
    "line.item": _fact("string", f"{_LINE} sku (none on a discount)"),
    "line.category": _fact("string", f"deal.category, or {_LINE} category",
                           ("standard", "novelty", "promo")),
    "line.discount_percent": _fact("number", f"discount.percent, or {_LINE} discount_percent"),
    "line.list_price": _fact("number", f"deal.list_amount, or {_LINE} list_price"),
    "line.cost_price": _fact("number", f"deal.cost_amount, or {_LINE} cost_price (may be "
                             "unknown)"),
    "line.has_cost": _fact("boolean", "line.cost_price is known"),
    "line.net_price": _fact("number", "line.list_price × (100 - line.discount_percent) / 100"),
    "line.margin_percent": _fact("number", "(line.net_price - line.cost_price) × 100 / "
                                 "line.net_price, to 9 decimals; unknown without a cost or "
                                 "when line.net_price ≤ 0"),
}
OFFER_LINE_FIELDS: dict[str, Computed] = {
    "line.quantity": _fact("number", f"{_LINE} quantity"),
    "line.available_quantity": _fact("number", f"{_LINE} available_quantity"),
    "line.lead_time_days": _fact("integer", f"{_LINE} lead_time_days"),
    "line.need": _fact("string", f"{_LINE} need"),
    "line.need_documented": _fact("boolean", "line.need is one of client.needs"),
}
LINE_ACTIONS = ("discount", "offer")


def describe(width: int = 86) -> list[str]:
    """The computed facts and their formulas, by where rules may read them: the list
    rules.yaml's header quotes (`dealguard policy facts`)."""
    groups = [("every action", DERIVED_FIELDS["*"]),
              *((action, DERIVED_FIELDS[action]) for action in ("shipment", "claim", "offer")),
              ("each line of a discount or an offer (for_each: line)", LINE_FIELDS),
              ("each line of an offer", OFFER_LINE_FIELDS)]
    lines = []
    for title, computed in groups:
        lines.append(f"{title}:")
        for name, fact in computed.items():
            lines.extend(textwrap.wrap(f"{name}: {fact.formula}", width, initial_indent="  ",
                                       subsequent_indent="      "))
    return lines


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
