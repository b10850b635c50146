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
EVENTS = {
    "decision.denied": _l("A decision is denied"),
    "decision.require_approval": _l("A decision needs approval"),
    "approval.approved": _l("An approval is given"),
    "approval.declined": _l("An approval is declined"),
}
DELIVERY_STATES = {
    "pending": _l("Pending"),
    "delivered": _l("Delivered"),
    "failed": _l("Failed"),
}
VERSION_STATUSES = {
    "draft": _l("Draft"),
    "active": _l("Active"),
    "retired": _l("Retired"),
    "shadow": _l("In shadow"),
}
# What an obligation asks, by its type; its value follows ("… (hours): 24").
OBLIGATIONS = {
    "resolve_within_hours": _l("Resolve within (hours)"),
}
MONEY_METRICS = ("deals_amount", "payments_amount")


def word(table: dict, key: str | None) -> str:
    """The label of `key`, or the key itself when the table does not know it."""
    if key is None:
        return "—"
    label = table.get(key)
    return str(label) if label is not None else key

# The values a check form offers, by value (each value means one thing in every field).
CHOICES = {
    **ROLES,
    "retail": _l("Retail"), "wholesale": _l("Wholesale"), "key_account": _l("Key account"),
    "standard": _l("Standard"), "novelty": _l("Novelty"), "promo": _l("Promo"),
    "regular": _l("Regular"), "claim_replacement": _l("Replacement under a claim"),
    "defect": _l("Defect"), "damaged_in_transit": _l("Damaged in transit"),
    "wrong_item": _l("Wrong item"), "not_as_described": _l("Not as described"),
    "changed_mind": _l("The client changed their mind"),
    "refund": _l("Refund"), "replacement": _l("Replacement"), "repair": _l("Repair"),
    "credit_note": _l("Credit note"),
    "contacts": _l("Contacts"), "order_history": _l("Order history"), "prices": _l("Prices"),
    "payment_details": _l("Payment details"), "personal_data": _l("Personal data"),
    "client": _l("The client"), "internal": _l("Inside the company"),
    "contractor": _l("A contractor"), "third_party": _l("A third party"),
    "authority": _l("An authority"),
    "none": _l("None"), "client_consent": _l("The client's consent"),
    "contract": _l("A contract"), "court_order": _l("A court order"),
    "law_request": _l("A request under the law"),
}
