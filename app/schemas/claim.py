from marshmallow import Schema, fields, validate

from app.schemas.common import Id, RequestSchema, action_field
from app.schemas.currency import Currency
from app.schemas.strict import StrictDecimal, StrictInteger

CLAIM_REASONS = ("defect", "damaged_in_transit", "wrong_item", "not_as_described", "changed_mind")
REMEDIES = ("refund", "replacement", "repair", "credit_note")


class ClaimOrderSchema(Schema):
    id = Id(required=True)
    currency = Currency(required=True)
    total = StrictDecimal(required=True, validate=validate.Range(min=0, min_inclusive=False))


class ClaimTermsSchema(Schema):
    id = Id(required=True)
    reason = fields.String(required=True, validate=validate.OneOf(CLAIM_REASONS))
    amount = StrictDecimal(required=True, validate=validate.Range(min=0, min_inclusive=False))
    days_since_delivery = StrictInteger(required=True, validate=validate.Range(min=0))
    remedy = fields.String(required=True, validate=validate.OneOf(REMEDIES))
    compensation = StrictDecimal(load_default=0, validate=validate.Range(min=0))


class ClaimRequestSchema(RequestSchema):
    action = action_field("claim")
    order = fields.Nested(ClaimOrderSchema, required=True)
    claim = fields.Nested(ClaimTermsSchema, required=True)
