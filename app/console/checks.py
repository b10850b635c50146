"""The check forms of the console: one per action, each field named by its §3 path.

A field's name is its path in the request (`client.segment`, `discount.percent`,
`offer.items.0.sku`), so a link can prefill the form from its query string (§11) and
the engine's own field errors (keyed by the same paths) land beside the field. The
form's values become a request exactly like one the API receives; the actor is the
signed-in person (a manager or an approver asks only as themself, §6).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import lazy_gettext as _l

from app.schemas.discount import CATEGORIES
from app.vocabulary import ACTOR_ROLES

SEGMENTS = ("retail", "wholesale", "key_account")
CURRENCIES = ("RUB",)
DISCLOSURE_CATEGORIES = ("contacts", "order_history", "prices", "payment_details",
                         "personal_data")
MAX_LINES = 50
_INDEXED = re.compile(r"^(offer\.items|offer\.custom_terms)\.(\d{1,3})\.(\w+)$")


@dataclass(frozen=True)
class Field:
    path: str
    label: Any
    kind: str = "text"  # text, id, number, integer, choice, bool, date, list, multi, need
    choices: tuple[str, ...] = ()
    required: bool = False
    default: str = ""
    hint: Any = None


def _client(segment: bool, owner: bool = False, needs: bool = False) -> tuple[Field, ...]:
    fields = [Field("client.id", _l("Client id"), "id", required=True)]
    if segment:
        fields.append(Field("client.segment", _l("Client segment"), "choice", SEGMENTS,
                            required=True))
    fields.append(Field("client.is_new", _l("New client"), "bool"))
    if owner:
        fields.append(Field("client.owner_id", _l("Client's owner (manager id)"), "id"))
    if needs:
        fields.append(Field("client.needs", _l("Client's documented needs"), "list",
                            hint=_l("Separated by commas.")))
    return tuple(fields)


ORDER = (
    Field("order.id", _l("Order id"), "id", required=True),
    Field("order.currency", _l("Currency"), "choice", CURRENCIES, required=True, default="RUB"),
    Field("order.total", _l("Order total"), "number", required=True),
)

# action -> [(legend, fields)]
FORMS: dict[str, tuple[tuple[Any, tuple[Field, ...]], ...]] = {
    "discount": (
        (_l("Client"), _client(segment=True)),
        (_l("Deal"), (
            Field("deal.id", _l("Deal id"), "id", required=True),
            Field("deal.currency", _l("Currency"), "choice", CURRENCIES, required=True,
                  default="RUB"),
            Field("deal.list_amount", _l("List amount"), "number", required=True),
            Field("deal.cost_amount", _l("Cost amount"), "number"),
            Field("deal.category", _l("Goods category"), "choice", CATEGORIES,
                  default="standard"),
        )),
        (_l("Discount"), (
            Field("discount.percent", _l("Discount, %"), "number", required=True),
            Field("discount.reason", _l("Reason for the discount"), "text"),
        )),
    ),
    "shipment": (
        (_l("Client"), (Field("client.id", _l("Client id"), "id", required=True),)),
        (_l("Order"), ORDER + (
            Field("order.paid", _l("Paid (cleared money)"), "number", required=True),
            Field("order.pending", _l("Payments pending"), "number"),
            Field("order.shipped_before", _l("Shipped before"), "number"),
        )),
        (_l("Shipment"), (
            Field("shipment.id", _l("Shipment id"), "id", required=True),
            Field("shipment.amount", _l("Shipment amount"), "number", required=True),
            Field("shipment.kind", _l("Kind"), "choice", ("regular", "claim_replacement"),
                  default="regular"),
            Field("shipment.claim_decision_id", _l("Claim decision id (for a replacement)"),
                  "id"),
        )),
    ),
    "claim": (
        (_l("Client"), (Field("client.id", _l("Client id"), "id", required=True),)),
        (_l("Order"), ORDER),
        (_l("Claim"), (
            Field("claim.id", _l("Claim id"), "id", required=True),
            Field("claim.reason", _l("Reason"), "choice",
                  ("defect", "damaged_in_transit", "wrong_item", "not_as_described",
                   "changed_mind"), required=True),
            Field("claim.amount", _l("Claim amount"), "number", required=True),
            Field("claim.days_since_delivery", _l("Days since delivery"), "integer",
                  required=True),
            Field("claim.remedy", _l("Remedy"), "choice",
                  ("refund", "replacement", "repair", "credit_note"), required=True),
            Field("claim.compensation", _l("Compensation"), "number"),
        )),
    ),
    "disclosure": (
        (_l("Client"), _client(segment=False, owner=True)),
        (_l("Disclosure"), (
            Field("disclosure.categories", _l("Data to disclose"), "multi",
                  DISCLOSURE_CATEGORIES, required=True),
            Field("disclosure.recipient", _l("Recipient"), "choice",
                  ("client", "internal", "contractor", "third_party", "authority"),
                  required=True),
            Field("disclosure.records", _l("Number of records"), "integer", default="1"),
            Field("disclosure.legal_basis", _l("Legal basis"), "choice",
                  ("none", "client_consent", "contract", "court_order", "law_request"),
                  default="none"),
            Field("disclosure.purpose", _l("Purpose"), "text"),
        )),
    ),
    "offer": (
        (_l("Client"), _client(segment=True, needs=True)),
        (_l("Offer"), (
            Field("offer.id", _l("Offer id"), "id", required=True),
            Field("offer.currency", _l("Currency"), "choice", CURRENCIES, required=True,
                  default="RUB"),
            Field("offer.promised_delivery_date", _l("Promised delivery date"), "date",
                  required=True),
        )),
    ),
}

ITEM_FIELDS = (
    Field("sku", _l("SKU"), "id", required=True),
    Field("quantity", _l("Quantity"), "number", required=True),
    Field("available_quantity", _l("In stock"), "number", required=True),
    Field("lead_time_days", _l("Lead time, days"), "integer", required=True),
    Field("need", _l("Client's need it serves"), "need"),
    Field("category", _l("Goods category"), "choice", CATEGORIES, default="standard"),
    Field("list_price", _l("List price"), "number", required=True),
    Field("discount_percent", _l("Discount, %"), "number", default="0"),
    Field("cost_price", _l("Cost price"), "number"),
)
TERM_FIELDS = (
    Field("text", _l("Custom term"), "text", required=True),
    Field("requires_process_change", _l("Changes our business process"), "bool"),
)
# For a user who asks for someone else (an admin): the actor's fields.
ACTOR_FIELDS = (
    Field("actor.id", _l("Actor id"), "id", required=True),
    Field("actor.role", _l("Actor's job role"), "choice", ACTOR_ROLES, required=True,
          default="manager"),
)
OPTIONAL_COMMON = (
    Field("as_of", _l("Business date"), "date", hint=_l("Empty: today.")),
    Field("request_id", _l("Request id"), "id", hint=_l("Optional: a retry is answered "
                                                         "with the first decision.")),
)


def line_count(values: Mapping[str, Any], group: str, minimum: int) -> int:
    """How many lines of `group` (offer.items, offer.custom_terms) the values hold."""
    indexes = [int(m.group(2)) for key in values
               if (m := _INDEXED.match(key)) and m.group(1) == group]
    return min(MAX_LINES, max([minimum, *(i + 1 for i in indexes)]))


def without_line(values: Mapping[str, Any], group: str, index: int) -> dict[str, Any]:
    """The values with line `index` of `group` removed and the later ones moved up."""
    kept: dict[str, Any] = {}
    for key, value in values.items():
        match = _INDEXED.match(key)
        if match and match.group(1) == group:
            line = int(match.group(2))
            if line == index:
                continue
            if line > index:
                key = f"{group}.{line - 1}.{match.group(3)}"
        kept[key] = value
    return kept


def values_of(source: Any, action: str) -> dict[str, Any]:
    """The form's values by path from a MultiDict (query string or posted form)."""
    multi = {f.path for _, fields in FORMS[action] for f in fields if f.kind == "multi"}
    return {key: (source.getlist(key) if key in multi else source.get(key))
            for key in source if key != "csrf_token"}


def as_shown(values: Mapping[str, Any], action: str) -> dict[str, Any]:
    """The values as the form shows them, and so as submitting it would send them: a
    field a link leaves out holds its default (a choice left empty too), as _fields.html
    fills it in."""
    shown = dict(values)
    fields = [(f.path, f) for _, group in FORMS[action] for f in group]
    fields += [(f.path, f) for f in ACTOR_FIELDS]
    if action == "offer":
        fields += [(f"offer.items.{index}.{f.path}", f) for f in ITEM_FIELDS
                   for index in range(line_count(values, "offer.items", 1))]
    for path, field in fields:
        if field.default and (shown.get(path) is None
                              or (field.kind == "choice" and not shown[path])):
            shown[path] = field.default
    return shown


def request_body(action: str, values: Mapping[str, Any],
                 actor: dict[str, str] | None) -> dict[str, Any]:
    """The §3 request these values describe. A value that does not parse is passed on as
    written, so the request's validation names it by its path, as the API would."""
    body: dict[str, Any] = {"action": action}
    fields = [f for _, group in FORMS[action] for f in group] + list(OPTIONAL_COMMON)
    if actor is None:
        fields += list(ACTOR_FIELDS)
    else:
        body["actor"] = dict(actor)
    for field in fields:
        _put(body, field.path, field, values.get(field.path))
    if action == "offer":
        body.setdefault("offer", {})
        body["offer"]["items"] = [
            _line(ITEM_FIELDS, "offer.items", index, values)
            for index in range(line_count(values, "offer.items", 1))]
        terms = [_line(TERM_FIELDS, "offer.custom_terms", index, values)
                 for index in range(line_count(values, "offer.custom_terms", 0))]
        body["offer"]["custom_terms"] = [t for t in terms if t]
    return body


def _line(fields: tuple[Field, ...], group: str, index: int,
          values: Mapping[str, Any]) -> dict[str, Any]:
    line: dict[str, Any] = {}
    for field in fields:
        raw = values.get(f"{group}.{index}.{field.path}")
        value = _value(field, raw)
        if value is not _MISSING:
            line[field.path] = value
    if group == "offer.custom_terms":
        if not line.get("text"):
            return {}
        line.setdefault("requires_process_change", False)
    return line


_MISSING = object()


def _put(body: dict[str, Any], path: str, field: Field, raw: Any) -> None:
    value = _value(field, raw)
    if value is _MISSING:
        return
    target = body
    *parents, last = path.split(".")
    for part in parents:
        target = target.setdefault(part, {})
    target[last] = value


def _value(field: Field, raw: Any) -> Any:
    if field.kind == "bool":
        return str(raw).lower() in ("on", "true", "1", "yes") if raw else _MISSING
    if field.kind == "multi":
        items = [v for v in (raw or []) if v]
        return items if items else _MISSING
    text = raw.strip() if isinstance(raw, str) else ""
    if field.kind == "need":
        return text or None  # a line that serves no documented need says so
    if not text:
        return _MISSING
    if field.kind == "list":
        return [part.strip() for part in text.split(",") if part.strip()]
    if field.kind in ("number", "integer"):
        return _number(text)
    return text


def _number(text: str) -> Any:
    """12, 12.5 or 12,5 (as Russian writes it), 15 000 with spaces; else the text itself."""
    compact = text.replace("\u00a0", "").replace("\u202f", "").replace(" ", "")
    compact = compact.replace(",", ".")
    if re.fullmatch(r"-?\d{1,20}", compact):
        return int(compact)
    try:
        number = Decimal(compact)
    except InvalidOperation:
        return text
    return number if number.is_finite() else text
