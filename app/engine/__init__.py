"""The policy engine: rules.yaml -> durable_rules, one decision at a time (CONTRACT §9).

    from app.engine import load_policy
    policy = load_policy("policies/rules.yaml")   # validates; raises PolicyError
    decision = policy.decide(request_dict)  # outcome, required_approvals, reasons, obligations

The engine knows nothing of Flask or SQL: it validates, derives facts, asks
durable_rules which rules match, and combines them.
"""

from app.engine.errors import PolicyError, PolicyProblem
from app.engine.loader import load_policy, load_policy_text
from app.engine.policy import Evaluation, Policy
from app.schemas import InvalidRequest

__all__ = [
    "Evaluation",
    "InvalidRequest",
    "Policy",
    "PolicyError",
    "PolicyProblem",
    "load_policy",
    "load_policy_text",
]
