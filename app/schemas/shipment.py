from marshmallow import Schema, fields, validate

from app.schemas.common import Id, RequestSchema, action_field
from app.schemas.currency import Currency
from app.schemas.strict import StrictDecimal

Positive = lambda **kw: StrictDecimal(validate=validate.Range(min=0, min_inclusive=False), **kw)  # noqa: E731
NonNegative = lambda **kw: StrictDecimal(validate=validate.Range(min=0), **kw)  # noqa: E731


class OrderSchema(Schema):
    id = Id(required=True)
    currency = Currency(required=True)
    total = Positive(required=True)
    paid = NonNegative(required=True)
    pending = NonNegative(load_default=0)
    shipped_before = NonNegative(load_default=0)


class ShipmentTermsSchema(Schema):
    id = Id(required=True)
    amount = Positive(required=True)
    kind = fields.String(
        load_default="regular", validate=validate.OneOf(("regular", "claim_replacement"))
    )
    claim_decision_id = Id(allow_none=True)


class ShipmentRequestSchema(RequestSchema):
    action = action_field("shipment")
    order = fields.Nested(OrderSchema, required=True)
    shipment = fields.Nested(ShipmentTermsSchema, required=True)
