"""The highest discount a person may grant alone for this deal (CONTRACT §11).

"Alone" means allowed with no approval: the same request, the person's own role, no
approvals presented. The policy is asked, not read: the segment table, a new client,
a novelty, a margin floor all count exactly as they would for a real request. The
answer is found by bisection over hundredths of a percent, which assumes what every
discount rule of a pricing policy says: a smaller discount is never judged worse than
a larger one. Nothing is logged.
"""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

from app.engine import InvalidRequest, Policy

STEP = Decimal("0.01")
TOP = 10000  # 100.00 % in hundredths


def highest_alone(policy: Policy, request: dict[str, Any], timezone: str) -> Decimal | None:
    """The highest discount.percent allowed without approval for `request`, or None when
    not even 0 % is (a rule other than the discount's own forbids the deal)."""
    trial = copy.deepcopy(request)
    trial.pop("approvals", None)
    trial.pop("request_id", None)
    trial.setdefault("discount", {})

    def allowed(hundredths: int) -> bool:
        trial["discount"]["percent"] = Decimal(hundredths) * STEP
        try:
            return policy.evaluate(trial, timezone=timezone).outcome == "allow"
        except InvalidRequest:
            return False

    if not allowed(0):
        return None
    low, high = 0, TOP  # allowed(low) holds; find the last hundredth that is allowed
    if allowed(high):
        return Decimal(100)
    while high - low > 1:
        middle = (low + high) // 2
        if allowed(middle):
            low = middle
        else:
            high = middle
    return (Decimal(low) * STEP).normalize()
