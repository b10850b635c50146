"""A dealguard served in a thread and Debian's chromium driving it: what the browser tests'
fixtures (conftest.py) and `make screenshots` (screenshots.py) both stand on.

    with serve(settings) as (url, application): ...   # SQLite schema made, a free port
    make_user(application, role, **person) -> (name, one-time password)
    with chromium() as browser: ...                    # Debian's chromium, no sandbox
    new_page(browser, "ru")                            # a page whose browser speaks Russian
    sign_in(page, url, name, password, target)         # the one-time password changed too
"""

from __future__ import annotations

import contextlib
import itertools
import os
import shutil
import threading
from collections.abc import Iterator
from typing import Any

from werkzeug.serving import make_server

from app import create_app
from app import db as app_db
from app.api import database
from app.config import Settings
from app.users import create_user

CHROMIUM = os.environ.get("DEALGUARD_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
PASSWORD = "a-long-new-password-1"
VIEWPORT = {"width": 1280, "height": 900}
LOCALES = {"en": "en-US", "ru": "ru-RU"}
_names = itertools.count(1)


def missing() -> str | None:
    """Why a browser cannot be driven here, or None."""
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (make install)"
    if not os.path.exists(CHROMIUM):
        return f"no chromium at {CHROMIUM}: apt-get install -y chromium"
    return None


@contextlib.contextmanager
def serve(settings: Settings) -> Iterator[tuple[str, Any]]:
    """The app on a free local port in a thread, its schema made: (base URL, app)."""
    from tests.conftest import create_schema

    engine = app_db.make_engine(settings.database_url)
    import app.log.models  # noqa: F401
    import app.users  # noqa: F401

    create_schema(engine)
    engine.dispose()
    application = create_app(settings)
    create_schema(application.extensions["dealguard.db_engine"])
    server = make_server("127.0.0.1", 0, application, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", application
    finally:
        server.shutdown()
        application.extensions["dealguard.db_engine"].dispose()


def make_user(application: Any, role: str, person_id: str | None = None,
              job_role: str | None = None, full_name: str | None = None) -> tuple[str, str]:
    """A new console user (a manager is m-1, an approver a-1 head_of_sales unless told)."""
    if role == "manager":
        person_id = person_id or "m-1"
    elif role == "approver":
        person_id = person_id or "a-1"
        job_role = job_role or "head_of_sales"
    name = f"{role}-{next(_names)}"
    with application.app_context():
        password = create_user(database.session(), name, role, person_id, job_role, full_name)
    return name, password


@contextlib.contextmanager
def chromium() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        # As root (CI), chromium runs only without its sandbox.
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            yield browser
        finally:
            browser.close()


def new_page(browser: Any, language: str = "en", viewport: dict[str, int] = VIEWPORT) -> Any:
    """A page in a context of its own whose browser asks for `language`."""
    context = browser.new_context(locale=LOCALES[language], viewport=viewport)
    return context.new_page()


def sign_in(page: Any, live: str, name: str, password: str, target: str = "/console/") -> None:
    """Sign in through the form, changing the one-time password on the way."""
    page.goto(live + target)
    page.fill("#name", name)
    page.fill("#password", password)
    page.click("form.card button[type=submit]")
    if "/console/password" in page.url:
        page.fill("#current", password)
        page.fill("#new", PASSWORD)
        page.fill("#repeat", PASSWORD)
        page.click("form.card button[type=submit]")
