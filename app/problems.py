"""RFC 9457 problem+json errors: the one shape every error of the API takes (CONTRACT §4).

Raise a Problem from any view. A kind that recurs has one builder here: `unavailable`
for every 503 (it tells the client when to come back) and `invalid_policy` for a
rules.yaml that cannot be used.
"""

from __future__ import annotations

import traceback
from typing import Any

from flask import Response, json
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException

from app.jsontext import dumps

PROBLEM_TYPES = {
    400: "bad-request",
    401: "unauthorized",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    409: "conflict",
    413: "payload-too-large",
    415: "unsupported-media-type",
    422: "unprocessable-entity",
    500: "internal-error",
    503: "service-unavailable",
}

TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Payload too large",
    415: "Unsupported media type",
    422: "Unprocessable entity",
    500: "Internal error",
    503: "Service unavailable",
}


class Problem(Exception):
    """Raise from any view to answer with a problem+json document."""

    def __init__(
        self,
        status: int,
        detail: str,
        errors: dict[str, list[str]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.errors = errors or {}
        self.headers = headers or {}

    def to_dict(self) -> dict[str, Any]:
        return problem_body(self.status, self.detail, self.errors)

    def response(self) -> Response:
        return problem_response(self.status, self.detail, self.errors, self.headers)


# How long a client is told to wait before it tries again after a 503.
RETRY_AFTER = {"Retry-After": "5"}


def unavailable(detail: str) -> Problem:
    """A 503: the log, the database or the policy cannot be used now; come back soon."""
    return Problem(503, detail, headers=RETRY_AFTER)


def invalid_policy(detail: str, problems: list[dict[str, Any]]) -> Response:
    """A 422 for a rules.yaml that cannot be used: the problem fields, and the
    contract's `valid: false` with the file's line-numbered mistakes as `errors`."""
    body = {**problem_body(422, detail), "errors": problems, "valid": False}
    return Response(dumps(body, sort_keys=False, str_keys=True), status=422,
                    mimetype="application/problem+json")


def problem_body(status: int, detail: str, errors: dict | None = None) -> dict[str, Any]:
    return {
        "type": f"https://dealguard.dev/problems/{PROBLEM_TYPES.get(status, 'error')}",
        "title": TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        "errors": errors or {},
    }


def problem_response(
    status: int, detail: str, errors: dict | None = None, headers: dict | None = None
) -> Response:
    response = Response(
        json.dumps(problem_body(status, detail, errors)),
        status=status,
        mimetype="application/problem+json",
    )
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def register_error_handlers(app) -> None:
    @app.errorhandler(Problem)
    def _problem(error: Problem) -> Response:
        return error.response()

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException) -> Response:
        status = error.code or 500
        headers = {}
        if status == 405 and error.valid_methods:
            headers["Allow"] = ", ".join(error.valid_methods)
        detail = error.description or TITLES.get(status, "Error")
        return problem_response(status, detail, None, headers)

    @app.errorhandler(SQLAlchemyError)
    def _database(error: SQLAlchemyError) -> Response:
        # The database is down or refuses us (a read for the key, the log, the stats):
        # not the caller's fault and not a bug of ours; tell it to come back.
        app.logger.error("database unavailable: %s", type(error).__name__)
        return unavailable("The database is unavailable; try again shortly.").response()

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> Response:
        # Never a traceback in the body. The log keeps the type and where it happened,
        # not the message: an exception's text may quote a confidential value (§7).
        frames = "".join(traceback.format_list(traceback.extract_tb(error.__traceback__)))
        app.logger.error("unhandled %s\n%s", type(error).__name__, frames)
        return problem_response(500, "The server could not handle this request.")
