"""Policy versions in the console (CONTRACT §12): the history, a candidate stored as a
draft, its diff against the active version, shadow start and stop and its report,
publish and roll back; the same functions and the same refusals as the API.

The candidate here raises a manager's limit for wholesale clients from 10 % to 15 %,
so a 12.5 % discount that asks for approval now would be allowed under it.
"""

from __future__ import annotations

import dataclasses
import re

import pytest

pytestmark = pytest.mark.usefixtures("backend")

LOOSER = ("wholesale:   [10, 15, 20]", "wholesale:   [15, 15, 20]")


@pytest.fixture
def looser(candidate_text) -> str:
    text = candidate_text.replace(*LOOSER)
    assert text != candidate_text
    return text


def _propose(console, text: str, comment: str = "wholesale managers up to 15 %"):
    return console.post_form("/console/policy/versions", {"text": text, "comment": comment})


def _post(console, path: str):
    return console.post_form(path, {}, token_from="/console/policy/versions")


def test_a_candidate_is_stored_as_a_draft_and_its_diff_reads_as_cells(sign_in, looser,
                                                                      client, make_key):
    console = sign_in("admin")
    stored = _propose(console, looser)
    assert stored.status_code == 302
    page = console.get("/console/policy/versions").get_data(as_text=True)
    assert "Version 2 is stored as a draft." in page
    assert f"console:{console.name}" in page and "wholesale managers up to 15 %" in page
    [second, first] = client.get("/v1/policy/versions",
                                 headers=make_key("admin")).get_json()["items"]
    assert (second["status"], first["status"]) == ("draft", "active")
    diff = console.get("/console/policy/versions/2").get_data(as_text=True)
    assert re.search(r"<td><code>discount_limits</code></td><td>wholesale</td><td>Manager</td>"
                     r"<td class=\"num\">10</td><td class=\"num\">15</td>", diff), diff
    same = console.get("/console/policy/versions/1").get_data(as_text=True)
    assert "Nothing: it decides as the active version does." in same
    assert console.get("/console/policy/versions/99").status_code == 404


def test_an_invalid_candidate_shows_its_lines_and_stores_nothing(sign_in, candidate_text,
                                                                 client, make_key):
    console = sign_in("admin")
    broken = candidate_text.replace("margin_floor: 10 ", "margin_floor: ten ", 1)
    refused = _propose(console, broken)
    assert refused.status_code == 422
    line = next(n for n, text in enumerate(broken.splitlines(), 1) if "margin_floor: ten" in text)
    assert f"line {line}:" in refused.get_data(as_text=True)
    nothing = _propose(console, "", "")
    assert nothing.status_code == 422
    assert "Upload a rules.yaml, or paste its text." in nothing.get_data(as_text=True)
    assert len(client.get("/v1/policy/versions",
                          headers=make_key("admin")).get_json()["items"]) == 1


def test_a_shadow_run_reports_what_would_change_then_stops(sign_in, looser, decide, app):
    admin = sign_in("admin")
    _propose(admin, looser)
    assert _post(admin, "/console/policy/versions/2/shadow").status_code == 302
    assert "In shadow" in admin.get("/console/policy/versions").get_data(as_text=True)
    answer = decide("discount", discount={"percent": 12.5})
    assert answer["outcome"] == "require_approval"  # the answer is the active policy's
    report = sign_in("compliance").get("/console/policy/shadow").get_data(as_text=True)
    assert re.search(r"Decisions evaluated</dt><dd>1</dd>", report)
    assert re.search(r"Would change</dt><dd>1</dd>", report)
    assert "<td>Needs approval</td><td>Allowed</td>" in report
    assert answer["decision_id"][:8] in report
    admin = sign_in("admin")  # the one test client: signed in as another admin now
    assert _post(admin, "/console/policy/shadow/stop").status_code == 302
    stopped = admin.get("/console/policy/shadow").get_data(as_text=True)
    assert "No version is running in shadow." in stopped
    kept = admin.get("/console/policy/shadow?version_id=2").get_data(as_text=True)
    assert re.search(r"Would change</dt><dd>1</dd>", kept)


def test_publish_then_roll_back(sign_in, looser, decide, app):
    console = sign_in("admin")
    _propose(console, looser)
    assert _post(console, "/console/policy/versions/2/publish").status_code == 302
    assert decide("discount", discount={"percent": 12.5})["outcome"] == "allow"
    page = console.get("/console/policy/versions").get_data(as_text=True)
    assert "Version 2 is now the active policy." in page and "Roll back to #1" in page
    assert _post(console, "/console/policy/versions/2/shadow").status_code == 409
    assert _post(console, "/console/policy/versions/1/publish").status_code == 302
    assert decide("discount", discount={"percent": 12.5})["outcome"] == "require_approval"


def test_four_eyes_keeps_the_author_from_publishing(sign_in, looser, app, decide):
    app.config["SETTINGS"] = dataclasses.replace(app.config["SETTINGS"], four_eyes=True)
    author = sign_in("admin")
    _propose(author, looser)
    refused = _post(author, "/console/policy/versions/2/publish")
    assert refused.status_code == 403
    assert "Four eyes" in refused.get_data(as_text=True)
    assert decide("discount", discount={"percent": 12.5})["outcome"] == "require_approval"
    other = sign_in("admin")
    assert _post(other, "/console/policy/versions/2/publish").status_code == 302
    assert decide("discount", discount={"percent": 12.5})["outcome"] == "allow"


def test_compliance_reads_versions_and_shadow_but_changes_nothing(sign_in, looser):
    admin = sign_in("admin")
    _propose(admin, looser)
    compliance = sign_in("compliance")
    page = compliance.get("/console/policy/versions").get_data(as_text=True)
    assert "#2" in page and "Publish #2" not in page and "Store as a draft" not in page
    assert compliance.get("/console/policy/versions/2").status_code == 200
    assert _propose(compliance, looser).status_code == 403
    assert _post(compliance, "/console/policy/versions/2/publish").status_code == 403
    assert _post(compliance, "/console/policy/versions/2/shadow").status_code == 403
    assert sign_in("manager").get("/console/policy/versions").status_code == 403
    assert sign_in("manager").get("/console/policy/shadow").status_code == 403


def test_the_menu_marks_only_the_versions_page_as_current(sign_in):
    page = sign_in("admin").get("/console/policy/versions").get_data(as_text=True)
    assert re.findall(r'href="([^"]+)" aria-current="page"', page) == ["/console/policy/versions"]
