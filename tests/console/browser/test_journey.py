"""The approval journey in chromium (CONTRACT §10, §11): a manager checks a 12.5 %
wholesale discount and is told the head of sales must approve; the head of sales
approves it in the inbox; the manager checks the same again and is allowed, the page
naming the approval and who gave it. No serious or critical axe-core violation on any
page of the way. In Russian (the company's language) and in English."""

from __future__ import annotations

import re

import pytest

from tests.console.browser.conftest import serious_violations, shot

LINK = ("/console/check/discount?client.id=c-j&client.segment=wholesale&deal.id=d-{language}"
        "&deal.list_amount=100000&discount.percent=12.5")
WORDS = {
    "ru": {"who": "Кто должен согласовать:", "head": "Руководитель отдела продаж",
           "uses": "Используется согласование", "by": "от", "given_by": "от", "mine": "Мои решения",
           "covered": "покрыто: Руководитель отдела продаж · согласование"},
    "en": {"who": "Who must approve:", "head": "Head of sales",
           "uses": "Uses approval", "by": "by", "given_by": "given by", "mine": "Given by me",
           "covered": "covered by: Head of sales · the approval"},
}


def _checked(page) -> str:
    page.click("p.actions button[type=submit]")
    return page.inner_text("section.result")


@pytest.mark.parametrize("language", ["ru", "en"])
def test_approved_by_the_head_of_sales_the_same_check_is_allowed(signed_in, live, language):
    words, link = WORDS[language], LINK.format(language=language)
    manager = signed_in("manager", language=language, target=link, person_id=f"m-{language}")
    assert words["uses"] not in manager.inner_text("main")
    result = _checked(manager)
    assert "require_approval" in result
    assert f"{words['who']} {words['head']}" in result
    decision_id = re.search(r"[0-9a-f-]{36}", manager.inner_text("section.result p.ask")).group()
    shot(manager, f"journey-1-manager-asks-{language}")
    assert serious_violations(manager) == []

    approver = signed_in("approver", language=language, target="/console/inbox",
                         person_id=f"h-{language}", job_role="head_of_sales")
    section = approver.locator("section.approval", has_text=decision_id[:8])
    section.locator("button[value=approve]").click()
    assert decision_id in approver.inner_text("main [role=status]")
    shot(approver, f"journey-2-approver-approved-{language}")
    assert serious_violations(approver) == []
    approver.goto(live + "/console/inbox?status=approved")
    assert approver.inner_text("nav .tabs a[aria-current=page] >> nth=1") == words["mine"]
    assert decision_id[:8] in approver.inner_text("main table")
    shot(approver, f"journey-3-approver-what-i-decided-{language}")
    assert serious_violations(approver) == []

    manager.goto(live + link)
    notice = manager.inner_text("#attached-approvals")
    approval_id = re.search(rf"{words['uses']} ([0-9a-f-]{{36}}) {words['by']} h-{language}",
                            notice).group(1)
    assert words["head"] in notice
    shot(manager, f"journey-4-manager-form-with-approval-{language}")
    assert serious_violations(manager) == []
    result = _checked(manager)
    assert "allow" in result and "require_approval" not in result
    assert f"{words['covered']} {approval_id} {words['given_by']} h-{language}" in result
    shot(manager, f"journey-5-manager-allowed-{language}")
    assert serious_violations(manager) == []
