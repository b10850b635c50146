from marshmallow import Schema, fields, validate

from app.schemas.common import Id, RequestSchema, SegmentedClientSchema, Text, action_field
from app.schemas.currency import Currency
from app.schemas.discount import CATEGORIES, Percent
from app.schemas.strict import IsoDate, StrictBoolean, StrictDecimal, StrictInteger

MAX_ITEMS = 200


class CustomTermSchema(Schema):
    text = Text(required=True)
    requires_process_change = StrictBoolean(required=True)


class OfferItemSchema(Schema):
    sku = Id(required=True)
    quantity = StrictDecimal(required=True, validate=validate.Range(min=0, min_inclusive=False))
    available_quantity = StrictDecimal(required=True, validate=validate.Range(min=0))
    lead_time_days = StrictInteger(required=True, validate=validate.Range(min=0))
    need = Text(required=True, allow_none=True)
    category = fields.String(load_default="standard", validate=validate.OneOf(CATEGORIES))
    list_price = StrictDecimal(required=True, validate=validate.Range(min=0, min_inclusive=False))
    discount_percent = Percent(load_default=0)
    cost_price = StrictDecimal(validate=validate.Range(min=0))


class OfferTermsSchema(Schema):
    id = Id(required=True)
    currency = Currency(required=True)
    promised_delivery_date = IsoDate(required=True)
    custom_terms = fields.List(
        fields.Nested(CustomTermSchema), load_default=list, validate=validate.Length(max=100)
    )
    items = fields.List(
        fields.Nested(OfferItemSchema),
        required=True,
        validate=validate.Length(min=1, max=MAX_ITEMS),
    )


class OfferRequestSchema(RequestSchema):
    action = action_field("offer")
    client = fields.Nested(SegmentedClientSchema, required=True)
    offer = fields.Nested(OfferTermsSchema, required=True)
