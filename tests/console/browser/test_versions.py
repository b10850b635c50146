"""Policy versions in chromium, in English and Russian: a candidate uploaded as a draft,
its diff, a shadow run and its report; no serious or critical axe-core violation."""

from __future__ import annotations

import pytest

from tests.console.browser.conftest import serious_violations, shot
from tests.console.browser.test_pages import LINK


@pytest.mark.parametrize("language", ["en", "ru"])
def test_an_admin_proposes_and_shadows_a_version(signed_in, live, tmp_path, language):
    from tests.conftest import POLICY

    text = open(POLICY, encoding="utf-8").read()
    candidate = tmp_path / "candidate.yaml"
    candidate.write_text(text.replace("wholesale:   [10, 15, 20]", "wholesale:   [15, 15, 20]"),
                         encoding="utf-8")
    page = signed_in("admin", language=language, target="/console/policy/versions")
    assert serious_violations(page) == []
    page.set_input_files("#file", str(candidate))
    page.fill("#comment", "wholesale managers up to 15 %")
    page.click("form.card button[type=submit]")
    assert page.locator("main [role=status]").count() == 1  # stored: its own page opens
    assert "discount_limits" in page.inner_text("main")
    shot(page, f"admin-version-diff-{language}")
    assert serious_violations(page) == []
    page.click("main .actions button.secondary")  # run it in shadow
    shot(page, f"admin-versions-{language}")
    assert serious_violations(page) == []
    manager = signed_in("manager", language=language, target=LINK)
    manager.click("p.actions button[type=submit]")
    report = signed_in("compliance", language=language, target="/console/policy/shadow")
    assert ("Would change" if language == "en" else "Изменились бы") in report.inner_text("main")
    shot(report, f"compliance-shadow-report-{language}")
    assert serious_violations(report) == []
