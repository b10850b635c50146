"""dealguard: the Flask application factory."""

from __future__ import annotations

from flask import Flask

from app import db
from app.config import Settings
from app.problems import register_error_handlers


def create_app(settings: Settings | None = None) -> Flask:
    settings = settings or Settings.from_env()
    app = Flask(__name__, instance_relative_config=False)
    app.config["SETTINGS"] = settings
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body
    app.config["SECRET_KEY"] = settings.secret_key
    app.json.sort_keys = False
    app.json.ensure_ascii = False

    db.init_app(app, settings.database_url)
    register_error_handlers(app)

    from app.api import register_blueprints

    register_blueprints(app)
    return app
