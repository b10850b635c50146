"""GET /openapi.json (generated from the marshmallow schemas) and GET /docs (offline)."""

from __future__ import annotations

import re

from flask import Blueprint, Response, current_app

from app.api.openapi import build_spec
from app.api.respond import json_response
from app.policy_holder import PolicyUnavailable

blueprint = Blueprint("docs", __name__)


@blueprint.get("/openapi.json")
def openapi_json() -> Response:
    # Built once per policy currency: a reload may change it, and the document names it.
    currency = _policy_currency()
    documents = current_app.extensions.setdefault("dealguard.openapi", {})
    spec = documents.get(currency)
    if spec is None:
        spec = documents[currency] = build_spec(_other_routes(), currency)
    return json_response(spec)


@blueprint.get("/docs")
def docs_page() -> Response:
    return current_app.send_static_file("docs.html")


def _policy_currency() -> str | None:
    try:
        return current_app.extensions["dealguard.policy"].current().model.currency
    except PolicyUnavailable:
        return None  # no decision is possible anyway (503); the document names none


def _other_routes() -> list[tuple[str, list[str], str]]:
    """Endpoints of the other areas, summarised from their views' docstrings."""
    routes = []
    for rule in current_app.url_map.iter_rules():
        if rule.endpoint == "static" or rule.rule in ("/openapi.json", "/docs"):
            continue
        if rule.endpoint.startswith("console."):
            continue  # the console's pages are for people (HTML), not the API
        view = current_app.view_functions[rule.endpoint]
        summary = (view.__doc__ or rule.endpoint).strip().splitlines()[0]
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule)
        methods = sorted(m for m in rule.methods or () if m not in ("HEAD", "OPTIONS"))
        routes.append((path, methods, summary))
    return routes
