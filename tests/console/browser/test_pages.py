"""Every console page in chromium, in English and Russian: no serious or critical axe-core
violation, and the flows of CONTRACT §11 as a person goes through them."""

from __future__ import annotations

import pytest

from tests.console.browser.conftest import serious_violations, shot

LINK = ("/console/check/discount?client.id=c-1&client.segment=wholesale&deal.id=d-1"
        "&deal.list_amount=100000&discount.percent=12")


@pytest.mark.parametrize("language", ["en", "ru"])
def test_a_manager_checks_a_prefilled_discount(live, make_user, page_in, language):
    from tests.console.browser.conftest import sign_in

    name, password = make_user("manager")
    page = page_in(language)
    page.goto(live + LINK)
    assert "/console/sign-in" in page.url
    shot(page, f"sign-in-{language}")
    assert serious_violations(page) == []
    sign_in(page, live, name, password, target=LINK)
    assert "/console/check/discount" in page.url
    assert page.input_value("[name='discount.percent']") == "12"
    assert page.input_value("[name='client.segment']") == "wholesale"
    shot(page, f"check-discount-form-{language}")
    assert serious_violations(page) == []
    page.click("p.actions button[type=submit]")
    result = page.inner_text("section.result")
    assert "require_approval" in result
    if language == "ru":
        assert "Скидка 12% превышает лимит менеджера 10% для клиентов сегмента wholesale." in result
    else:
        assert "Discount 12% exceeds the manager's 10% limit for wholesale clients." in result
    shot(page, f"check-discount-result-{language}")
    assert serious_violations(page) == []
