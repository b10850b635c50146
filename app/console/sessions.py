"""Cookie sessions for the console alone: the API answers keys, never cookies.

The cookie is signed with DEALGUARD_SECRET_KEY, HttpOnly, SameSite=Lax, and Secure when
DEALGUARD_ENV=production. A session lasts at most SESSION_HOURS from its sign-in
(identity.py checks the sign-in time, so using the console does not extend it).
"""

from __future__ import annotations

from datetime import timedelta

from flask import Flask, Request
from flask.sessions import SecureCookieSessionInterface

SESSION_HOURS = 8
CONSOLE_PREFIX = "/console"


class ConsoleSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie session, opened only under /console/."""

    def open_session(self, app: Flask, request: Request):
        if not is_console(request.path):
            return None  # Flask then uses a NullSession, which refuses to be written
        return super().open_session(app, request)

    def save_session(self, app: Flask, session, response) -> None:
        from flask import request

        if is_console(request.path):
            super().save_session(app, session, response)


def is_console(path: str) -> bool:
    return path == CONSOLE_PREFIX or path.startswith(CONSOLE_PREFIX + "/")


def init_app(app: Flask) -> None:
    settings = app.config["SETTINGS"]
    app.config.update(
        SESSION_COOKIE_NAME="dealguard_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.environment == "production",
        SESSION_COOKIE_PATH=CONSOLE_PREFIX,
        PERMANENT_SESSION_LIFETIME=timedelta(hours=SESSION_HOURS),
        # The expiry counts from the sign-in, not from the last page.
        SESSION_REFRESH_EACH_REQUEST=False,
    )
    app.session_interface = ConsoleSessions()
