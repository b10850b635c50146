"""GET /openapi.json (generated from the marshmallow schemas) and GET /docs (offline)."""

from __future__ import annotations

from flask import Blueprint, Response, current_app

from app.api.openapi import build_spec
from app.api.respond import json_response

blueprint = Blueprint("docs", __name__)


@blueprint.get("/openapi.json")
def openapi_json() -> Response:
    spec = current_app.extensions.get("dealguard.openapi")
    if spec is None:
        spec = current_app.extensions["dealguard.openapi"] = build_spec()
    return json_response(spec)


@blueprint.get("/docs")
def docs_page() -> Response:
    return current_app.send_static_file("docs.html")
