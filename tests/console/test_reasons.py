"""A logged decision's reasons in the reader's language (app/console/reasons.py): the
log keeps them in English; the Russian console renders each from its rule's Russian
message with the logged facts, under the policy version that decided."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from app.console import reasons
from app.engine.casefile import deep_merge
from tests.api.versions_helpers import changed, publish

RU = "Скидка 12% превышает лимит менеджера 10% для клиентов сегмента wholesale."
EN = "Discount 12% exceeds the manager's 10% limit for wholesale clients."
RUSSIAN = {"Accept-Language": "ru-RU"}
CASES = Path(__file__).resolve().parents[2] / "policies" / "tests"


@pytest.fixture
def asked(decide):
    def make(percent: float = 12) -> str:
        answer = decide("discount", actor={"id": "m-1", "role": "manager"},
                        discount={"percent": percent})
        assert answer["outcome"] == "require_approval", answer
        return answer["decision_id"]

    return make


@pytest.mark.usefixtures("backend")
def test_the_russian_inbox_and_record_read_the_reason_in_russian_the_log_stays_english(
        sign_in, asked, client, compliance):
    decision_id = asked()
    console = sign_in("approver", person_id="h-1", job_role="head_of_sales")
    inbox = console.get("/console/inbox", headers=RUSSIAN).get_data(as_text=True)
    assert RU in inbox
    assert "exceeds the manager" not in inbox
    record = console.get(f"/console/decisions/{decision_id}", headers=RUSSIAN)
    page = record.get_data(as_text=True)
    assert record.status_code == 200 and RU in page
    # The record page also quotes the logged text, marked as English.
    assert '<q lang="en">Discount 12% exceeds the manager&#39;s 10% limit' in page
    # In English nothing changes.
    assert EN.replace("'", "&#39;") in console.get("/console/inbox").get_data(as_text=True)
    logged = client.get(f"/v1/decisions/{decision_id}", headers=compliance).get_json()
    assert [r["message"] for r in logged["reasons"]] == [EN]
    assert client.get("/v1/decisions/verify", headers=compliance).get_json()["ok"] is True


def test_a_decision_reads_in_the_words_of_the_version_that_made_it(
        sign_in, asked, client, make_key, candidate_text, app):
    decision_id = asked()
    admin = make_key("admin")
    # The manager's wholesale limit becomes 11 %: the old decision still said 10 %.
    proposed = client.post("/v1/policy/versions", data=changed(
        candidate_text, row="wholesale:   [11, 15, 20]"), content_type="text/yaml",
        headers=admin)
    assert proposed.status_code == 201, proposed.get_json()
    assert publish(client, admin, proposed.get_json()["version_id"]).status_code == 200
    app.extensions["dealguard.policy"].refresh()
    newer = asked(12.5)
    console = sign_in("compliance")
    old_page = console.get(f"/console/decisions/{decision_id}", headers=RUSSIAN)
    assert RU in old_page.get_data(as_text=True)
    new_page = console.get(f"/console/decisions/{newer}", headers=RUSSIAN)
    assert ("Скидка 12.5% превышает лимит менеджера 11% для клиентов сегмента wholesale."
            in new_page.get_data(as_text=True))


def test_a_reason_that_matches_no_rule_or_case_stays_as_logged(app, decide, client,
                                                               compliance):
    decision_id = decide("discount", discount={"percent": 12})["decision_id"]
    record = client.get(f"/v1/decisions/{decision_id}", headers=compliance).get_json()
    [reason] = record["reasons"]
    unknown = {**reason, "rule": "pricing.gone"}
    edited = {**reason, "message": "Discount 12% exceeds something else."}
    records = [{**record, "reasons": [unknown, edited, reason]}]
    with app.test_request_context("/console/"):
        reasons.in_language(records, "ru")
    assert [r["message"] for r in records[0]["reasons"]] == [unknown["message"],
                                                             edited["message"], RU]
    assert record["reasons"] == [reason] and reason["message"] == EN  # not changed in place


def _policy_cases() -> list[dict]:
    requests = []
    for path in sorted(CASES.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for case in data.get("cases") or []:
            if "error" not in case.get("expect", {}):
                requests.append(deep_merge(data.get("defaults", {}), case.get("request", {})))
    return requests


def test_every_policy_case_reads_in_the_console_as_the_api_answers_it(app, client, crm,
                                                                       compliance):
    """The console's Russian for a logged reason is the API's Russian for the same request,
    for every request of the policy's own test cases (every rule, every action)."""
    compared = 0
    for request in _policy_cases():
        answer = client.post("/v1/decisions", json=request,
                             headers={**crm, "Accept-Language": "ru"})
        if answer.status_code != 200:
            continue
        russian = answer.get_json()
        record = client.get(f"/v1/decisions/{russian['decision_id']}",
                            headers=compliance).get_json()
        with app.test_request_context("/console/"):
            reasons.in_language([record], "ru")
        assert [r["message"] for r in record["reasons"]] == \
            [r["message"] for r in russian["reasons"]], request
        compared += len(russian["reasons"])
    assert compared > 40
