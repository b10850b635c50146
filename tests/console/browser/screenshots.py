"""`make screenshots`: the console in Russian, as README shows it, from a real browser.

    .venv/bin/python -m tests.console.browser.screenshots [DIR]   # default docs/screenshots

Serves a demo dealguard (SQLite in a temporary directory) with a few decisions made by
the CRM, then in Debian's chromium (as the browser tests drive it, tests/console/browser/
live.py) signs in as a manager, an approver and a compliance officer and writes
check-discount.png (a discount check's result), inbox.png (the head of sales' inbox)
and log.png (the decision log) to DIR. Each is the 1280x800 viewport, but the log
is its whole (short) page.
"""

from __future__ import annotations

import logging
import sys
import tempfile
from pathlib import Path
from typing import Any

from app.api import database
from app.auth import create_key
from app.config import Settings
from tests.bodies import make_body
from tests.conftest import POLICY, TEST_SECRET
from tests.console.browser import live

VIEWPORT = {"width": 1280, "height": 800}
CHECK = ("/console/check/discount?client.id=c-2041&client.segment=wholesale&deal.id=d-7781"
         "&deal.list_amount=480000&deal.category=standard&discount.percent=12.5")


def demo_decisions(application: Any) -> None:
    """What a CRM asked in a morning: approvals needed, refusals, and plain allows."""
    with application.app_context():
        key = create_key(database.session(), "crm", "demo-crm")
    client = application.test_client()
    asked = [
        make_body("discount", actor="m-17", client="c-1187",
                  deal={"id": "d-7702", "currency": "RUB", "list_amount": 250000,
                        "category": "standard"}, discount={"percent": 14}),
        make_body("discount", actor="m-23", client="c-0954",
                  deal={"id": "d-7731", "currency": "RUB", "list_amount": 1200000,
                        "category": "standard"}, discount={"percent": 18}),
        make_body("disclosure", actor="m-17", client={"id": "c-1187", "owner_id": "m-09"}),
        make_body("discount", actor="m-31", client="c-2210",
                  deal={"id": "d-7745", "currency": "RUB", "list_amount": 90000,
                        "category": "standard"}, discount={"percent": 40}),
        make_body("shipment", actor="m-23", client="c-0954"),
        make_body("claim", actor="m-31", client="c-2210"),
        make_body("offer", actor="m-17", client={"id": "c-1187", "segment": "retail",
                                                 "needs": ["pumps"]}),
    ]
    for body in asked:
        body.pop("as_of", None)  # today: the inbox shows what still awaits approval
        answer = client.post("/v1/decisions", json=body,
                             headers={"Authorization": f"Bearer {key}"})
        assert answer.status_code == 200, answer.get_data(as_text=True)


def take(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    with tempfile.TemporaryDirectory(prefix="dealguard-shots-") as scratch:
        settings = Settings(database_url=f"sqlite:///{scratch}/demo.db", policy_path=POLICY,
                            secret_key=TEST_SECRET, environment="test", log_writer="thread")
        with live.serve(settings) as (url, application), live.chromium() as browser:
            demo_decisions(application)

            def person(role: str, target: str, **who: Any) -> Any:
                page = live.new_page(browser, "ru", VIEWPORT)
                live.sign_in(page, url, *live.make_user(application, role, **who), target)
                return page

            written = []
            manager = person("manager", CHECK, person_id="m-17", full_name="Ольга Смирнова")
            manager.click("p.actions button[type=submit]")
            manager.locator("section.result").scroll_into_view_if_needed()
            written.append(_shot(manager, folder / "check-discount.png"))
            approver = person("approver", "/console/inbox", person_id="hs-1",
                              job_role="head_of_sales", full_name="Павел Орлов")
            written.append(_shot(approver, folder / "inbox.png"))
            compliance = person("compliance", "/console/log", full_name="Анна Волкова")
            written.append(_shot(compliance, folder / "log.png", full_page=True))
    return written


def _shot(page: Any, path: Path, full_page: bool = False) -> Path:
    page.screenshot(path=str(path), full_page=full_page)
    page.context.close()
    return path


def main(argv: list[str]) -> int:
    missing = live.missing()
    if missing:
        print(f"screenshots: {missing}", file=sys.stderr)
        return 1
    for path in take(Path(argv[0] if argv else "docs/screenshots")):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
