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

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from app.config import Settings
from tests.conftest import POLICY, TEST_SECRET
from tests.console.browser import live as serving
from tests.console.browser.live import sign_in  # noqa: F401 - the tests import it from here

SHOTS = os.environ.get("DEALGUARD_SCREENSHOTS")


@pytest.fixture(scope="session")
def _browser_ready() -> None:
    missing = serving.missing()
    if missing:
        if os.environ.get("DEALGUARD_REQUIRE_BROWSER") == "1":
            pytest.fail(f"DEALGUARD_REQUIRE_BROWSER=1 but {missing}")
        pytest.skip(missing)


@pytest.fixture(scope="module")
def served(tmp_path_factory, _browser_ready) -> Iterator[tuple[str, Any]]:
    path = tmp_path_factory.mktemp("console") / "dealguard.db"
    settings = Settings(database_url=f"sqlite:///{path}", policy_path=POLICY,
                        secret_key=TEST_SECRET, environment="test", log_writer="thread")
    with serving.serve(settings) as found:
        yield found


@pytest.fixture(scope="module")
def live(served) -> str:
    return served[0]


@pytest.fixture(scope="module")
def make_user(served) -> Callable[..., tuple[str, str]]:
    def make(role: str, **person: Any) -> tuple[str, str]:
        return serving.make_user(served[1], role, **person)

    return make


@pytest.fixture(scope="module")
def browser(_browser_ready):
    with serving.chromium() as chromium:
        yield chromium


@pytest.fixture
def page_in(browser):
    pages = []

    def make(language: str = "en"):
        pages.append(serving.new_page(browser, language))
        return pages[-1]

    yield make
    for page in pages:
        page.context.close()


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
