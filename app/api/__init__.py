"""HTTP blueprints: each translates HTTP to a call and back, nothing more."""

from __future__ import annotations

from importlib import import_module

from flask import Flask

# One module per area of CONTRACT §3-§5; each exposes `blueprint`.
BLUEPRINT_MODULES = (
    "app.api.health",
    "app.api.policy",
    "app.api.policy_versions",
    "app.api.decisions",
    "app.api.log",
    "app.api.docs",
    "app.api.activities",
    "app.api.stats",
    "app.api.approvals",
    "app.api.webhooks",
    "app.console",  # the console's pages (CONTRACT §11)
)


def register_blueprints(app: Flask) -> None:
    for name in BLUEPRINT_MODULES:
        app.register_blueprint(import_module(name).blueprint)
