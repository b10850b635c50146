"""POST /v1/decisions and /v1/decisions/batch (CONTRACT §3)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, request

from app.api import database
from app.api.body import batch_body, object_body
from app.api.respond import json_response
from app.auth import current_key, requires
from app.decision_service import Caller, Context, decide, decide_batch
from app.engine.loader import MESSAGE_LANGUAGES
from app.problems import Problem, unavailable

blueprint = Blueprint("decisions", __name__)

DECIDERS = ("crm", "manager", "approver", "admin")
MAX_BATCH = 100


def _context() -> Context:
    # The same for every request of an app: made once (it is immutable).
    extensions = current_app.extensions
    context = extensions.get("dealguard.decision_context")
    if context is None:
        settings = current_app.config["SETTINGS"]
        context = extensions["dealguard.decision_context"] = Context(
            database=database.db_engine(),
            holder=extensions["dealguard.policy"],
            secret=settings.secret_key,
            timezone=settings.timezone,
            committer=extensions["dealguard.committer"],
            subscriptions=extensions["dealguard.subscriptions"],
        )
    return context


def decision_context() -> Context:
    """This app's decision context: the console decides through the same one."""
    return _context()


def _caller() -> Caller:
    key = current_key()
    return Caller(key_name=key.name, role=key.role, person_id=key.person_id,
                  job_role=key.job_role)


def _language() -> str:
    """The language of the reasons' messages: Accept-Language, English when absent."""
    if not request.environ.get("HTTP_ACCEPT_LANGUAGE"):
        return "en"  # a CRM sends none: spare parsing an empty header on every decision
    return request.accept_languages.best_match(MESSAGE_LANGUAGES, default="en")


@blueprint.post("/v1/decisions")
@requires(*DECIDERS)
def create_decision() -> Response:
    return json_response(decide(_context(), object_body(), _caller(), _language()))


@blueprint.post("/v1/decisions/batch")
@requires(*DECIDERS)
def create_batch() -> Response:
    body, refused = batch_body("requests")
    requests = body.get("requests")
    if not isinstance(requests, list):
        raise Problem(422, "The body must be {\"requests\": [...]}.",
                      {"requests": ["Must be a list of decision requests."]})
    if len(requests) > MAX_BATCH:
        raise Problem(422, f"At most {MAX_BATCH} requests per batch.",
                      {"requests": [f"Longer than {MAX_BATCH}."]})
    # An item holding a lone surrogate is answered by its problem; the others are decided.
    decided = iter(decide_batch(
        _context(), [item for index, item in enumerate(requests) if index not in refused],
        _caller(), _language()))
    results = [refused[index] if index in refused else next(decided)
               for index in range(len(requests))]
    # An invalid item is answered in place by its problem; the others are decided.
    answers: list[dict[str, Any]] = [r.to_dict() if isinstance(r, Problem) else r
                                     for r in results]
    unwritable = sum(isinstance(r, Problem) and r.status == 503 for r in results)
    if requests and unwritable == len(requests):
        raise unavailable("The decision log cannot be written; no decision was made.")
    return json_response({"decisions": answers})
