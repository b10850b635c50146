"""The log in the console: filters, pages, one record masked, verify, exports (§11, §5)."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.usefixtures("backend")


def _ids(page: str) -> list[str]:
    return re.findall(r'href="/console/decisions/([0-9a-f-]{36})"', page)


def test_compliance_filters_the_log_and_pages_through_it(sign_in, decide):
    made = [decide("discount", client=f"c-{n}", discount={"percent": 12})["decision_id"]
            for n in range(27)]
    denied = decide("discount", client="c-x", discount={"percent": 40})["decision_id"]
    console = sign_in("compliance")
    first = console.get("/console/log").get_data(as_text=True)
    assert _ids(first)[:2] == [denied, made[-1]] and len(_ids(first)) == 25
    cursor = re.search(r'href="/console/log\?cursor=([^"&]+)', first).group(1)
    second = console.get(f"/console/log?cursor={cursor}").get_data(as_text=True)
    assert _ids(second) == list(reversed(made))[24:]
    only = console.get("/console/log?outcome=deny&action=discount&principle=pricing-policy"
                       "&rule=pricing.segment-limit&client_id=c-x&subject_id=d-1"
                       "&actor_id=m-1&since=2000-01-01&until=2999-01-01")
    assert _ids(only.get_data(as_text=True)) == [denied]
    links = re.findall(r'href="(/console/log/export\?[^"]+)"', only.get_data(as_text=True))
    assert any("format=csv" in link and "outcome=deny" in link for link in links)


def test_a_bad_filter_is_named_beside_its_field(sign_in):
    console = sign_in("compliance")
    answer = console.get("/console/log?since=yesterday")
    assert answer.status_code == 422
    assert 'id="f-since-err"' in answer.get_data(as_text=True)


def test_exports_follow_the_filters(sign_in, decide, clear_values):
    decide("discount", client="c-1", discount={"percent": 12})
    decide("discount", client="c-2", discount={"percent": 40})
    console = sign_in("compliance")
    csv_text = console.get("/console/log/export?format=csv&outcome=deny").get_data(as_text=True)
    assert csv_text.count("\n") == 2 and "c-2" in csv_text and "c-1" not in csv_text
    jsonl = console.get("/console/log/export?format=jsonl").get_data(as_text=True)
    assert jsonl.count("\n") == 2
    assert not any(value in csv_text + jsonl for value in clear_values)


def test_one_record_in_full_is_masked(sign_in, decide, clear_values):
    decision_id = decide("discount", discount={"percent": 12})["decision_id"]
    console = sign_in("compliance")
    page = console.get(f"/console/decisions/{decision_id}").get_data(as_text=True)
    assert "pricing.segment-limit" in page and "hmac:" in page
    assert not any(value in page for value in clear_values)
    assert console.get("/console/decisions/no-such-id").status_code == 404


def test_verify_from_the_console(sign_in, decide):
    decide("discount", discount={"percent": 12})
    console = sign_in("compliance")
    answer = console.post_form("/console/log/verify", {}, token_from="/console/log")
    assert answer.status_code == 200 and "Intact" in answer.get_data(as_text=True)


def test_a_manager_sees_only_their_own_decisions(sign_in, decide):
    own = decide("discount", actor="m-1")["decision_id"]
    other = decide("discount", actor="m-2")["decision_id"]
    console = sign_in("manager", person_id="m-1")
    page = console.get("/console/decisions/mine").get_data(as_text=True)
    assert _ids(page) == [own]
    assert console.get(f"/console/decisions/{other}").status_code == 404
    assert console.get(f"/console/decisions/{own}").status_code == 200
    assert console.get("/console/log").status_code == 403
    assert console.get("/console/log/export?format=csv").status_code == 403
