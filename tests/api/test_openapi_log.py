"""The log's endpoints in /openapi.json, with their parameters and problem answers."""

from __future__ import annotations


def test_log_endpoints_are_described(client):
    paths = client.get("/openapi.json").get_json()["paths"]
    listing = paths["/v1/decisions"]["get"]
    names = {p["name"] for p in listing["parameters"]}
    assert names == {"action", "outcome", "principle", "rule", "actor_id", "client_id",
                     "subject_id", "since", "until", "limit", "cursor"}
    assert "post" in paths["/v1/decisions"]  # the decision service's operation stays
    assert "404" in paths["/v1/decisions/{decision_id}"]["get"]["responses"]
    export = {p["name"] for p in paths["/v1/decisions/export"]["get"]["parameters"]}
    assert "format" in export and "rule" in export
    assert "200" in paths["/v1/decisions/verify"]["get"]["responses"]
    impact = paths["/v1/policy/impact"]["post"]
    assert {p["name"] for p in impact["parameters"]} == {"since", "until", "action", "limit"}
    assert "application/yaml" in impact["requestBody"]["content"]
