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


def _pages(role: str) -> list[str]:
    return {
        "manager": ["/console/", "/console/check", "/console/check/shipment",
                    "/console/check/claim", "/console/check/disclosure", "/console/check/offer",
                    "/console/decisions/mine", "/console/week", "/console/policy",
                    "/console/password"],
        "compliance": ["/console/log", "/console/log?since=yesterday", "/console/impact",
                       "/console/approvals", "/console/approvals?status=declined",
                       "/console/policy/versions", "/console/policy/versions/1",
                       "/console/policy/shadow"],
        "admin": ["/console/keys", "/console/users", "/console/check/discount",
                  "/console/webhooks", "/console/policy/versions",
                  "/console/policy/versions/1", "/console/policy/shadow"],
        "approver": ["/console/team", "/console/decisions/mine", "/console/inbox",
                     "/console/inbox?status=approved"],
    }[role]


@pytest.mark.parametrize("language", ["en", "ru"])
@pytest.mark.parametrize("role", ["manager", "compliance", "admin", "approver"])
def test_every_page_has_no_serious_accessibility_violation(signed_in, live, role, language):
    page = signed_in(role, language=language)
    for path in _pages(role):
        page.goto(live + path)
        assert page.title(), path
        name = path.strip("/").replace("/", "-").replace("?", "-").replace("=", "-") or "home"
        shot(page, f"{role}-{name}-{language}")
        assert serious_violations(page) == [], path


def test_compliance_filters_the_log_verifies_and_exports(signed_in, live, make_user):
    manager = signed_in("manager", target=LINK)
    manager.click("p.actions button[type=submit]")
    manager.fill("[name='discount.percent']", "40")
    manager.click("p.actions button[type=submit]")
    assert "deny" in manager.inner_text("section.result")
    page = signed_in("compliance")
    page.goto(live + "/console/log")
    page.select_option("#f-outcome", "deny")
    page.click("form.card button[type=submit]")
    assert "outcome=deny" in page.url
    rows = page.locator("main table tbody tr")
    assert rows.count() == 1
    shot(page, "compliance-log-filtered-en")
    assert serious_violations(page) == []
    with page.expect_download() as download:
        page.click("text=CSV")
    exported = download.value.path().read_text(encoding="utf-8")
    assert exported.count("\n") == 2 and ",deny," in exported
    page.click("text=Verify the chain")
    assert "Intact" in page.inner_text("main")
    assert serious_violations(page) == []
    page.goto(live + "/console/log?outcome=deny")
    page.click("main table tbody tr a")
    assert "console:manager-" in page.inner_text("main")  # asked in the console, by whom
    shot(page, "compliance-record-en")
    assert serious_violations(page) == []


def test_a_post_without_its_csrf_token_is_refused(signed_in, live):
    page = signed_in("manager", target=LINK)
    page.evaluate("document.querySelector('main form input[name=csrf_token]').remove()")
    page.click("p.actions button[type=submit]")
    assert "This form was not sent from this page of dealguard" in page.inner_text("main")
    assert "section.result" not in page.content()


def test_the_sixth_wrong_password_waits(live, make_user, page_in):
    name, password = make_user("manager")
    page = page_in("ru")
    for _ in range(5):
        page.goto(live + "/console/sign-in")
        page.fill("#name", name)
        page.fill("#password", "wrong")
        page.click("form.card button[type=submit]")
        assert "Неверное имя или пароль." in page.inner_text("main")
    page.fill("#name", name)
    page.fill("#password", password)
    page.click("form.card button[type=submit]")
    assert "Попробуйте через 15 мин." in page.inner_text("main")
    shot(page, "sign-in-wait-ru")
    assert serious_violations(page) == []


@pytest.mark.parametrize("language", ["en", "ru"])
def test_compliance_uploads_a_candidate_and_sees_its_impact(signed_in, live, tmp_path,
                                                            language):
    from tests.conftest import POLICY

    manager = signed_in("manager", target=LINK)
    manager.click("p.actions button[type=submit]")  # 12 % wholesale: require_approval
    text = open(POLICY, encoding="utf-8").read()
    candidate = tmp_path / "candidate.yaml"
    candidate.write_text(text.replace("wholesale:   [10, 15, 20]", "wholesale:   [15, 15, 20]"),
                         encoding="utf-8")
    page = signed_in("compliance", language=language)
    page.goto(live + "/console/impact")
    page.set_input_files("#file", str(candidate))
    page.click("form.card button[type=submit]")
    result = page.inner_text("main dl")
    assert ("Would change" if language == "en" else "Изменились бы") in result
    shot(page, f"compliance-impact-result-{language}")
    assert serious_violations(page) == []
    broken = tmp_path / "broken.yaml"
    broken.write_text(text.replace("margin_floor: 10 ", "margin_floor: ten ", 1),
                      encoding="utf-8")
    page.set_input_files("#file", str(broken))
    page.click("form.card button[type=submit]")
    assert "margin_floor" in page.inner_text("main .error")
    shot(page, f"compliance-impact-errors-{language}")
    assert serious_violations(page) == []
