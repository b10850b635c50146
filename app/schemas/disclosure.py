from marshmallow import Schema, fields, validate

from app.schemas.common import RequestSchema, Text, action_field
from app.schemas.strict import StrictInteger

CATEGORIES = ("contacts", "order_history", "prices", "payment_details", "personal_data")
RECIPIENTS = ("client", "internal", "contractor", "third_party", "authority")
LEGAL_BASES = ("none", "client_consent", "contract", "court_order", "law_request")


class DisclosureTermsSchema(Schema):
    categories = fields.List(
        fields.String(validate=validate.OneOf(CATEGORIES)),
        required=True,
        validate=validate.Length(min=1, max=len(CATEGORIES)),
    )
    recipient = fields.String(required=True, validate=validate.OneOf(RECIPIENTS))
    records = StrictInteger(load_default=1, validate=validate.Range(min=1))
    legal_basis = fields.String(load_default="none", validate=validate.OneOf(LEGAL_BASES))
    purpose = Text(allow_none=True)  # confidential (CONTRACT §7)


class DisclosureRequestSchema(RequestSchema):
    action = action_field("disclosure")
    disclosure = fields.Nested(DisclosureTermsSchema, required=True)
