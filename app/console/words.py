"""The policy's words as people read them, in the console's languages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

ACTIONS = {
    "discount": _l("Discount"),
    "shipment": _l("Shipment"),
    "claim": _l("Claim"),
    "disclosure": _l("Disclosure of client data"),
    "offer": _l("Offer"),
}
OUTCOMES = {
    "allow": _l("Allowed"),
    "require_approval": _l("Needs approval"),
    "deny": _l("Denied"),
}
ROLES = {
    "manager": _l("Manager"),
    "head_of_sales": _l("Head of sales"),
    "commercial_director": _l("Commercial director"),
    "cfo": _l("CFO"),
    "compliance_officer": _l("Compliance officer"),
    "approver": _l("Approver"),
    "compliance": _l("Compliance"),
    "admin": _l("Administrator"),
    "crm": _l("CRM"),
}
PRINCIPLES = {
    "no-empty-promises": _l("We don't promise what we can't do."),
    "pricing-policy": _l("Discounts only within the approved pricing policy."),
    "prepayment": _l("No shipment without prepayment."),
    "claims": _l("Claims are handled fast and without bureaucracy."),
    "confidentiality": _l("Client and order information is strictly confidential."),
    "real-need": _l("We don't push goods the client has no need for."),
}
METRICS = {
    "calls": _l("Calls"),
    "calls_connected": _l("Calls connected"),
    "meetings": _l("Meetings"),
    "offers_sent": _l("Offers sent"),
    "contracts_signed": _l("Contracts signed"),
    "deals_amount": _l("Signed amount"),
    "payments_amount": _l("Payments received"),
    "clients_served": _l("Clients served"),
    "decisions": _l("Decisions"),
    "decisions_allowed": _l("Decisions allowed"),
    "decisions_denied": _l("Decisions denied"),
    "decisions_require_approval": _l("Decisions needing approval"),
}
MONEY_METRICS = ("deals_amount", "payments_amount")


def word(table: dict, key: str | None) -> str:
    """The label of `key`, or the key itself when the table does not know it."""
    if key is None:
        return "—"
    label = table.get(key)
    return str(label) if label is not None else key
