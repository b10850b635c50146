"""Webhooks (admin): register, list and delete them, and see each one's deliveries; the
same schema and functions as /v1/webhooks (app.webhooks.registry). The secret is
written, sealed, and never shown again."""

from __future__ import annotations

import uuid

from flask import abort, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from marshmallow import ValidationError
from werkzeug import Response

from app.api import database
from app.console import blueprint, identity
from app.console.forms import PostForm
from app.log.write.outbox import EVENTS
from app.webhooks import registry
from app.webhooks.schemas import SECRET_MAX, SECRET_MIN, URL_MAX, WebhookSchema


def _field_errors(names: list[str]) -> dict[str, str]:
    """A refused field in plain words, in the person's language (the schema decides)."""
    words = {
        "url": _("An http or https address with a host, at most %(n)s characters.", n=URL_MAX),
        "events": _("Choose at least one event."),
        "secret": _("From %(low)s to %(high)s visible characters.",
                    low=SECRET_MIN, high=SECRET_MAX),
    }
    return {name: words.get(name, _("Not valid.")) for name in names}


def _page(code: int = 200, **context) -> tuple[str, int]:
    return render_template("console/webhooks.html", webhooks=registry.active(database.session()),
                           events=EVENTS, form=PostForm(), **context), code


@blueprint.route("/webhooks", methods=["GET", "POST"])
@identity.allowed("admin")
def webhooks() -> tuple[str, int] | Response:
    if request.method == "GET":
        return _page()
    asked = {"url": request.form.get("url", "").strip(),
             "events": request.form.getlist("events"),
             "secret": request.form.get("secret", "")}
    try:
        valid = WebhookSchema().load(asked)
    except ValidationError as error:
        return _page(422, errors=_field_errors(sorted(error.messages)),
                     asked={**asked, "secret": ""})
    made = registry.create(database.session(), current_app.config["SETTINGS"].secret_key,
                           valid["url"], valid["events"], valid["secret"])
    _forget_subscriptions()
    return _page(made=made)


@blueprint.post("/webhooks/<webhook_id>/delete")
@identity.allowed("admin")
def webhook_delete(webhook_id: str) -> Response:
    if not registry.delete(database.session(), _known_id(webhook_id)):
        abort(404)
    _forget_subscriptions()
    return redirect(url_for("console.webhooks"))


@blueprint.get("/webhooks/<webhook_id>")
@identity.allowed("admin")
def webhook_deliveries(webhook_id: str) -> str:
    known = _known_id(webhook_id)
    items = registry.deliveries(database.session(), known)
    if items is None:
        abort(404)
    webhook = next((w for w in registry.active(database.session()) if w["id"] == known), None)
    return render_template("console/webhook.html", webhook=webhook, items=items,
                           shown=registry.DELIVERIES_SHOWN)


def _known_id(webhook_id: str) -> str:
    try:
        return str(uuid.UUID(webhook_id))
    except ValueError:
        abort(404)


def _forget_subscriptions() -> None:
    # This process sees the change at once; the others within a second, as after the API.
    current_app.extensions["dealguard.subscriptions"].forget()
