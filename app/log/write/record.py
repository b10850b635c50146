"""One decision's log record: the masked document, its canonical text, its columns.

The document is the answer, the request with its confidential values masked
(CONTRACT §7), the facts the rules compared, the key's name, the approvals the
request relied on and the request's fingerprint. A clear confidential value may
also sit where no path masks it (quoted by a message or a fact, or as an id): such
values are scrubbed wherever the request or a message put them. The columns are
copies of the masked document (columns.py), never of the raw request: they are what
verify checks them against, and no clear value gets into them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from app.jsontext import dumps
from app.log.write import columns
from app.log.write.masking import Scrubber, mask_request
from app.log.write.writer import Entry

# Fields of the logged document that the service or the policy makes, none from the request.
SERVICE_MADE = frozenset(("action", "approval_problems", "as_of", "decided_at", "decision_id",
                          "duration_ms", "obligations", "outcome", "policy", "proposal",
                          "required_approvals", "request_fingerprint"))


def entry(answer: dict[str, Any], request: dict[str, Any], facts: list[dict[str, Any]],
          key_name: str | None, fingerprint: str, confidential: Iterable[str],
          secret: str, proposal: str | None = None, audiences: tuple[str, ...] = (),
          user: str | None = None) -> Entry:
    """The record of `answer` to `request`, masked with `secret`, ready to be appended.

    `confidential` is every path to mask (the policy's, the contract's included).
    A require_approval decision has `proposal`, the HMAC of what an approval of it is
    given on, and `audiences`, the inboxes that show it (models.ApprovalRequest).
    `user` is the console user who asked (CONTRACT §11), logged beside the key name
    only for a decision made in the console.
    Raises MaskingError, TypeError, ValueError or KeyError when it cannot be made:
    the decision is then not given.
    """
    masked, clear = mask_request(request, confidential, secret)
    # The fingerprint is in the hashed document, so verify proves its column too.
    document = {**answer, "request": masked, "facts": facts, "key_name": key_name,
                "approvals_presented": presented(request), "request_fingerprint": fingerprint,
                "proposal": proposal}
    if user is not None:
        document["user"] = user
    # Its keys are str: the request was parsed from JSON, the rest is built here.
    text = dumps(document, str_keys=True)
    scrub = Scrubber(clear, secret)
    if scrub.may_change(text):
        # A clear value sits where no path masked it: quoted by a message or a fact, or
        # as an id (a client.id that is the e-mail). What the request or a message may
        # carry is scrubbed, then serialised again. What the service or the policy made
        # (ids, dates, hashes; rule, principle, outcome, approver, obligations, fact
        # names) stays as decided when a value happens to equal it.
        document = _scrubbed(document, scrub)
        text = dumps(document, str_keys=True)
    copied = columns.of(document)
    copied.update(as_of=columns.as_date(copied["as_of"]),
                  decided_at=columns.as_datetime(copied["decided_at"]))
    return Entry(
        **copied,
        body=document,
        reasons=list(document["reasons"]),
        # Serialised here, in the request's thread, not in the worker's one log committer.
        body_text=text,
        audiences=audiences,
    )


def presented(request: dict[str, Any]) -> list[dict[str, Any]]:
    """The approvals the request relied on, each with who vouches for it.

    An approval {role, by} is the CRM's word (only crm and admin keys may send one):
    it is logged as asserted by the CRM, not as proof dealguard holds. A reference
    {approval_id} is dealguard's own record (whether it counted is in the reasons and
    approval_problems).
    """
    return [{"approval_id": approval["approval_id"], "source": "dealguard"}
            if "approval_id" in approval else
            {"role": approval["role"], "by": approval["by"], "source": "crm"}
            for approval in request.get("approvals") or ()]


def _scrubbed(document: dict[str, Any], scrub: Scrubber) -> dict[str, Any]:
    """The document with the request's clear confidential values replaced where they
    may sit: the request, its ids, the key name, messages, offer lines and fact values."""
    scrubbed = {}
    for name, value in document.items():
        if name in SERVICE_MADE:
            scrubbed[name] = value
        elif name == "reasons":
            scrubbed[name] = [{**reason, "message": scrub(reason["message"]),
                               "item": scrub(reason["item"])} for reason in value]
        elif name == "facts":
            scrubbed[name] = [{fact: scrub(v) for fact, v in facts.items()} for facts in value]
        elif name == "approvals_presented":
            scrubbed[name] = [{key: item if key == "source" else scrub(item)
                               for key, item in approval.items()} for approval in value]
        else:
            scrubbed[name] = scrub(value)
    return scrubbed
