"""One decision, from a parsed request body to a logged answer (CONTRACT §3).

    prepare  check who asks, and fingerprint the request as sent
    decide   the running policy validates and judges it (app.engine); a shadow
             version, if one runs, judges it too, and only that is noted
    record   its log record: masked, scrubbed, serialised (app.log.write.record)
    answer   append it to the hash chain (app.log.write), then answer

Nothing is answered that is not in the log: if the record cannot be made or written,
the caller gets a 503 problem and no decision. The web layer calls `decide` or
`decide_batch`; this module knows nothing of HTTP beyond the status codes it raises.
"""

from __future__ import annotations

import hmac
import logging
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from app import telemetry
from app.approvals import inbox, references
from app.engine import Evaluation, InvalidRequest, Policy
from app.engine.policy import localized_reasons
from app.engine.replay import judge
from app.jsontext import dumps
from app.log.read import lookup
from app.log.write import columns, record
from app.log.write.group_commit import GroupCommitter
from app.log.write.masking import MaskingError, token
from app.log.write.writer import DuplicateRequestId, Entry, LogWriteError, ShadowResult
from app.policy_holder import PolicyHolder, PolicyUnavailable, Running, Shadow
from app.problems import Problem, unavailable
from app.schemas import NotAnObject
from app.webhooks.subscriptions import Subscriptions

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Caller:
    """Who asks: the API key's name and role, and for a person's key the person."""

    key_name: str | None
    role: str
    person_id: str | None = None  # a manager or approver key: the person it belongs to
    job_role: str | None = None  # and that person's job role
    user: str | None = None  # a console user (CONTRACT §11): the person who asked

    @property
    def is_person(self) -> bool:
        return self.person_id is not None


@dataclass(frozen=True)
class Context:
    database: Engine
    holder: PolicyHolder
    secret: str
    timezone: str
    # Decisions are logged through it, so concurrent ones share one commit.
    committer: GroupCommitter
    # The webhook events some webhook wants; a decision writes those it causes with
    # itself (the outbox, app/log/write/outbox.py). None: no events (tests, tools).
    subscriptions: Subscriptions | None = None


@dataclass
class Prepared:
    """A decision made and its record made, not yet logged."""

    response: dict[str, Any]
    entry: Entry
    fingerprint: str
    started: float
    # Per reason, its message in the policy's other languages (the log keeps English).
    translations: list[dict[str, str]] = field(default_factory=list)


def decide(ctx: Context, body: Any, caller: Caller, language: str = "en") -> dict[str, Any]:
    """Decide and log one request; raise Problem (400/403/409/422/503) otherwise.

    The answer's reason messages are in `language` where the policy has it; the log
    keeps them in English."""
    # Counted from here to the answer: the log's group waits a moment for the decisions
    # under way, so that they share a commit (app/log/write/group_commit.py).
    with ctx.committer.in_flight():
        prepared = prepare(ctx, body, caller)
        return in_language(answer(ctx, prepared), prepared, language)


def decide_batch(ctx: Context, bodies: list[Any], caller: Caller,
                 language: str = "en") -> list[dict | Problem]:
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
    for index, prepared in new.items():
        if isinstance(answers[index], dict):
            answers[index] = in_language(answers[index], prepared, language)
    return answers


def in_language(response: dict[str, Any], prepared: Prepared, language: str) -> dict[str, Any]:
    """The answer with its reasons' messages in `language`, where the policy has them.

    A retry answered as first logged has the same reasons (same request, same rules
    matched), so the translations of this evaluation fit it too; when they do not line
    up rule for rule (the policy changed in between), the logged English stays."""
    if language == "en" or not prepared.translations:
        return response
    reasons = response["reasons"]
    if [r["rule"] for r in reasons] != [r["rule"] for r in prepared.response["reasons"]]:
        return response
    return {**response, "reasons": localized_reasons(reasons, prepared.translations, language)}


# -- prepare -> decide -> record -------------------------------------------------------

def prepare(ctx: Context, body: Any, caller: Caller) -> Prepared:
    """Decide one request and make its log record; nothing is logged yet."""
    started = time.perf_counter()
    _check_person(body, caller)
    fingerprint = _fingerprint(ctx.secret, body)
    # No look-up of request_id here: the log's unique index finds a reused one when the
    # entry is written (DuplicateRequestId), and only then is the first decision read
    # and replayed (answer). A query per decision to find the rare retry cost more than
    # deciding the retry again does.
    running, evaluation = _decide(ctx, body)
    policy = running.policy
    response = {
        "decision_id": str(uuid.uuid4()),
        "request_id": body.get("request_id"),
        "action": evaluation.action,
        **evaluation.as_dict(),
        "policy": _policy_named(running),
        "as_of": evaluation.as_of,
        "decided_at": columns.decided_at_text(datetime.now(UTC)),
        "duration_ms": round(float(evaluation.duration_ms), 3),
    }
    entry = _record(ctx, policy, body, caller, response, evaluation, fingerprint)
    if ctx.subscriptions is not None:
        entry.events = ctx.subscriptions.decision_events(response["outcome"])
    if running.shadow is not None:
        entry.shadow = _shadow(ctx, running.shadow, body, evaluation.as_of)
    return Prepared(response, entry, fingerprint, started, evaluation.translations)


def _check_person(body: Any, caller: Caller) -> None:
    """A person's key asks only as that person, and proves approvals only by id (§6).

    Its request may name no other actor.id and no other actor.role than the key's
    person and job role, and may not assert an approval ({role, by}): otherwise a
    manager could name a higher role, or an approval nobody gave, and pass the limits.
    """
    if not caller.is_person or not isinstance(body, dict):
        return  # a body that is no object is the schema's to refuse (400)
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
    telemetry.REJECTED.labels("403").inc()
    raise Problem(403, detail, {path: ["Not allowed for this key."]})


def _fingerprint(secret: str, body: Any) -> str:
    try:
        text = dumps(body, str_keys=True)  # a body parsed from JSON: its keys are str
    except (TypeError, ValueError):
        raise Problem(422, "The request holds a value that is not plain JSON.") from None
    # hmac.digest: the same HMAC-SHA256 as hmac.new(...).hexdigest(), in one C call.
    return hmac.digest(secret.encode("utf-8"), text.encode("utf-8"), "sha256").hex()


def _policy_named(running: Running) -> dict[str, Any]:
    """The answer's `policy`: which policy, and which version of the database, decided."""
    policy = running.policy
    named = {"name": policy.name, "version": policy.version, "sha256": policy.sha256}
    if running.version_id is not None:
        named["version_id"] = running.version_id
    return named


def _decide(ctx: Context, body: Any) -> tuple[Running, Evaluation]:
    """The running policy and its evaluation of `body` (422 if invalid, 503 if no policy)."""
    try:
        running = ctx.holder.running()
        policy = running.policy
    except PolicyUnavailable:
        raise unavailable("No policy is loaded; no decision can be made.") from None
    try:
        evaluation = policy.evaluate(body, timezone=ctx.timezone,
                                     **log_lookups(ctx.database, ctx.secret, body))
    except NotAnObject:
        raise Problem(400, "The request must be a JSON object.") from None
    except InvalidRequest as error:
        telemetry.REJECTED.labels("422").inc()
        raise Problem(422, error.detail, error.errors) from None
    except SQLAlchemyError:
        _log_failure("claim lookup")
        raise unavailable("The decision log cannot be read; try again.") from None
    return running, evaluation


def _shadow(ctx: Context, shadow: Shadow, body: dict, as_of: str) -> ShadowResult:
    """What the shadow version answers to the same request on the same business date.

    Never raises: an error of the shadow (a version that failed to load here, a
    request it refuses, anything it throws) is counted as that, and the decision
    stands as the active version made it. Judged by the replay's own `judge`, as
    `policy impact` judges a logged request.
    """
    if shadow.policy is None:
        return ShadowResult(shadow.version_id, None, None, "not loaded")
    try:
        found = log_lookups(ctx.database, ctx.secret, body)
        judged = judge(shadow.policy, body, as_of, found["claims"], ctx.timezone,
                       approvals=found["approvals"])
    except Exception as error:  # noqa: BLE001 - the shadow never fails a decision
        return ShadowResult(shadow.version_id, None, None, type(error).__name__)
    if judged.evaluation is None:
        return ShadowResult(shadow.version_id, None, None, judged.failure or "invalid request")
    after = judged.evaluation
    return ShadowResult(shadow.version_id, after.outcome,
                        dumps(list(after.required_approvals)), None)


def log_lookups(database: Engine, secret: str, body: Any) -> dict[str, Any]:
    """What the engine may ask the log of `database` while judging `body`: a claim
    decision a replacement rests on, and an approval a request references."""
    return {"claims": _masked_claims(lookup.claim_lookup(database), body, secret),
            "approvals": references.lookup(database, secret)}


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


def _record(ctx: Context, policy: Policy, body: dict, caller: Caller, response: dict,
            evaluation: Evaluation, fingerprint: str) -> Entry:
    """The decision's log record (app.log.write.record); 503 if it cannot be made.

    A require_approval decision's record keeps what an approval of it will be given on
    (the proposal's HMAC) and the inboxes that show it.
    """
    proposal, audiences = None, ()
    if evaluation.outcome == "require_approval":
        proposal = references.digest(ctx.secret, evaluation.proposal)
        audiences = inbox.audiences(evaluation.required_approvals)
    try:
        return record.entry(response, body, evaluation.facts, caller.key_name, fingerprint,
                            policy.confidential_fields, ctx.secret, proposal, audiences,
                            user=caller.user)
    except (MaskingError, TypeError, ValueError, KeyError):
        _log_failure("masking")
        raise unavailable("The decision could not be prepared for the log; "
                          "no decision.") from None


# -- answer ----------------------------------------------------------------------------

def answer(ctx: Context, prepared: Prepared) -> dict[str, Any]:
    """Append the decision to the log and answer it, or answer as first logged (a retry)."""
    try:
        ctx.committer.append(prepared.entry)
    except DuplicateRequestId:
        # Logged a moment ago (a retry, or another worker): answer as it was answered.
        return _answer_as_logged(ctx, prepared)
    except LogWriteError as error:
        _log_failure(f"write ({error})")
        raise _unwritable() from None
    return _done(prepared)


def _done(prepared: Prepared) -> dict[str, Any]:
    """The answer of a decision now in the log, counted in the telemetry."""
    response = prepared.response
    telemetry.DECISIONS.labels(response["action"], response["outcome"]).inc()
    telemetry.DECISION_SECONDS.labels(response["action"]).observe(
        time.perf_counter() - prepared.started)
    return response


def _answer_as_logged(ctx: Context, prepared: Prepared) -> dict[str, Any]:
    """The answer for an entry whose request_id is in the log already: the first one's."""
    # The log holds the request_id as masked (a request_id that is a confidential value
    # of its request is a token there); the caller is answered with its own.
    prior = _prior(ctx, prepared.entry.request_id)
    if prior is None:
        _log_failure("write")
        raise _unwritable()
    if not hmac.compare_digest(prior.fingerprint, prepared.fingerprint):
        telemetry.REJECTED.labels("409").inc()
        raise Problem(409, "This request_id was used before with another body.",
                      {"request_id": ["Already used with a different request body."]})
    return {**prior.response, "request_id": prepared.response["request_id"]}


def _prior(ctx: Context, request_id: str) -> lookup.Prior | None:
    try:
        return lookup.by_request_id(ctx.database, request_id)
    except SQLAlchemyError:
        _log_failure("read")
        raise unavailable("The decision log cannot be read; try again.") from None


def _unwritable() -> Problem:
    return unavailable("The decision log cannot be written; no decision was made.")


def _log_failure(what: str, decisions: int = 1) -> None:
    telemetry.LOG_WRITE_FAILURES.inc(decisions)
    # No request data in the line: it could hold confidential values.
    log.error("decision refused, log %s failed", what)
