"""/openapi.json says what the service does: it is valid OpenAPI, the requests it calls
valid are decided, and the answers it describes are the ones sent (issue 15, item 6).

Before, 0 of 487 requests generated from the document were accepted: the document was
looser than the service (any currency, a list_amount of 0, an action unrelated to its
variant, no segment). The request schemas now come from the marshmallow schemas that
validate, so these tests generate requests from the served document itself.
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from openapi_spec_validator import validate
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import response_schema_conformance

from app.api.openapi import TITLES
from app.api.openapi_fields import number_range

EXAMPLES_PER_ACTION = 15
_request_ids = itertools.count(1)


@pytest.fixture
def spec(client):
    return client.get("/openapi.json").get_json()


@pytest.fixture
def api(app):
    return schemathesis.openapi.from_wsgi("/openapi.json", app)


def test_the_document_is_valid_openapi(spec):
    validate(spec)


def test_request_schemas_carry_what_the_service_enforces(spec):
    schemas = spec["components"]["schemas"]
    for action, title in TITLES.items():
        assert schemas[title]["properties"]["action"]["enum"] == [action]
        assert schemas[title]["additionalProperties"] is False
    deal = schemas["Deal"]["properties"]
    assert deal["currency"]["enum"] == ["RUB"]  # the running policy's currency
    assert deal["list_amount"]["minimum"] == 0 and deal["list_amount"]["exclusiveMinimum"]
    assert "exclusiveMinimum" not in deal["cost_amount"]  # >= 0 there
    assert deal["list_amount"]["maximum"] == 10**15  # the strict number's bound
    discount_client = schemas["DiscountRequest"]["properties"]["client"]["$ref"]
    offer_client = schemas["OfferRequest"]["properties"]["client"]["$ref"]
    shipment_client = schemas["ShipmentRequest"]["properties"]["client"]["$ref"]
    assert discount_client == offer_client != shipment_client
    assert "segment" in schemas[discount_client.rsplit("/", 1)[1]]["required"]
    assert "segment" not in schemas[shipment_client.rsplit("/", 1)[1]]["required"]
    as_of = schemas["ClaimRequest"]["properties"]["as_of"]
    assert {"format": "date-time"} in as_of["anyOf"] and as_of["maxLength"] == 40


def test_the_document_names_the_running_policys_currency(client, settings, make_key, body):
    # The currency is the policy's (rules.yaml): the document follows the running version.
    text = Path(settings.policy_path).read_text(encoding="utf-8")
    admin = make_key("admin")
    proposed = client.post("/v1/policy/versions", content_type="text/yaml", headers=admin,
                           data=text.replace("\ncurrency: RUB", "\ncurrency: EUR", 1))
    version_id = proposed.get_json()["version_id"]
    assert client.post(f"/v1/policy/versions/{version_id}/publish",
                       headers=admin).status_code == 200
    spec = client.get("/openapi.json").get_json()
    assert spec["components"]["schemas"]["Order"]["properties"]["currency"]["enum"] == ["EUR"]
    request = body("claim")
    request["order"]["currency"] = "EUR"
    assert client.post("/v1/decisions", json=request, headers=make_key("crm")).status_code == 200


def test_answer_schemas_tell_a_decision_from_a_problem(spec):
    schemas = spec["components"]["schemas"]
    decision, problem = schemas["Decision"], schemas["Problem"]
    assert decision["additionalProperties"] is False and problem["additionalProperties"] is False
    assert {"decision_id", "outcome", "reasons"} <= set(decision["required"])
    assert not set(decision["required"]) & set(problem["required"])
    policy_422 = spec["paths"]["/v1/policy/validate"]["post"]["responses"]["422"]
    schema = policy_422["content"]["application/problem+json"]["schema"]
    assert schema == {"$ref": "#/components/schemas/PolicyProblem"}
    assert schemas["PolicyProblem"]["properties"]["errors"]["type"] == "array"


@pytest.mark.parametrize("action", list(TITLES))
def test_a_valid_request_generated_from_the_document_is_decided(api, make_key, action):
    """The check that would have caught "0 of 487": every generated valid request of
    each action is decided (200), and its answer matches the document."""
    crm = make_key("crm")
    operation = api["/v1/decisions"]["POST"]
    strategy = operation.as_strategy(generation_mode=GenerationMode.POSITIVE).filter(
        lambda case: case.body["action"] == action)
    refused = []

    @settings(max_examples=EXAMPLES_PER_ACTION, deadline=None, database=None,
              derandomize=True, suppress_health_check=list(HealthCheck),
              phases=(Phase.explicit, Phase.generate))
    @given(case=strategy)
    def decide(case):
        # A request_id is for one body only (a reuse is a 409 by design).
        if "request_id" in case.body:
            case.body["request_id"] = f"generated-{next(_request_ids)}"
        # A generated approval_id names no approval: a 422 by design (tested elsewhere).
        if "approvals" in case.body:
            case.body["approvals"] = [a for a in case.body["approvals"]
                                      if "approval_id" not in a]
        response = case.call(headers=crm)
        if response.status_code != 200:
            refused.append((case.body, response.status_code, response.text))
            return
        case.validate_response(response, checks=[response_schema_conformance], headers=crm)

    decide()
    assert not refused, [(repr(body), status, text) for body, status, text in refused[:3]]


def test_a_batch_with_a_refused_item_matches_the_document(api, make_key, body):
    crm = make_key("crm")
    operation = api["/v1/decisions/batch"]["POST"]
    case = operation.Case(body={"requests": [body("claim"), {"action": "claim"}]},
                          media_type="application/json")
    response = case.call(headers=crm)
    answers = response.json()["decisions"]
    assert "decision_id" in answers[0] and answers[1]["status"] == 422
    case.validate_response(response, checks=[response_schema_conformance], headers=crm)


def test_a_policy_422_matches_the_document(api, make_key):
    crm = make_key("crm")
    case = api["/v1/policy/validate"]["POST"].Case(body="rules: [", media_type="text/yaml")
    response = case.call(headers=crm)
    assert response.status_code == 422
    assert isinstance(response.json()["errors"], list)
    case.validate_response(response, checks=[response_schema_conformance], headers=crm)


def test_a_full_record_matches_the_document(api, make_key, post, body):
    decided = post({**body("discount"), "approvals": [{"role": "head_of_sales", "by": "h-1"}]})
    assert decided.status_code == 200
    admin = make_key("admin")
    operation = api["/v1/decisions/{decision_id}"]["GET"]
    case = operation.Case(path_parameters={"decision_id": decided.get_json()["decision_id"]})
    response = case.call(headers=admin)
    assert response.json()["approvals_presented"] == [
        {"role": "head_of_sales", "by": "h-1", "source": "crm"}]
    case.validate_response(response, checks=[response_schema_conformance], headers=admin)


def test_activity_batches_generated_from_the_document_are_stored(api, make_key):
    # An event's amount and outcome depend on its type, and its time must lie in the
    # years the statistics cover: the document's variants say so, so a generated batch
    # is stored. An id is for one event only (another event under it is a 409).
    crm = make_key("crm")
    refused = []

    @settings(max_examples=30, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck), phases=(Phase.explicit, Phase.generate))
    @given(case=api["/v1/activities"]["POST"].as_strategy(
        generation_mode=GenerationMode.POSITIVE))
    def store(case):
        for event in case.body["events"]:
            event["id"] = f"event-{next(_request_ids)}"
        response = case.call(headers=crm)
        if response.status_code != 200:
            refused.append((case.body, response.text))
            return
        case.validate_response(response, checks=[response_schema_conformance], headers=crm)

    store()
    assert not refused, [(repr(body), status, text) for body, status, text in refused[:3]]


@pytest.mark.parametrize(("low", "high"), [(1900, 9998), (0, 9999), (1, 9999), (1999, 2001),
                                           (5, 17), (1234, 1234), (380, 7215)])
def test_number_range_matches_exactly_the_numbers_in_it(low, high):
    pattern = re.compile("^(?:" + "|".join(number_range(low, high, 4)) + ")$")
    for number in range(10_000):
        assert bool(pattern.match(f"{number:04d}")) == (low <= number <= high), number
