"""Webhooks in chromium, in English and Russian: a refused registration, a registered one
and its deliveries; no serious or critical axe-core violation."""

from __future__ import annotations

import pytest

from tests.console.browser.conftest import serious_violations, shot


@pytest.mark.parametrize("language", ["en", "ru"])
def test_an_admin_registers_a_webhook_and_opens_its_deliveries(signed_in, live, language):
    page = signed_in("admin", language=language, target="/console/webhooks")
    assert serious_violations(page) == []
    url = f"https://crm.example/hooks/{language}"
    page.fill("#url", url)
    page.fill("#secret", "short")
    page.evaluate("document.querySelectorAll('input[minlength]').forEach("
                  "e => e.removeAttribute('minlength'))")  # what the server says, not the browser
    page.click("form.card button[type=submit]")
    assert page.locator("#secret-err").count() == 1 and page.locator("#events-err").count() == 1
    shot(page, f"admin-webhooks-refused-{language}")
    assert serious_violations(page) == []
    page.fill("#secret", "a-receiver-secret-01")
    page.check("input[value='decision.denied']")
    page.click("form.card button[type=submit]")
    assert url in page.inner_text("main [role=status]")
    shot(page, f"admin-webhooks-{language}")
    assert serious_violations(page) == []
    page.click(f"main table a:text-is('{url}')")
    assert "/console/webhooks/" in page.url
    shot(page, f"admin-webhook-deliveries-{language}")
    assert serious_violations(page) == []
