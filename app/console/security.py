"""CSRF on every console form, and the headers of every console page.

Flask-WTF checks the CSRF token of every POST under /console/ before its view runs
(the API's POSTs are authenticated by key, never by cookie, and are not checked). The
Content-Security-Policy lets a page load only dealguard's own files: no inline
script or style, no other origin, no framing.
"""

from __future__ import annotations

from flask import Flask, Response, request
from flask_wtf.csrf import CSRFProtect

from app.console.sessions import is_console

csrf = CSRFProtect()

CONTENT_SECURITY_POLICY = ("default-src 'none'; script-src 'self'; style-src 'self'; "
                           "img-src 'self'; font-src 'self'; connect-src 'self'; "
                           "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")


def init_app(app: Flask) -> None:
    # Checked here for the console only (below), not by default on every POST of the app.
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False
    # The session ends after 8 hours; so does the token.
    app.config["WTF_CSRF_TIME_LIMIT"] = 8 * 3600
    app.config["WTF_CSRF_SSL_STRICT"] = True
    csrf.init_app(app)

    @app.before_request
    def _check_csrf() -> None:
        if request.method == "POST" and is_console(request.path):
            csrf.protect()

    @app.after_request
    def _headers(response: Response) -> Response:
        if not is_console(request.path):
            return response
        # A chart (an SVG document) sets a policy of its own; every page gets this one.
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "same-origin"
        if request.endpoint != "console.static":
            # Pages show decisions and people: no copy in a shared or back cache.
            response.headers["Cache-Control"] = "no-store"
        return response
