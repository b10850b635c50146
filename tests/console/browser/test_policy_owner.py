"""The policy owner's journey in chromium, in English and Russian (CONTRACT §11, §12):
a broken candidate is refused with its lines; a candidate that raises the manager's
wholesale limit from 10 % to 15 % shows its diff, its `policy test` results and its
impact on a manager's 12 % wholesale decision; published, it allows that 12 %.
No page has a serious or critical axe-core violation.

Its own module, so its own server: the other browser tests leave versions and a shadow
run behind. Four eyes stays off (the default).
"""

from __future__ import annotations

import re

import pytest

from app import version_service
from app.versions import store
from tests.console.browser.conftest import serious_violations, shot
from tests.console.browser.test_pages import LINK  # a manager's 12 % wholesale discount

LOOSER = ("wholesale:   [10, 15, 20]", "wholesale:   [15, 15, 20]")
WORDS = {
    "en": {"line": "line", "failed": "failed: 5.", "change": "Would change",
           "before_after": "Needs approval\tAllowed", "published": "is now the active policy"},
    "ru": {"line": "строка", "failed": "не прошло: 5.", "change": "Изменились бы",
           "before_after": "Нужно согласование\tРазрешено",
           "published": "теперь активная политика"},
}


@pytest.fixture
def shipped_policy_active(served) -> None:
    """Each language's journey starts from the shipped policy (version 1): the one
    before published its candidate."""
    application = served[1]
    engine = application.extensions["dealguard.db_engine"]
    with application.app_context():
        if store.pointers(engine).active[0] != 1:
            version_service.publish(application.extensions["dealguard.policy"], engine, 1,
                                    "test", four_eyes=False)


def _checked_outcome(page) -> str:
    page.click("p.actions button[type=submit]")
    return page.inner_text("section.result h2 code")


@pytest.mark.usefixtures("shipped_policy_active")
@pytest.mark.parametrize("language", ["en", "ru"])
def test_the_policy_owner_reviews_and_publishes_a_candidate(signed_in, live, tmp_path,
                                                            language):
    from tests.conftest import POLICY

    words = WORDS[language]
    shipped = open(POLICY, encoding="utf-8").read()
    manager = signed_in("manager", language=language, target=LINK)
    assert _checked_outcome(manager) == "require_approval"

    owner = signed_in("admin", language=language, target="/console/policy/versions")
    broken = tmp_path / "broken.yaml"
    broken.write_text(shipped.replace("margin_floor: 10 ", "margin_floor: ten ", 1),
                      encoding="utf-8")
    line = next(n for n, text in enumerate(broken.read_text().splitlines(), 1)
                if "margin_floor: ten" in text)
    owner.set_input_files("#file", str(broken))
    owner.click("form.card button[type=submit]")
    alert = owner.inner_text("main div.error[role=alert]")
    assert f"{words['line']} {line}:" in alert
    shot(owner, f"owner-broken-candidate-{language}")
    assert serious_violations(owner) == []

    candidate = tmp_path / "candidate.yaml"
    candidate.write_text(shipped.replace(*LOOSER), encoding="utf-8")
    owner.set_input_files("#file", str(candidate))
    owner.fill("#comment", "wholesale managers up to 15 %")
    owner.click("form.card button[type=submit]")
    assert re.search(r"/console/policy/versions/\d+$", owner.url)
    main = owner.inner_text("main")
    assert "discount_limits" in main  # the diff
    assert words["failed"] in owner.inner_text("#tests-summary")
    assert "wholesale 10.01 % needs head of sales" in owner.inner_text("#tests-failed")
    changed = owner.inner_text("#impact ~ dl.pairs")
    assert words["change"] in changed
    assert words["before_after"] in main  # the manager's 12 % among the examples
    shot(owner, f"owner-candidate-review-{language}")
    assert serious_violations(owner) == []

    owner.click("main .actions button:not(.secondary)")  # publish
    assert words["published"] in owner.inner_text("main [role=status]")
    shot(owner, f"owner-published-{language}")
    assert serious_violations(owner) == []

    manager.goto(live + LINK)
    assert _checked_outcome(manager) == "allow"
