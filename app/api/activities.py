"""POST /v1/activities: the CRM reports what the sales team did."""

from __future__ import annotations

from flask import Blueprint, Response
from marshmallow import ValidationError

from app.api import database
from app.api.body import object_body
from app.api.respond import json_response
from app.auth import requires
from app.problems import Problem
from app.schemas import flatten_errors
from app.stats.ingest import EventConflict, store_events
from app.stats.schemas import BatchSchema

blueprint = Blueprint("activities", __name__)

BATCH_SCHEMA = BatchSchema()


@blueprint.post("/v1/activities")
@requires("crm", "admin")
def post_activities() -> Response:
    """Store a batch of activity events; idempotent by event id."""
    body = object_body()
    try:
        batch = BATCH_SCHEMA.load(body)
    except ValidationError as error:
        errors = flatten_errors(error.messages)
        raise Problem(
            422, "The batch does not match the schema; nothing was stored.", errors
        ) from None
    try:
        result = store_events(database.session(), batch["events"])
    except EventConflict as conflict:
        raise Problem(
            409,
            "Some event ids were already used for other content; nothing was stored.",
            conflict.errors,
        ) from None
    return json_response({"accepted": result.accepted, "duplicates": result.duplicates})
