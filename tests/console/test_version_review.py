"""The policy owner's review of a candidate (CONTRACT §11): on the page of a version that
is not active, its `policy test` results on the shipped case files and its impact on
the last 30 days, beside its diff; an upload lands there. Bad uploads are refused with
a clear message and store nothing.

The candidate raises a manager's limit for wholesale clients from 10 % to 15 %: the
shipped pricing cases that expect the head of sales between 10 % and 15 % fail under
it, and a logged 12.5 % discount that asked for approval would now be allowed.
"""

from __future__ import annotations

import dataclasses
import io
import re

import pytest
from sqlalchemy.exc import OperationalError

from app import impact_service, review_service
from app.engine import PolicyError, PolicyProblem

pytestmark = pytest.mark.usefixtures("backend")

LOOSER = ("wholesale:   [10, 15, 20]", "wholesale:   [15, 15, 20]")
VERSIONS = "/console/policy/versions"


@pytest.fixture
def looser(candidate_text) -> str:
    text = candidate_text.replace(*LOOSER)
    assert text != candidate_text
    return text


@pytest.fixture
def stored_count(client, make_key):
    def count() -> int:
        return len(client.get("/v1/policy/versions", headers=make_key("admin"))
                   .get_json()["items"])

    return count


def _upload(console, data: bytes, name: str = "rules.yaml", **kw):
    return console.post_form(VERSIONS, {"file": (io.BytesIO(data), name), "comment": ""},
                             content_type="multipart/form-data", **kw)


def test_an_upload_lands_on_its_review_with_tests_impact_and_diff(sign_in, looser, decide):
    asked = decide("discount", discount={"percent": 12.5})
    assert asked["outcome"] == "require_approval"
    console = sign_in("admin")
    stored = _upload(console, looser.encode("utf-8"))
    assert stored.status_code == 302
    assert stored.headers["Location"].endswith(f"{VERSIONS}/2")
    page = console.get(f"{VERSIONS}/2").get_data(as_text=True)
    assert "Version 2 is stored as a draft." in page
    # the diff, as before
    assert "<td><code>discount_limits</code></td><td>wholesale</td>" in page
    # the tests: the five pricing cases that expect the head of sales at 10-15 % fail
    assert "Passed: 103, failed: 5." in page
    failed = page[page.index('id="tests-failed"'):]
    assert "wholesale 10.01 % needs head of sales" in failed
    assert "outcome: expected require_approval, got allow" in failed
    # the impact: the 12.5 % decision would be allowed, and the window and limit are said
    assert re.search(r"Decisions replayed</dt><dd>1</dd>", page)
    assert re.search(r"Would change</dt><dd>1</dd>", page)
    assert "<td>Needs approval</td><td>Allowed</td>" in page
    assert asked["decision_id"][:8] in page
    assert "At most the newest 1,000 are replayed" in page
    assert "The limit was reached" not in page
    summary = page[page.index('id="review-summary"'):page.index('id="tests"')]
    assert "Passed: 103, failed: 5." in summary
    assert "1 of 1 replayed decisions would change." in summary


def test_a_candidate_that_passes_every_case_says_so(sign_in, candidate_text):
    console = sign_in("admin")
    same = candidate_text.replace("name: deal-compliance", "name: deal-compliance-copy", 1)
    assert _upload(console, same.encode("utf-8")).status_code == 302
    page = console.get(f"{VERSIONS}/2").get_data(as_text=True)
    assert "Passed: 108, failed: 0." in page and 'id="tests-failed"' not in page
    assert re.search(r"Would change</dt><dd>0</dd>", page)


def test_the_active_version_is_not_reviewed(sign_in):
    page = sign_in("admin").get(f"{VERSIONS}/1").get_data(as_text=True)
    assert "Policy tests" not in page and "Impact on the last" not in page


def test_the_impact_limit_is_said_when_reached(sign_in, looser, decide, monkeypatch):
    for _ in range(2):
        decide("discount", discount={"percent": 12.5})
    monkeypatch.setattr(impact_service, "DEFAULT_LIMIT", 1)
    console = sign_in("admin")
    _upload(console, looser.encode("utf-8"))
    page = console.get(f"{VERSIONS}/2").get_data(as_text=True)
    assert re.search(r"Decisions replayed</dt><dd>1</dd>", page)
    assert "At most the newest 1 are replayed" in page
    assert "The limit was reached: older decisions of the window were not replayed." in page


def test_no_case_files_beside_the_policy_is_said(sign_in, looser, app, tmp_path):
    console = sign_in("admin")
    _upload(console, looser.encode("utf-8"))
    alone = tmp_path / "elsewhere" / "rules.yaml"
    app.config["SETTINGS"] = dataclasses.replace(app.config["SETTINGS"],
                                                 policy_path=str(alone))
    page = console.get(f"{VERSIONS}/2").get_data(as_text=True)
    assert f"There are no case files in {alone.parent / 'tests'}." in page
    assert "Impact on the last 30 days" in page


def test_an_unreadable_log_leaves_the_tests_and_says_why(sign_in, looser, monkeypatch):
    console = sign_in("admin")
    _upload(console, looser.encode("utf-8"))

    def away(*_args, **_kw):
        raise OperationalError("SELECT", {}, Exception("gone"))

    monkeypatch.setattr(review_service, "recent_impact", away)
    answer = console.get(f"{VERSIONS}/2")
    assert answer.status_code == 200
    page = answer.get_data(as_text=True)
    assert "Passed: 103, failed: 5." in page
    assert "The decision log cannot be read; try again." in page


def test_a_version_this_process_cannot_compile_shows_why(sign_in, looser, monkeypatch):
    console = sign_in("admin")
    _upload(console, looser.encode("utf-8"))

    def broken(_text, filename):
        raise PolicyError([PolicyProblem(7, "rules.0.when", "cannot be compiled")], filename)

    import app.engine

    monkeypatch.setattr(app.engine, "load_policy_text", broken)
    answer = console.get(f"{VERSIONS}/2")
    assert answer.status_code == 200
    page = answer.get_data(as_text=True)
    assert "This version cannot be compiled here" in page and "Policy tests" not in page
    assert "line 7: cannot be compiled" in page


def test_a_broken_upload_names_its_lines_and_stores_nothing(sign_in, candidate_text,
                                                            stored_count):
    console = sign_in("admin")
    broken = candidate_text.replace("margin_floor: 10 ", "margin_floor: ten ", 1)
    line = next(n for n, text in enumerate(broken.splitlines(), 1) if "margin_floor: ten" in text)
    refused = _upload(console, broken.encode("utf-8"))
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert "The candidate is not valid; nothing was stored." in page
    assert f"line {line}:" in page
    assert stored_count() == 1


@pytest.mark.parametrize(("data", "message"), [
    (b"", "The file is empty. Upload a rules.yaml, or paste its text."),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe", "The file is not text (UTF-8)"),
    (b"name: x\x00\nversion: 1\n", "The file is not text (UTF-8)"),
])
def test_an_empty_or_binary_file_is_refused_clearly(sign_in, stored_count, data, message):
    console = sign_in("admin")
    refused = _upload(console, data, name="rules.png")
    assert refused.status_code == 422
    assert message in refused.get_data(as_text=True)
    assert stored_count() == 1


def test_no_file_and_no_text_is_refused(sign_in, stored_count):
    console = sign_in("admin")
    refused = console.post_form(VERSIONS, {"comment": "nothing"})
    assert refused.status_code == 422
    assert "Upload a rules.yaml, or paste its text." in refused.get_data(as_text=True)
    assert stored_count() == 1


def test_an_upload_over_the_body_limit_is_refused_clearly(sign_in, stored_count):
    console = sign_in("admin")
    refused = _upload(console, b"# padding\n" * 30_000)  # 300 KB > 256 KiB
    assert refused.status_code == 413
    page = refused.get_data(as_text=True)
    assert "larger than this server accepts (256 KiB)" in page
    assert stored_count() == 1


def test_a_file_over_the_candidate_limit_is_refused_clearly(sign_in, stored_count, app,
                                                            candidate_text):
    app.config["MAX_CONTENT_LENGTH"] = 4 * 1024 * 1024  # a server that takes big bodies
    console = sign_in("admin")
    huge = candidate_text.encode("utf-8") + b"# padding\n" * 110_000  # > 1 MiB
    refused = _upload(console, huge)
    assert refused.status_code == 422
    assert "The file is larger than 1024 KiB" in refused.get_data(as_text=True)
    assert stored_count() == 1


def test_the_impact_page_refuses_a_binary_file_clearly(sign_in):
    console = sign_in("compliance")
    refused = console.post_form("/console/impact",
                                {"file": (io.BytesIO(b"\xff\xfe\x00\x01"), "x.yaml")},
                                content_type="multipart/form-data")
    assert refused.status_code == 422
    assert "The file is not text (UTF-8)" in refused.get_data(as_text=True)


def test_the_review_reads_in_russian(sign_in, looser, client):
    console = sign_in("admin")
    _upload(console, looser.encode("utf-8"))
    page = console.get(f"{VERSIONS}/2", headers={"Accept-Language": "ru"}).get_data(
        as_text=True)
    assert "Проверки политики" in page and "Прошло: 103, не прошло: 5." in page
    assert "Влияние за последние 30 дней" in page
