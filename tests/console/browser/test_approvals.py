"""The approvals inbox in chromium, in English and Russian: a decline refused without its
comment, then given; no serious or critical axe-core violation on the way."""

from __future__ import annotations

import re

import pytest

from tests.console.browser.conftest import serious_violations, shot
from tests.console.browser.test_pages import LINK


@pytest.mark.parametrize("language", ["en", "ru"])
def test_an_approver_declines_with_a_comment(signed_in, live, language):
    manager = signed_in("manager", language=language, target=LINK)
    manager.click("p.actions button[type=submit]")  # 12 % wholesale: require_approval
    decision_id = re.search(r"[0-9a-f-]{36}", manager.inner_text("section.result p.ask")).group()
    manager.goto(live + "/console/inbox")
    assert decision_id[:8] in manager.inner_text("main")
    shot(manager, f"manager-inbox-{language}")
    assert serious_violations(manager) == []
    page = signed_in("approver", language=language, target="/console/inbox")
    section = page.locator("section.approval", has_text=decision_id[:8])
    assert "discount.percent" in section.inner_text()
    shot(page, f"approver-inbox-{language}")
    assert serious_violations(page) == []
    section.locator("button[value=decline]").click()
    expected = {"en": "A decline needs a comment", "ru": "Для отказа нужен комментарий"}
    assert expected[language] in page.inner_text("main .error")
    shot(page, f"approver-inbox-refused-{language}")
    assert serious_violations(page) == []
    section = page.locator("section.approval", has_text=decision_id[:8])
    section.locator("textarea").fill("too deep for this volume")
    section.locator("button[value=decline]").click()
    assert decision_id in page.inner_text("main [role=status]")
    page.goto(live + "/console/inbox?status=declined")
    assert "too deep for this volume" in page.inner_text("main table")
    shot(page, f"approver-declined-{language}")
    assert serious_violations(page) == []
    register = signed_in("compliance", language=language,
                         target="/console/approvals?status=declined")
    assert decision_id[:8] in register.inner_text("main table")
    shot(register, f"compliance-approvals-register-{language}")
    assert serious_violations(register) == []

