"""The words of the policy (CONTRACT §1-§3), each defined once and imported everywhere.

The request schemas, the rule engine, the log, the API (its OpenAPI document too) and
the keys all speak of actions, outcomes, principles and roles: they take them from
here. This module imports nothing, so any layer may read it.
"""

from __future__ import annotations

# The proposed actions a CRM asks about (CONTRACT §3).
ACTIONS = ("discount", "shipment", "claim", "disclosure", "offer")

# A decision's outcome, strongest first: deny overrides require_approval, which
# overrides allow; a request that no rule judges is allowed (CONTRACT §2).
OUTCOMES = ("allow", "require_approval", "deny")

# The six principles every rule serves (CONTRACT §1).
PRINCIPLES = (
    "no-empty-promises",
    "pricing-policy",
    "prepayment",
    "claims",
    "confidentiality",
    "real-need",
)

# The job roles an actor has, and those of them that approve (CONTRACT §2).
ACTOR_ROLES = ("manager", "head_of_sales", "commercial_director", "cfo", "compliance_officer")
APPROVERS = ("head_of_sales", "commercial_director", "cfo", "compliance_officer")

# An approver's verdict on a require_approval decision, and why a referenced approval
# does not count (CONTRACT §10).
VERDICTS = ("approve", "decline")
APPROVAL_PROBLEMS = ("declined", "expired", "other_proposal")

# The sales chain, lowest first: a requirement of one of these roles is met by that
# role or any above it. Roles off the ladder (cfo, compliance_officer) meet only
# their own requirements.
SALES_LADDER = ("manager", "head_of_sales", "commercial_director")

# The request part whose id is a decision's subject (the log's subject_id), by action;
# a disclosure has none.
SUBJECT = {"discount": "deal", "shipment": "order", "claim": "claim", "offer": "offer"}
# Actions whose request names an order (the log's order_id: a claim is found by its order).
WITH_ORDER = ("shipment", "claim")
