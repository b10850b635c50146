"""POST /v1/activities: the CRM reports what the sales team did."""

from __future__ import annotations

from apispec.yaml_utils import load_operations_from_docstring
from flask import Blueprint, Response
from marshmallow import ValidationError

from app import db
from app.api.body import object_body
from app.api.respond import json_response
from app.auth import requires
from app.problems import Problem
from app.schemas import flatten_errors
from app.stats.ingest import EventConflict, store_events
from app.stats.schemas import BatchSchema

blueprint = Blueprint("activities", __name__)

BATCH_SCHEMA = BatchSchema()
# The request body in /openapi.json, generated from the schema that validates it.
OPENAPI_SCHEMAS = {"ActivityBatch": BatchSchema}


@blueprint.post("/v1/activities")
@requires("crm", "admin")
def post_activities() -> Response:
    """Store a batch of activity events; idempotent by event id.
    ---
    post:
      summary: Report sales activity events (at most 1000 per call)
      description: |
        Each event is `{id, type, manager_id, client_id, occurred_at, amount, outcome}`.
        `type` is call, meeting, offer_sent, contract_signed or payment_received;
        `occurred_at` is an ISO date-time with its UTC offset (a naive time is a 422);
        `amount` (a JSON number >= 0, at most two decimals) is required for
        contract_signed and payment_received and refused for the other types;
        `outcome` (connected or no_answer) belongs to calls only.

        The batch is stored whole or not at all. An id stored before with the same
        content (the same instant in any offset, the same amount) is counted in
        `duplicates` and not stored again. An id stored before, or given twice in
        the batch, with other content is a 409 naming `events.N.field`, and nothing
        of the batch is stored: the first version of an event is kept, and a
        corrected event needs a new id.
      tags: [statistics]
      security: [{bearer: []}]
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: "#/components/schemas/ActivityBatch"}
      responses:
        "200":
          description: The batch was stored.
          content:
            application/json:
              schema: {$ref: "#/components/schemas/ActivitiesStored"}
        "400": {description: "The body is not a JSON object."}
        "401": {description: "No key, an unknown or revoked key."}
        "403": {description: "Only crm and admin keys report activities."}
        "409": {description: "An event id was used before for other content."}
        "413": {description: "The body is over the limit."}
        "415": {description: "The body is not JSON."}
        "422": {description: "Invalid events, by field path, e.g. events.3.amount."}
    """
    body = object_body()
    try:
        batch = BATCH_SCHEMA.load(body)
    except ValidationError as error:
        errors = flatten_errors(error.messages)
        raise Problem(
            422, "The batch does not match the schema; nothing was stored.", errors
        ) from None
    try:
        result = store_events(db.session(), batch["events"])
    except EventConflict as conflict:
        raise Problem(
            409,
            "Some event ids were already used for other content; nothing was stored.",
            conflict.errors,
        ) from None
    return json_response({"accepted": result.accepted, "duplicates": result.duplicates})


def openapi_paths() -> dict[str, dict]:
    """This endpoint for the OpenAPI document, read from the view's docstring."""
    return {"/v1/activities": load_operations_from_docstring(post_activities.__doc__)}
