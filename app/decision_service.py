"""One decision, from a parsed request body to a logged answer (CONTRACT §3).

    validate + evaluate (app.engine) -> mask (app.audit.masking)
    -> append to the hash chain (app.audit.writer) -> answer

Nothing is answered that is not in the log: if masking or the write fails, the
caller gets a 503 problem and no decision. The web layer calls `decide`; this
module knows nothing of HTTP beyond the status codes it raises.
"""

from __future__ import annotations

import hmac
import logging
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from hashlib import sha256
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from app import metrics
from app.audit import columns as log_columns
from app.audit import lookup
from app.audit.canonical import dumps
from app.audit.group_commit import GroupCommitter
from app.audit.masking import MaskingError, Scrubber, mask_request, token
from app.audit.writer import DuplicateRequestId, Entry, LogWriteError
from app.engine.model import CONTRACT_CONFIDENTIAL
from app.policy_holder import PolicyHolder, PolicyUnavailable
from app.problems import Problem
from app.schemas import InvalidRequest
from app.schemas.common import ACTIONS

log = logging.getLogger(__name__)

RETRY_AFTER = {"Retry-After": "5"}


@dataclass(frozen=True)
class Caller:
    """Who asks: the API key's name and role, and for a person's key the person."""

    key_name: str | None
    role: str
    person_id: str | None = None  # a manager or approver key: the person it belongs to
    job_role: str | None = None  # and that person's job role

    @property
    def is_person(self) -> bool:
        return self.person_id is not None


@dataclass(frozen=True)
class Context:
    engine: Engine
    holder: PolicyHolder
    secret: str
    timezone: str
    # Single decisions are logged through it, so concurrent ones share one commit.
    committer: GroupCommitter


@dataclass
class Prepared:
    """A decision made and masked but not yet logged, or (entry None) a logged one replayed."""

    response: dict[str, Any]
    entry: Entry | None
    fingerprint: str
    started: float


def decide(ctx: Context, body: Any, caller: Caller) -> dict[str, Any]:
    """Decide and log one request; raise Problem (400/403/409/422/503) otherwise."""
    prepared = prepare(ctx, body, caller)
    return prepared.response if prepared.entry is None else _log_one(ctx, prepared)


def decide_batch(ctx: Context, bodies: list[Any], caller: Caller) -> list[dict | Problem]:
    """Decide every body; log the new decisions together (one lock, one commit).

    Each item is its decision or the Problem that refused it, in order.
    """
    answers: list[dict[str, Any] | Problem] = []
    new: dict[int, Prepared] = {}
    for index, body in enumerate(bodies):
        try:
            prepared = prepare(ctx, body, caller)
        except Problem as problem:
            answers.append(problem)
            continue
        answers.append(prepared.response)
        if prepared.entry is not None:
            new[index] = prepared
    if not new:
        return answers
    # Written like a group of the committer, by the same writer (the worker's writer
    # process, in the service): one transaction for all; a request_id taken already
    # (in the log, or earlier in this batch) fails only its own entry, which is then
    # answered as its first decision or refused with 409.
    outcomes = ctx.committer.write_now([prepared.entry for prepared in new.values()])
    failed = 0
    for (index, prepared), outcome in zip(new.items(), outcomes, strict=True):
        try:
            if outcome is None:
                answers[index] = _done(prepared)
            elif isinstance(outcome, DuplicateRequestId):
                answers[index] = _answer_as_logged(ctx, prepared)
            else:
                failed += 1
                answers[index] = _unwritable()
        except Problem as problem:
            answers[index] = problem
    if failed:
        _log_failure("write", failed)
    return answers


def _log_one(ctx: Context, prepared: Prepared) -> dict[str, Any]:
    try:
        ctx.committer.append(prepared.entry)
    except DuplicateRequestId:
        # Logged a moment ago (a retry, or another worker): answer as it was answered.
        return _answer_as_logged(ctx, prepared)
    except LogWriteError as error:
        _log_failure(f"write ({error})")
        raise _unwritable() from None
    return _done(prepared)


def _answer_as_logged(ctx: Context, prepared: Prepared) -> dict[str, Any]:
    """The answer for an entry whose request_id is in the log already: the first one's."""
    # The log holds the request_id as masked (a request_id that is a confidential value
    # of its request is a token there); the caller is answered with its own.
    prior = _prior(ctx, prepared.entry.request_id)
    if prior is None:
        _log_failure("write")
        raise _unwritable()
    return _replay(prior, prepared.fingerprint, prepared.response["request_id"])


def prepare(ctx: Context, body: Any, caller: Caller) -> Prepared:
    """Check, evaluate and mask one request; replay it if its request_id is logged."""
    started = time.perf_counter()
    if not isinstance(body, dict):
        raise Problem(400, "The request must be a JSON object.")
    if not isinstance(body.get("action"), str):
        # Checked here too: a list or object as `action` must be a 422, whatever the
        # schema module does with an unhashable value.
        metrics.REJECTED.labels("422").inc()
        raise Problem(422, "The request does not match the schema: action",
                      {"action": ["Must be one of: " + ", ".join(ACTIONS) + "."]})
    _check_person(body, caller)
    fingerprint = _fingerprint(ctx.secret, body)
    request_id = body.get("request_id")
    # No look-up of request_id here: the log's unique index finds a reused one when the
    # entry is written (DuplicateRequestId), and only then is the first decision read and
    # replayed (_append). A query per decision to find the rare retry cost more than
    # deciding the retry again does.
    policy, evaluation = _evaluate(ctx, body)

    decided_at = datetime.now(UTC)
    response = {
        "decision_id": str(uuid.uuid4()),
        "request_id": request_id,
        "action": body["action"],
        **evaluation.as_dict(),
        "policy": {"name": policy.name, "version": policy.version, "sha256": policy.sha256},
        "as_of": evaluation.as_of,
        "decided_at": decided_at.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "duration_ms": round(float(evaluation.duration_ms), 3),
    }
    try:
        entry = _entry(ctx, policy, body, caller, response, evaluation, fingerprint, decided_at)
    except (MaskingError, TypeError, ValueError, KeyError):
        _log_failure("masking")
        raise Problem(503, "The decision could not be prepared for the log; no decision.",
                      headers=RETRY_AFTER) from None
    return Prepared(response, entry, fingerprint, started)


def _done(prepared: Prepared) -> dict[str, Any]:
    """The answer of a decision now in the log, counted in the metrics."""
    response = prepared.response
    metrics.DECISIONS.labels(response["action"], response["outcome"]).inc()
    metrics.DECISION_SECONDS.labels(response["action"]).observe(
        time.perf_counter() - prepared.started)
    return response


def _unwritable() -> Problem:
    return Problem(503, "The decision log cannot be written; no decision was made.",
                   headers=RETRY_AFTER)


def _evaluate(ctx: Context, body: dict) -> tuple[Any, Any]:
    """The running policy and its evaluation of `body` (422 if invalid, 503 if no policy)."""
    try:
        policy = ctx.holder.current()
    except PolicyUnavailable:
        raise Problem(503, "No policy is loaded; no decision can be made.",
                      headers=RETRY_AFTER) from None
    try:
        claims = _masked_claims(lookup.claim_lookup(ctx.engine), body, ctx.secret)
        evaluation = policy.evaluate(body, claims=claims, timezone=ctx.timezone)
    except InvalidRequest as error:
        metrics.REJECTED.labels("422").inc()
        raise Problem(422, error.detail, error.errors) from None
    except SQLAlchemyError:
        _log_failure("claim lookup")
        raise Problem(503, "The decision log cannot be read; try again.",
                      headers=RETRY_AFTER) from None
    return policy, evaluation


def _masked_claims(claims: Any, body: dict, secret: str) -> Any:
    """The claim look-up, knowing that a claim logged its client id masked when that id
    was a confidential value of the claim's request (a client.id that is the e-mail):
    such a claim is still the claim of the same client id asked in clear now."""
    def lookup_claim(decision_id: str) -> tuple[str, str] | None:
        found = claims(decision_id)
        client = body.get("client")  # asked during evaluation: the request is valid
        client_id = client.get("id") if isinstance(client, dict) else None
        if (found is not None and isinstance(client_id, str) and found[0] != client_id
                and hmac.compare_digest(found[0], token(secret, client_id))):
            return client_id, found[1]
        return found

    return lookup_claim


def _check_person(body: dict, caller: Caller) -> None:
    """A person's key asks only as that person, and proves approvals only by id (§6).

    Its request may name no other actor.id and no other actor.role than the key's
    person and job role, and may not assert an approval ({role, by}): otherwise a
    manager could name a higher role, or an approval nobody gave, and pass the limits.
    """
    if not caller.is_person:
        return
    actor = body.get("actor")
    if isinstance(actor, dict):
        if "id" in actor and actor["id"] != caller.person_id:
            _refuse_person(f"A {caller.role} key asks only as its own person: actor.id must "
                           "be the key's person id.", "actor.id")
        if "role" in actor and actor["role"] != caller.job_role:
            _refuse_person(f"A {caller.role} key asks only in its own job role: actor.role "
                           f"must be {caller.job_role}.", "actor.role")
    approvals = body.get("approvals")
    if isinstance(approvals, list):
        for index, approval in enumerate(approvals):
            if isinstance(approval, dict) and ("role" in approval or "by" in approval):
                _refuse_person("A person's key may not assert approvals: reference an "
                               "approval given in dealguard by its approval_id.",
                               f"approvals.{index}")
    # A missing or malformed actor is the schema's to refuse (422).


def _refuse_person(detail: str, path: str) -> None:
    metrics.REJECTED.labels("403").inc()
    raise Problem(403, detail, {path: ["Not allowed for this key."]})


def _fingerprint(secret: str, body: dict) -> str:
    try:
        text = dumps(body, str_keys=True)  # a body parsed from JSON: its keys are str
    except (TypeError, ValueError):
        raise Problem(422, "The request holds a value that is not plain JSON.") from None
    return hmac.new(secret.encode("utf-8"), text.encode("utf-8"), sha256).hexdigest()


def _prior(ctx: Context, request_id: str) -> lookup.Prior | None:
    try:
        return lookup.by_request_id(ctx.engine, request_id)
    except SQLAlchemyError:
        _log_failure("read")
        raise Problem(503, "The decision log cannot be read; try again.",
                      headers=RETRY_AFTER) from None


def _replay(prior: lookup.Prior, fingerprint: str, request_id: str) -> dict[str, Any]:
    if not hmac.compare_digest(prior.fingerprint, fingerprint):
        metrics.REJECTED.labels("409").inc()
        raise Problem(409, "This request_id was used before with another body.",
                      {"request_id": ["Already used with a different request body."]})
    return {**prior.response, "request_id": request_id}


def _entry(ctx: Context, policy: Any, body: dict, caller: Caller, response: dict,
           evaluation: Any, fingerprint: str, decided_at: datetime) -> Entry:
    # CONTRACT §7 names some; the policy may add more, it cannot take them away.
    paths = dict.fromkeys((*CONTRACT_CONFIDENTIAL, *getattr(policy, "confidential_fields", ())))
    masked, clear = mask_request(body, paths, ctx.secret)
    # The fingerprint is in the hashed document, so verify proves its column too.
    document = {**response, "request": masked, "facts": evaluation.facts,
                "key_name": caller.key_name, "approvals_presented": _presented(body),
                "request_fingerprint": fingerprint}
    # Its keys are str: the request was parsed from JSON, the rest is built here.
    text = dumps(document, str_keys=True)
    scrub = Scrubber(clear, ctx.secret)
    if scrub.may_change(text):
        # A clear value sits where no path masked it: quoted by a message or a fact, or
        # as an id (a client.id that is the e-mail). What the request or a message may
        # carry is scrubbed, then serialised again. What the service or the policy made
        # (ids, dates, hashes; rule, principle, outcome, approver, obligations, fact
        # names) stays as decided when a value happens to equal it.
        document = _scrubbed(document, scrub)
        text = dumps(document, str_keys=True)
    # The columns are copies of the masked document (app.audit.columns), never of the
    # raw body: what verify checks them against, and no clear value gets into them.
    columns = log_columns.of(document)
    columns.update(as_of=log_columns.as_date(columns["as_of"]),
                   decided_at=log_columns.as_datetime(columns["decided_at"]))
    return Entry(
        **columns,
        body=document,
        reasons=list(document["reasons"]),
        # Serialised here, in the request's thread, not in the worker's one log committer.
        body_text=text,
    )


# Fields of the logged document that the service or the policy makes, none from the request.
SERVICE_MADE = frozenset(("action", "as_of", "decided_at", "decision_id", "duration_ms",
                          "obligations", "outcome", "policy", "required_approvals",
                          "request_fingerprint"))


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
            scrubbed[name] = [{**approval, "by": scrub(approval["by"])} for approval in value]
        else:
            scrubbed[name] = scrub(value)
    return scrubbed


def _presented(body: dict) -> list[dict[str, Any]]:
    """The approvals the request relied on, each with who vouches for it.

    An approval {role, by} is the CRM's word (only crm and admin keys may send one):
    it is logged as asserted by the CRM, not as proof dealguard holds.
    """
    return [{"role": approval["role"], "by": approval["by"], "source": "crm"}
            for approval in body.get("approvals") or ()]


def _log_failure(what: str, decisions: int = 1) -> None:
    metrics.LOG_WRITE_FAILURES.inc(decisions)
    # No request data in the line: it could hold confidential values.
    log.error("decision refused, log %s failed", what)
