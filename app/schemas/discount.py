from marshmallow import Schema, fields, validate

from app.schemas.common import Id, RequestSchema, SegmentedClientSchema, Text, action_field
from app.schemas.currency import Currency
from app.schemas.strict import StrictDecimal

CATEGORIES = ("standard", "novelty", "promo")
Percent = lambda **kw: StrictDecimal(validate=validate.Range(min=0, max=100), **kw)  # noqa: E731


class DealSchema(Schema):
    id = Id(required=True)
    currency = Currency(required=True)
    list_amount = StrictDecimal(required=True, validate=validate.Range(min=0, min_inclusive=False))
    cost_amount = StrictDecimal(validate=validate.Range(min=0))
    category = fields.String(load_default="standard", validate=validate.OneOf(CATEGORIES))


class DiscountTermsSchema(Schema):
    percent = Percent(required=True)
    reason = Text(allow_none=True)


class DiscountRequestSchema(RequestSchema):
    action = action_field("discount")
    client = fields.Nested(SegmentedClientSchema, required=True)
    deal = fields.Nested(DealSchema, required=True)
    discount = fields.Nested(DiscountTermsSchema, required=True)
