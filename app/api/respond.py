"""JSON answers whose numbers stay exact (Decimal money is written as a JSON number)."""

from __future__ import annotations

from typing import Any

from flask import Response

from app.audit.canonical import dumps


def json_response(value: Any, status: int = 200, mimetype: str = "application/json") -> Response:
    return Response(dumps(value, sort_keys=False), status=status, mimetype=mimetype)
