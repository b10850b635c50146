"""The statistics' endpoints as OpenAPI operations, ready for the API document."""

from __future__ import annotations

from apispec import APISpec

from app.api import openapi_paths


def test_the_statistics_operations_are_openapi_operations() -> None:
    spec = APISpec(title="t", version="1", openapi_version="3.0.3")
    for name, parameter in openapi_paths.PARAMETERS.items():
        spec.components.parameter(name, parameter["in"], parameter)
    openapi_paths.add_activities(spec)
    openapi_paths.add_stats(spec)
    document = spec.to_dict()["paths"]
    assert set(document) == {
        "/v1/activities", "/v1/stats", "/v1/stats/series", "/v1/stats/chart.svg"
    }
    for path, operations in document.items():
        for operation in operations.values():
            assert operation["summary"] and operation["description"]
            assert {"200", "401", "403", "422"} <= set(operation["responses"]), path
    shared = spec.to_dict()["components"]["parameters"]
    names = {shared[p["$ref"].rsplit("/", 1)[-1]]["name"]
             for p in document["/v1/stats/series"]["get"]["parameters"]}
    assert names == {"metric", "period", "count", "at", "manager_id"}
    assert "end` inclusive" in document["/v1/stats"]["get"]["description"]
