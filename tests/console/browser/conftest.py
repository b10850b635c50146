"""Browser tests of the console: a real server in a thread, Debian's chromium, axe-core.

Playwright's own browser download cannot be used here; Debian's `chromium` package is
driven instead (`apt-get install -y chromium`; .ci/run installs it). Without it, or
without the `playwright` package, these tests are skipped, saying why; with
DEALGUARD_REQUIRE_BROWSER=1 (CI) they fail instead, so CI cannot pass them silently.

    live       the base URL of a dealguard served on a free port (SQLite, one thread)
    make_user  make_user(role, **person) -> (name, one-time password), in that server's
               database
    browser    a chromium browser
    page_in    page_in(language) -> a new page whose browser speaks that language
    signed_in  signed_in(role, language="en", **person) -> a page signed in as a new user
    SHOTS      screenshots go to $DEALGUARD_SCREENSHOTS when it is set
"""

from __future__ import annotations

import itertools
import os
import shutil
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

from app import create_app
from app import db as app_db
from app.api import database
from app.config import Settings
from app.users import create_user
from tests.conftest import POLICY, TEST_SECRET, create_schema

CHROMIUM = os.environ.get("DEALGUARD_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
PASSWORD = "a-long-new-password-1"
SHOTS = os.environ.get("DEALGUARD_SCREENSHOTS")
_names = itertools.count(1)


def _missing() -> str | None:
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (make install)"
    if not os.path.exists(CHROMIUM):
        return f"no chromium at {CHROMIUM}: apt-get install -y chromium"
    return None


@pytest.fixture(scope="session")
def _browser_ready() -> None:
    missing = _missing()
    if missing:
        if os.environ.get("DEALGUARD_REQUIRE_BROWSER") == "1":
            pytest.fail(f"DEALGUARD_REQUIRE_BROWSER=1 but {missing}")
        pytest.skip(missing)


@pytest.fixture(scope="module")
def served(tmp_path_factory, _browser_ready) -> Iterator[tuple[str, Any]]:
    path = tmp_path_factory.mktemp("console") / "dealguard.db"
    settings = Settings(database_url=f"sqlite:///{path}", policy_path=POLICY,
                        secret_key=TEST_SECRET, environment="test", log_writer="thread")
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
    yield f"http://127.0.0.1:{server.server_port}", application
    server.shutdown()
    application.extensions["dealguard.db_engine"].dispose()


@pytest.fixture(scope="module")
def live(served) -> str:
    return served[0]


@pytest.fixture(scope="module")
def make_user(served) -> Callable[..., tuple[str, str]]:
    application = served[1]

    def make(role: str, person_id: str | None = None, job_role: str | None = None,
             full_name: str | None = None) -> tuple[str, str]:
        if role == "manager":
            person_id = person_id or "m-1"
        elif role == "approver":
            person_id = person_id or "a-1"
            job_role = job_role or "head_of_sales"
        name = f"{role}-{next(_names)}"
        with application.app_context():
            password = create_user(database.session(), name, role, person_id, job_role,
                                   full_name)
        return name, password

    return make


@pytest.fixture(scope="module")
def browser(_browser_ready):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        # As root (CI), chromium runs only without its sandbox.
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield chromium
        chromium.close()


@pytest.fixture
def page_in(browser):
    contexts = []

    def make(language: str = "en"):
        locale = {"en": "en-US", "ru": "ru-RU"}[language]
        context = browser.new_context(locale=locale, viewport={"width": 1280, "height": 900})
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def sign_in(page, live: str, name: str, password: str, target: str = "/console/") -> None:
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


@pytest.fixture
def signed_in(live, make_user, page_in):
    def make(role: str, language: str = "en", target: str = "/console/", **person: Any):
        name, password = make_user(role, **person)
        page = page_in(language)
        sign_in(page, live, name, password, target)
        return page

    return make


def shot(page, name: str) -> None:
    """A full-page screenshot for a person to look at, when DEALGUARD_SCREENSHOTS is set."""
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


def serious_violations(page) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations on the page, with where they are."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [{"id": v["id"], "impact": v["impact"],
             "nodes": [n["target"] for n in v["nodes"]][:5]}
            for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
