"""The approvals a request presents, and which of them count (CONTRACT §2, §10).

A requirement is met by a role: the actor's own, one the CRM asserts (`{role, by}`,
from a crm or admin key), or that of an approval given in dealguard and referenced by
its `approval_id`. A reference counts only when the log says it was an `approve`, has
not expired and was given on the same proposal; the engine asks the log through a
look-up the caller hands it (`decide(request, approvals=lookup)`), as it asks for a
claim. A reference that does not count changes nothing and is named in
`approval_problems`; one the log does not know is a field error (422).

The proposal is the request without `request_id`, `as_of` and `approvals`, as
validated (defaults filled in, numbers exact), in canonical text: an approval given
for 12 % does not cover 19 %, nor the same percent on another deal.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property
from typing import Any

from app.schemas import InvalidRequest

# What is not part of the proposal an approval is given on.
NOT_PROPOSAL = ("request_id", "as_of", "approvals")


@dataclass(frozen=True)
class Given:
    """A role that meets requirements: the actor's, asserted, or an approval's."""

    role: str
    approval_id: str | None = None  # set when an approval given in dealguard is its proof


@dataclass(frozen=True)
class Referenced:
    """What the log holds of a referenced approval: its role, and why it does not count
    (one of app.vocabulary.APPROVAL_PROBLEMS), or None when it counts for this proposal."""

    role: str
    problem: str | None


class Proposal:
    """The canonical text of a request's proposal, made once and only when asked."""

    def __init__(self, valid: dict[str, Any]) -> None:
        self._valid = valid

    @cached_property
    def text(self) -> str:
        proposal = {k: v for k, v in self._valid.items() if k not in NOT_PROPOSAL}
        return json.dumps(_plain(proposal), sort_keys=True, ensure_ascii=False,
                          separators=(",", ":"))


# approvals(approval_id, proposal) -> Referenced, or None when no such approval exists.
ApprovalLookup = Callable[[str, Proposal], "Referenced | None"]


def gather(valid: dict[str, Any], proposal: Proposal, approvals: ApprovalLookup | None,
           ) -> tuple[list[Given], list[dict[str, str]]]:
    """The roles that meet requirements (actor first) and the references that do not count.

    Raises InvalidRequest naming `approvals.N.approval_id` for an id the log does not
    know (every reference is unknown without a look-up).
    """
    given = [Given(valid["actor"]["role"])]
    problems: list[dict[str, str]] = []
    unknown: dict[str, list[str]] = {}
    for index, approval in enumerate(valid["approvals"]):
        approval_id = approval.get("approval_id")
        if approval_id is None:
            given.append(Given(approval["role"]))  # asserted by the CRM
            continue
        found = approvals(approval_id, proposal) if approvals is not None else None
        if found is None:
            unknown[f"approvals.{index}.approval_id"] = ["No approval with this id."]
        elif found.problem is not None:
            problems.append({"approval_id": approval_id, "problem": found.problem})
        else:
            given.append(Given(found.role, approval_id))
    if unknown:
        raise InvalidRequest(unknown, "An approval_id names no approval given in dealguard.")
    return given, problems


def _plain(value: Any) -> Any:
    """`value` with every number in one spelling (12.50 and 12.5 are the same percent)."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, Decimal):
        return {"$n": format(value.normalize(), "f")}
    if isinstance(value, bool | str | int) or value is None:
        return value
    return str(value)  # a date
