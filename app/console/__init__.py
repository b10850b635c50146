"""The console (CONTRACT §11): dealguard in a browser at /console/, for people.

Each page is a thin view over the same service functions the API calls (never an
HTTP call to itself): a decision goes through app.decision_service, the log is read
through app.log.read, the statistics through app.stats. A signed-in user has the
rights of the role of the same name in §6 (app.console.identity).

    sessions.py   cookie sessions, for /console/ only (the API keeps none)
    identity.py   the signed-in user, its role, its Caller for the log
    security.py   CSRF, the Content-Security-Policy and the other headers
    locale.py     Russian or English: the person's choice, else the browser's
    views/        one module per area: sign-in, checks, the log, admin, statistics
"""

from __future__ import annotations

from importlib import import_module

from flask import Blueprint, Flask

blueprint = Blueprint("console", __name__, url_prefix="/console",
                      template_folder="templates", static_folder="static")

VIEW_MODULES = (
    "app.console.views.sign_in",
    "app.console.views.home",
    "app.console.views.check",
    "app.console.views.log",
    "app.console.views.stats",
    "app.console.views.policy",
    "app.console.views.admin",
    "app.console.views.approvals",
    "app.console.views.webhooks",
    "app.console.views.versions",
    "app.console.views.errors",
)
for _name in VIEW_MODULES:
    import_module(_name)


def init_app(app: Flask) -> None:
    """Sessions, sign-in, CSRF, languages and headers; the blueprint is registered apart."""
    from app.console import field_errors, identity, locale, security, sessions

    sessions.init_app(app)
    identity.init_app(app)
    security.init_app(app)
    locale.init_app(app)
    field_errors.init_app(app)
