"""The discount check with the keyboard alone, in chromium: Tab, typing and Enter, no
mouse and no scripted filling. Focus goes from the skip link into the form, field by
field in the order a person reads them, every stop visible and ringed; Enter on the
Check button decides."""

from __future__ import annotations

import pytest

from tests.console.browser.conftest import serious_violations, shot

FOCUSED = """() => {
  const e = document.activeElement, r = e.getBoundingClientRect(), s = getComputedStyle(e);
  return {tag: e.tagName.toLowerCase(), name: e.getAttribute("name"), value: e.value,
          text: (e.innerText || "").trim(), inForm: !!e.closest("main form"),
          seen: r.width > 0 && r.height > 0 && r.right > 0 && r.bottom > 0
                && r.left < innerWidth && r.top < innerHeight,
          ring: s.outlineStyle !== "none" && parseFloat(s.outlineWidth) >= 2};
}"""
TYPED = {"client.id": "c-keys", "deal.id": "d-keys", "deal.list_amount": "100000",
         "discount.percent": "8"}
# The form's stops in reading order: the fields, "More" (a summary), then Check.
ORDER = ["client.id", "client.segment", "client.is_new", "deal.id", "deal.currency",
         "deal.list_amount", "deal.cost_amount", "deal.category", "discount.percent",
         "discount.reason", "summary", "button"]
CHECK = {"en": "Check", "ru": "Проверить"}
SKIP = {"en": "Skip to content", "ru": "К содержанию"}


def _tab(page) -> dict:
    page.keyboard.press("Tab")
    return page.evaluate(FOCUSED)


@pytest.mark.parametrize("language", ["en", "ru"])
def test_a_discount_is_checked_with_the_keyboard_alone(signed_in, live, language):
    page = signed_in("manager", language=language, person_id="m-keys")
    page.goto(live + "/console/check/discount")  # loaded, the focus on the document
    skip = _tab(page)
    assert skip["text"] == SKIP[language] and skip["seen"] and skip["ring"], skip
    page.keyboard.press("Enter")  # to the page's content, past the menu
    stops = []
    for _ in range(len(ORDER) + 5):
        focused = _tab(page)
        assert focused["seen"] and focused["ring"], focused  # no invisible or unringed stop
        assert focused["inForm"], focused
        stops.append(focused["name"] or focused["tag"])
        if focused["name"] in TYPED:
            page.keyboard.type(TYPED[focused["name"]])
        elif focused["name"] == "client.segment":
            page.keyboard.press("ArrowDown")  # — → retail
            page.keyboard.press("ArrowDown")  # → wholesale
            assert page.evaluate(FOCUSED)["value"] == "wholesale"
        if focused["tag"] == "button":
            assert focused["text"] == CHECK[language]
            break
    assert stops == ORDER
    shot(page, f"keyboard-form-filled-{language}")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    result = page.inner_text("section.result")
    assert "allow" in result  # 8 % is within a manager's 10 % for wholesale clients
    shot(page, f"keyboard-result-{language}")
    assert serious_violations(page) == []
