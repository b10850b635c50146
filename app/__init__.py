"""dealguard: the Flask application factory."""

from __future__ import annotations

import os

from flask import Flask

from app.api import database
from app.api.drain import DrainBody
from app.config import DEVELOPMENT_SECRET, Settings
from app.log.write.group_commit import GroupCommitter
from app.log.write.writer_process import WriterProcess
from app.policy_holder import PolicyHolder
from app.problems import register_error_handlers
from app.webhooks.subscriptions import Subscriptions

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def create_app(settings: Settings | None = None) -> Flask:
    settings = settings or Settings.from_env()
    app = Flask(__name__, instance_relative_config=False)
    app.config["SETTINGS"] = settings
    # Werkzeug answers 413 as soon as a body over the limit is read (CONTRACT §4).
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body
    app.config["SECRET_KEY"] = settings.secret_key
    app.json.sort_keys = False
    app.json.ensure_ascii = False

    if settings.secret_key == DEVELOPMENT_SECRET:
        # Masked values are only as private as this secret (CONTRACT §7).
        app.logger.warning("DEALGUARD_SECRET_KEY is not set: using the development secret")
    database.init_app(app, settings.database_url, settings.sqlite_synchronous)
    # One per process: the decisions its threads make at the same moment share a commit.
    writer = _writer_process(settings)
    if writer is not None:
        app.extensions["dealguard.writer_process"] = writer
    app.extensions["dealguard.committer"] = GroupCommitter(
        db_engine(app), write=writer.write if writer is not None else None,
        gather_seconds=settings.log_gather_ms / 1000,
        probe=writer.probe if writer is not None else None,
        # Only a writer process can be stopped when it hangs (writer_process.py).
        write_timeout=settings.log_write_timeout if writer is not None else None)
    # Which webhook events a decision writes to the outbox (app/webhooks/subscriptions.py).
    app.extensions["dealguard.subscriptions"] = Subscriptions(db_engine(app))
    register_error_handlers(app)
    # Only the console keeps sessions (its cookie, under /console/); the API keeps none.
    from app import console

    console.init_app(app)

    holder = PolicyHolder(resolve_policy_path(settings.policy_path), db_engine(app))
    holder.start()
    app.extensions["dealguard.policy"] = holder

    from app.api import register_blueprints

    register_blueprints(app)
    # Outermost: an answer given before the body was read must not leave it on a
    # keep-alive connection (app/api/drain.py).
    app.wsgi_app = DrainBody(app.wsgi_app, settings.max_body)
    return app


def _writer_process(settings: Settings) -> WriterProcess | None:
    """The log writer process of this worker, or None to write in the worker itself."""
    url = settings.database_url
    if settings.log_writer != "process" or ":memory:" in url or url in ("sqlite://", "sqlite:"):
        return None  # an in-memory database cannot be shared with another process
    return WriterProcess(url, settings.sqlite_synchronous, timeout=settings.log_write_timeout)


def db_engine(app: Flask):
    return app.extensions["dealguard.db_engine"]


def resolve_policy_path(path: str) -> str:
    """A relative policy path is read from the working directory, else from the checkout."""
    if os.path.isabs(path) or os.path.exists(path):
        return path
    candidate = os.path.join(REPO_ROOT, path)
    return candidate if os.path.exists(candidate) else path
