"""/v1/webhooks: register, list and delete webhooks, and see their deliveries (admin only,
CONTRACT §6, §10). `dealguard worker` makes the deliveries (app/webhooks/worker.py)."""

from __future__ import annotations

import uuid

from flask import Blueprint, Response, current_app
from marshmallow import ValidationError

from app.api import database
from app.api.body import object_body
from app.api.respond import json_response
from app.auth import requires
from app.problems import Problem
from app.schemas import flatten_errors
from app.webhooks import registry
from app.webhooks.schemas import WebhookSchema

blueprint = Blueprint("webhooks", __name__)

SCHEMA = WebhookSchema()


def _not_found() -> Problem:
    return Problem(404, "No such webhook.")


def _known_id(webhook_id: str) -> str:
    """The id if it can be a webhook's (a UUID); else 404 before asking the database."""
    try:
        return str(uuid.UUID(webhook_id))
    except ValueError:
        raise _not_found() from None


def _forget_subscriptions() -> None:
    # This process sees the change at once; the others within a second (subscriptions.py).
    current_app.extensions["dealguard.subscriptions"].forget()


@blueprint.post("/v1/webhooks")
@requires("admin")
def create_webhook() -> Response:
    try:
        body = SCHEMA.load(object_body())
    except ValidationError as error:
        raise Problem(422, "The webhook is not valid; nothing was registered.",
                      flatten_errors(error.messages)) from None
    webhook = registry.create(database.session(), current_app.config["SETTINGS"].secret_key,
                              body["url"], body["events"], body["secret"])
    _forget_subscriptions()
    return json_response(webhook, status=201)


@blueprint.get("/v1/webhooks")
@requires("admin")
def list_webhooks() -> Response:
    return json_response({"items": registry.active(database.session())})


@blueprint.delete("/v1/webhooks/<webhook_id>")
@requires("admin")
def delete_webhook(webhook_id: str) -> Response:
    if not registry.delete(database.session(), _known_id(webhook_id)):
        raise _not_found()
    _forget_subscriptions()
    return Response(status=204)


@blueprint.get("/v1/webhooks/<webhook_id>/deliveries")
@requires("admin")
def list_deliveries(webhook_id: str) -> Response:
    items = registry.deliveries(database.session(), _known_id(webhook_id))
    if items is None:
        raise _not_found()
    return json_response({"items": items})
