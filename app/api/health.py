"""/health/live, /health/ready and /metrics: for the load balancer and Prometheus."""

from __future__ import annotations

from flask import Blueprint, Response, current_app
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from app import db, metrics
from app.api.respond import json_response
from app.policy_holder import PolicyUnavailable
from app.problems import problem_body

blueprint = Blueprint("health", __name__)


@blueprint.get("/health/live")
def live() -> Response:
    return json_response({"status": "ok"})


@blueprint.get("/health/ready")
def ready() -> Response:
    checks = {"database": "ok", "policy": "ok"}
    try:
        with db.engine().connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError:
        checks["database"] = "unreachable"
    try:
        current_app.extensions["dealguard.policy"].current()
    except PolicyUnavailable:
        checks["policy"] = "not loaded"
    writer = current_app.extensions.get("dealguard.writer_process")
    if writer is not None:
        # No decision can be given that this worker cannot log.
        checks["log_writer"] = "ok" if writer.ping() else "not answering"
    if all(value == "ok" for value in checks.values()):
        return json_response({"status": "ok", "checks": checks})
    body = problem_body(503, "Not ready: " + ", ".join(
        f"{name} {state}" for name, state in checks.items() if state != "ok"))
    body["checks"] = checks
    response = json_response(body, status=503, mimetype="application/problem+json")
    response.headers["Retry-After"] = "5"
    return response


@blueprint.get("/metrics")
def prometheus() -> Response:
    payload, content_type = metrics.render()
    return Response(payload, content_type=content_type)
