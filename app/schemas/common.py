"""Fields every decision request shares (CONTRACT §3)."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate

from app.schemas.strict import IsoDateOrDateTime, StrictBoolean, Visible
from app.vocabulary import ACTIONS, ACTOR_ROLES

SEGMENTS = ("retail", "wholesale", "key_account")

ID_MAX_LENGTH = 128


def Id(**kw) -> fields.String:
    """Every id of a request (CONTRACT §3): 1-128 characters, none of them invisible."""
    return fields.String(validate=[validate.Length(min=1, max=ID_MAX_LENGTH), Visible()], **kw)


Text = lambda **kw: fields.String(validate=validate.Length(max=2000), **kw)  # noqa: E731


class ActorSchema(Schema):
    id = Id(required=True)
    role = fields.String(required=True, validate=validate.OneOf(ACTOR_ROLES))


class ClientSchema(Schema):
    id = Id(required=True)
    segment = fields.String(validate=validate.OneOf(SEGMENTS))
    is_new = StrictBoolean(load_default=False)
    owner_id = Id(allow_none=True)
    needs = fields.List(Text(), load_default=list, validate=validate.Length(max=200))
    # Confidential (CONTRACT §7): masked in the log, never in a log line.
    name = Text(allow_none=True)
    email = Text(allow_none=True)
    phone = Text(allow_none=True)
    tax_id = Text(allow_none=True)


class SegmentedClientSchema(ClientSchema):
    """A client of a discount or an offer: the limits depend on its segment."""

    segment = fields.String(required=True, validate=validate.OneOf(SEGMENTS))


class AssertedApprovalSchema(Schema):
    """An approval the CRM's own workflow gave (crm and admin keys only, CONTRACT §6)."""

    role = fields.String(required=True, validate=validate.OneOf(ACTOR_ROLES))
    by = Id(required=True)


class ApprovalReferenceSchema(Schema):
    """An approval given in dealguard, by its id (CONTRACT §10)."""

    approval_id = Id(required=True)


class ApprovalItem(fields.Field):
    """One of `approvals`: a reference `{approval_id}` or an asserted `{role, by}`.

    An object with `approval_id` is a reference; any other object is read as asserted,
    so its errors name `role` and `by`, the fields it lacks.
    """

    VARIANTS = (ApprovalReferenceSchema, AssertedApprovalSchema)
    default_error_messages = {"type": "Must be an object: {{approval_id}} or {{role, by}}."}

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._schemas = {variant: variant() for variant in self.VARIANTS}

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if not isinstance(value, dict):
            raise self.make_error("type")
        variant = ApprovalReferenceSchema if "approval_id" in value else AssertedApprovalSchema
        try:
            return self._schemas[variant].load(value)
        except ValidationError as error:
            raise ValidationError(error.messages) from None


class RequestSchema(Schema):
    """The fields common to every action; each action's schema adds its own objects."""

    action = fields.String(required=True, validate=validate.OneOf(ACTIONS))
    request_id = Id()
    as_of = IsoDateOrDateTime()
    actor = fields.Nested(ActorSchema, required=True)
    client = fields.Nested(ClientSchema, required=True)
    approvals = fields.List(
        ApprovalItem(), load_default=list, validate=validate.Length(max=20)
    )


def action_field(action: str) -> fields.String:
    """`action` of one action's schema: that action only, so the variants are told apart."""
    return fields.String(required=True, validate=validate.OneOf((action,)))
