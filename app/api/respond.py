"""JSON answers whose numbers stay exact (Decimal money is written as a JSON number)."""

from __future__ import annotations

from typing import Any

from flask import Response

from app.jsontext import dumps


def json_response(value: Any, status: int = 200, mimetype: str = "application/json") -> Response:
    # An answer is not canonical text (nothing hashes it): no need to check its keys.
    return Response(dumps(value, sort_keys=False, str_keys=True), status=status,
                    mimetype=mimetype)
