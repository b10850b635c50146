"""What POST /v1/webhooks accepts (CONTRACT §10); nothing unknown passes."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates

from app.log.write.outbox import EVENTS
from app.schemas.strict import Visible

URL_MAX = 2048
SECRET_MIN, SECRET_MAX = 16, 256


class WebhookSchema(Schema):
    url = fields.String(required=True, validate=[
        validate.Length(max=URL_MAX),
        # Only http and https, with a host: a receiver the worker can POST to.
        validate.URL(schemes={"http", "https"}, require_tld=False,
                     error="Must be an http or https URL with a host."),
    ], metadata={"format": "uri", "pattern": "^[Hh][Tt][Tt][Pp][Ss]?://",
                 "description": "Where the events are POSTed: http or https, with a host."})
    events = fields.List(
        fields.String(validate=validate.OneOf(EVENTS)), required=True,
        validate=validate.Length(min=1, max=len(EVENTS)),
        metadata={"uniqueItems": True,
                  "description": "The events to receive, among " + ", ".join(EVENTS)})
    secret = fields.String(required=True, load_only=True, validate=[
        validate.Length(min=SECRET_MIN, max=SECRET_MAX), Visible()],
        metadata={"description": "Signs every delivery (X-Dealguard-Signature); "
                                 "never shown again."})

    @validates("events")
    def _once_each(self, value: list[str], **_kw) -> None:
        if len(set(value)) != len(value):
            raise ValidationError("Name each event once.")
