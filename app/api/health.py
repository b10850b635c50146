"""/health/live, /health/ready and /metrics: for the load balancer and Prometheus."""

from __future__ import annotations

from flask import Blueprint, Response, current_app
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from app import telemetry
from app.api import database
from app.api.respond import json_response
from app.policy_holder import PolicyUnavailable
from app.problems import unavailable

blueprint = Blueprint("health", __name__)


@blueprint.get("/health/live")
def live() -> Response:
    return json_response({"status": "ok"})


@blueprint.get("/health/ready")
def ready() -> Response:
    checks = {"database": "ok", "policy": "ok"}
    try:
        with database.db_engine().connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError:
        checks["database"] = "unreachable"
    holder = current_app.extensions["dealguard.policy"]
    try:
        holder.current()
    except PolicyUnavailable:
        checks["policy"] = "not loaded"
    else:
        # The active version failed to load in this process: it decides with the one
        # before, unlike the others; out of the pool until it is fixed.
        lagging = holder.not_following()
        if lagging is not None:
            checks["policy"] = lagging
    # No decision can be given that this worker cannot log: ready only if its last log
    # write (or, with none lately, a probe that writes and leaves the log as it was)
    # went through. A full disk, a database refusing writes, a hung writer process:
    # each is "not ready" here, as every decision would be a 503.
    why_not = current_app.extensions["dealguard.committer"].writable()
    checks["log"] = "ok" if why_not is None else f"cannot be written ({why_not})"
    if all(value == "ok" for value in checks.values()):
        return json_response({"status": "ok", "checks": checks})
    problem = unavailable("Not ready: " + ", ".join(
        f"{name} {state}" for name, state in checks.items() if state != "ok"))
    response = json_response({**problem.to_dict(), "checks": checks}, status=503,
                             mimetype="application/problem+json")
    response.headers.update(problem.headers)
    return response


@blueprint.get("/metrics")
def prometheus() -> Response:
    payload, content_type = telemetry.render()
    return Response(payload, content_type=content_type)
