"""Health, metrics, the OpenAPI document and its offline page."""

from __future__ import annotations

import re
from dataclasses import replace

from sqlalchemy import delete, text

from app import create_app
from app.versions.models import PolicyVersion


def test_live_and_ready(client):
    assert client.get("/health/live").status_code == 200
    response = client.get("/health/ready")
    assert response.status_code == 200
    assert response.get_json()["checks"] == {"database": "ok", "policy": "ok", "log": "ok"}


def test_not_ready_without_a_policy(app, settings, tmp_path, body, make_key, db_engine):
    # A first start (no version in the database yet) whose policy file is broken:
    # nothing to import, nothing to run.
    with db_engine.begin() as connection:
        connection.execute(delete(PolicyVersion))
    broken = tmp_path / "broken.yaml"
    broken.write_text("rules: [")
    other = create_app(replace(settings, policy_path=str(broken)))
    client = other.test_client()
    response = client.get("/health/ready")
    assert response.status_code == 503
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["checks"]["policy"] == "not loaded"
    # No policy, no decision: fail closed.
    decided = client.post("/v1/decisions", json=body("claim"), headers=make_key("crm"))
    assert decided.status_code == 503
    other.extensions["dealguard.db_engine"].dispose()


def test_not_ready_without_a_database(settings, tmp_path):
    # A SQLite path inside a file cannot be opened: the database is unreachable.
    blocker = tmp_path / "file"
    blocker.write_text("")
    other = create_app(replace(settings, database_url=f"sqlite:///{blocker}/x.db"))
    response = other.test_client().get("/health/ready")
    assert response.status_code == 503
    assert response.get_json()["checks"]["database"] == "unreachable"


def test_metrics_count_decisions(client, body, make_key):
    headers = make_key("crm")
    client.post("/v1/decisions", json=body("claim"), headers=headers)
    metrics = client.get("/metrics")
    assert metrics.status_code == 200
    assert metrics.mimetype == "text/plain"
    page = metrics.get_data(as_text=True)
    assert re.search(r'dealguard_decisions_total\{action="claim",outcome="allow"\} \d', page)
    assert "dealguard_decision_seconds_bucket" in page
    assert "dealguard_log_write_failures_total" in page


def test_openapi_is_generated_from_the_schemas(client):
    spec = client.get("/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    schemas = spec["components"]["schemas"]
    for name in ("DiscountRequest", "ShipmentRequest", "ClaimRequest", "DisclosureRequest",
                 "OfferRequest", "Problem", "Decision"):
        assert name in schemas
    assert "percent" in schemas["DiscountTerms"]["properties"]
    assert "post" in spec["paths"]["/v1/decisions"]


def test_docs_page_works_offline(client):
    response = client.get("/docs")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "openapi.json" in page
    # No CDN: nothing is loaded from another host.
    assert not re.search(r'(src|href)="(https?:)?//', page)


def test_ready_checks_the_database_each_time(client, db_engine):
    with db_engine.connect() as connection:
        connection.execute(text("SELECT 1"))
    assert client.get("/health/ready").status_code == 200


def test_a_database_that_is_down_gives_503_not_500(settings, body):
    down = "postgresql+psycopg://postgres@127.0.0.1:9/nothing?connect_timeout=2"
    other = create_app(replace(settings, database_url=down))
    client = other.test_client()
    assert client.get("/health/ready").status_code == 503
    response = client.post("/v1/decisions", json=body("claim"),
                           headers={"Authorization": "Bearer dg_whatever"})
    assert response.status_code == 503
    assert response.mimetype == "application/problem+json"
    assert response.headers["Retry-After"]


def test_openapi_document_is_valid_openapi_3(client):
    from openapi_spec_validator import validate

    validate(client.get("/openapi.json").get_json())
