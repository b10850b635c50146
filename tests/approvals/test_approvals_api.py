"""CONTRACT §10 through HTTP, on SQLite and PostgreSQL: a verdict, its references, the inbox.

The company's discount limits for wholesale clients: a manager 10 %, the head of sales
15 %, the commercial director 20 %. So 12.5 % asks the head of sales and 19 % the
commercial director.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from app.approvals import clock

pytestmark = pytest.mark.usefixtures("backend")


@pytest.fixture
def manager(make_key):
    return make_key("manager", manager_id="m-17")


@pytest.fixture
def head_of_sales(make_key):
    return make_key("approver", person_id="h-1", job_role="head_of_sales")


@pytest.fixture
def director(make_key):
    return make_key("approver", person_id="cd-1", job_role="commercial_director")


@pytest.fixture
def cfo(make_key):
    return make_key("approver", person_id="f-1", job_role="cfo")


@pytest.fixture
def ask(post, body, manager):
    """ask(percent, headers=manager key, **changes) -> the answer to a wholesale discount."""

    def send(percent, headers=None, actor="m-17", **changes):
        request = body("discount", actor={"id": actor, "role": "manager"}, **changes)
        request["discount"] = {"percent": percent}
        response = post(request, headers or manager)
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    return send


@pytest.fixture
def give(client):
    def send(decision_id, headers, verdict="approve", comment=None, **extra):
        payload = {"verdict": verdict, **({"comment": comment} if comment is not None else {}),
                   **extra}
        return client.post(f"/v1/decisions/{decision_id}/approvals", json=payload,
                           headers=headers)

    return send


def approval_of(answer):
    return [{"approval_id": answer["approval_id"]}]


def test_the_walkthrough_manager_asks_head_of_sales_approves_manager_asks_again(
        ask, give, head_of_sales):
    first = ask(12.5)
    assert first["outcome"] == "require_approval"
    assert first["required_approvals"] == ["head_of_sales"]

    given = give(first["decision_id"], head_of_sales, comment="Volume order, agreed.")
    assert given.status_code == 201, given.get_json()
    record = given.get_json()
    assert set(record) == {"approval_id", "decision_id", "verdict", "role", "by", "comment",
                           "at", "expires_at"}
    assert (record["decision_id"], record["verdict"], record["role"], record["by"]) == (
        first["decision_id"], "approve", "head_of_sales", "h-1")
    at = datetime.fromisoformat(record["at"].replace("Z", "+00:00"))
    expires = datetime.fromisoformat(record["expires_at"].replace("Z", "+00:00"))
    assert expires - at == timedelta(hours=72)

    again = ask(12.5, approvals=approval_of(record), request_id="crm-again")
    assert again["outcome"] == "allow"
    assert again["approval_problems"] == []
    [reason] = [r for r in again["reasons"] if r["rule"] == "pricing.segment-limit"]
    assert reason["satisfied_by"] == "head_of_sales"
    assert reason["approval_id"] == record["approval_id"]


def test_an_approval_of_a_higher_role_meets_a_lower_requirement(ask, give, director):
    first = ask(12.5)
    record = give(first["decision_id"], director).get_json()
    assert record["role"] == "commercial_director"
    again = ask(12.5, approvals=approval_of(record))
    assert again["outcome"] == "allow"


# -- the rules of a verdict ------------------------------------------------------------

def test_a_decision_that_does_not_ask_for_approval_is_409_checked_first(ask, give, cfo,
                                                                     head_of_sales):
    allowed = ask(5)
    assert allowed["outcome"] == "allow"
    # The cfo meets no requirement of it either: the 409 comes first.
    for key in (head_of_sales, cfo):
        answer = give(allowed["decision_id"], key)
        assert answer.status_code == 409, answer.get_json()
        assert answer.mimetype == "application/problem+json"


def test_a_job_role_that_does_not_meet_the_requirement_is_403(ask, give, cfo, head_of_sales):
    needs_head = ask(12.5)
    assert give(needs_head["decision_id"], cfo).status_code == 403
    needs_director = ask(19)
    assert needs_director["required_approvals"] == ["commercial_director"]
    assert give(needs_director["decision_id"], head_of_sales).status_code == 403


def test_four_eyes_nobody_approves_their_own_decision(ask, give, make_key):
    # The same person holds a manager key and a commercial director's key.
    own = make_key("approver", person_id="m-17", job_role="commercial_director")
    decision = ask(19)
    answer = give(decision["decision_id"], own)
    assert answer.status_code == 403
    assert "own" in answer.get_json()["detail"]


def test_one_verdict_per_role_per_decision(ask, give, head_of_sales, director, make_key):
    decision = ask(12.5)
    assert give(decision["decision_id"], head_of_sales).status_code == 201
    other_head = make_key("approver", person_id="h-2", job_role="head_of_sales")
    second = give(decision["decision_id"], other_head, verdict="decline", comment="No.")
    assert second.status_code == 409
    assert give(decision["decision_id"], director).status_code == 201


@pytest.mark.parametrize("payload, field", [
    ({"verdict": "decline"}, "comment"),
    ({"verdict": "decline", "comment": "   "}, "comment"),
    ({"verdict": "approve", "comment": "x" * 1001}, "comment"),
    ({"verdict": "maybe"}, "verdict"),
    ({}, "verdict"),
    ({"verdict": "approve", "role": "cfo"}, "role"),
])
def test_a_bad_verdict_is_422_and_records_nothing(ask, client, head_of_sales, compliance,
                                                  payload, field):
    decision = ask(12.5)
    answer = client.post(f"/v1/decisions/{decision['decision_id']}/approvals", json=payload,
                         headers=head_of_sales)
    assert answer.status_code == 422, answer.get_json()
    assert field in answer.get_json()["errors"]
    record = client.get(f"/v1/decisions/{decision['decision_id']}", headers=compliance)
    assert record.get_json()["approvals"] == []


def test_a_comment_of_1000_characters_is_kept(ask, give, head_of_sales):
    decision = ask(12.5)
    answer = give(decision["decision_id"], head_of_sales, verdict="decline", comment="я" * 1000)
    assert answer.status_code == 201
    assert answer.get_json()["comment"] == "я" * 1000


def test_an_unknown_decision_is_404(give, head_of_sales):
    assert give("0b4f6a0e-3c1e-4f57-9a53-5b1f1f0f7c11", head_of_sales).status_code == 404
    assert give("x" * 300, head_of_sales).status_code == 404


@pytest.mark.parametrize("role", ["crm", "manager", "compliance", "admin"])
def test_only_an_approver_key_gives_a_verdict(ask, give, make_key, role):
    decision = ask(12.5)
    assert give(decision["decision_id"], make_key(role)).status_code == 403
    assert give(decision["decision_id"], {}).status_code == 401


# -- references --------------------------------------------------------------------------

def test_a_declined_approval_does_not_count(ask, give, head_of_sales):
    decision = ask(12.5)
    record = give(decision["decision_id"], head_of_sales, verdict="decline",
                  comment="Margin too thin this quarter.").get_json()
    again = ask(12.5, approvals=approval_of(record))
    assert again["outcome"] == "require_approval"
    assert again["approval_problems"] == [{"approval_id": record["approval_id"],
                                           "problem": "declined"}]


def test_an_approval_expires_after_approval_valid_hours(ask, give, head_of_sales,
                                                        monkeypatch):
    record = give(ask(12.5)["decision_id"], head_of_sales).get_json()
    expires = datetime.fromisoformat(record["expires_at"].replace("Z", "+00:00"))
    monkeypatch.setattr(clock, "now", lambda: expires - timedelta(microseconds=1000))
    assert ask(12.5, approvals=approval_of(record))["outcome"] == "allow"
    monkeypatch.setattr(clock, "now", lambda: expires)
    late = ask(12.5, approvals=approval_of(record))
    assert late["outcome"] == "require_approval"
    assert late["approval_problems"] == [{"approval_id": record["approval_id"],
                                          "problem": "expired"}]


@pytest.mark.parametrize("change", ["percent", "deal id", "client", "actor"])
def test_an_approval_covers_only_the_proposal_it_was_given_on(ask, give, head_of_sales,
                                                              make_key, body, change):
    record = give(ask(12.5)["decision_id"], head_of_sales).get_json()
    approvals = approval_of(record)
    if change == "percent":
        later = ask(14, approvals=approvals)
    elif change == "deal id":
        deal = {**body("discount")["deal"], "id": "d-2"}
        later = ask(12.5, approvals=approvals, deal=deal)
    elif change == "client":
        later = ask(12.5, approvals=approvals, client={**body("discount")["client"],
                                                         "id": "c-2"})
    else:
        other = make_key("manager", manager_id="m-18")
        later = ask(12.5, headers=other, actor="m-18", approvals=approvals)
    assert later["outcome"] == "require_approval"
    assert later["approval_problems"] == [{"approval_id": record["approval_id"],
                                           "problem": "other_proposal"}]


def test_request_id_as_of_and_the_spelling_of_a_number_are_not_the_proposal(
        ask, give, head_of_sales, client, manager, body):
    record = give(ask(12.5)["decision_id"], head_of_sales).get_json()
    later = ask(12.5, approvals=approval_of(record), request_id="crm-later",
                as_of="2026-11-28")
    assert later["outcome"] == "allow"
    # 12.50 is the percent 12.5 (the raw JSON text, as a CRM may send it).
    request = body("discount", actor={"id": "m-17", "role": "manager"},
                   approvals=approval_of(record))
    request["discount"] = {"percent": 12.5}
    raw = json.dumps(request).replace('"percent": 12.5', '"percent": 12.50')
    assert '"percent": 12.50' in raw
    answer = client.post("/v1/decisions", data=raw, content_type="application/json",
                         headers=manager)
    assert answer.get_json()["outcome"] == "allow"


def test_an_unknown_approval_id_is_422_and_logs_nothing(post, body, manager, listing):
    before = listing()
    request = body("discount", actor={"id": "m-17", "role": "manager"},
                   approvals=[{"approval_id": "0b4f6a0e-3c1e-4f57-9a53-5b1f1f0f7c11"}])
    answer = post(request, manager)
    assert answer.status_code == 422
    assert "approvals.0.approval_id" in answer.get_json()["errors"]
    assert listing().get_json()["items"] == before.get_json()["items"]


def test_the_record_keeps_the_references_presented(ask, give, head_of_sales, client,
                                                   compliance):
    record = give(ask(12.5)["decision_id"], head_of_sales).get_json()
    later = ask(12.5, approvals=approval_of(record))
    logged = client.get(f"/v1/decisions/{later['decision_id']}", headers=compliance).get_json()
    assert logged["approvals_presented"] == [{"approval_id": record["approval_id"],
                                              "source": "dealguard"}]
    assert logged["reasons"] == later["reasons"]


# -- the record of a decision lists its approvals; who may read it -------------------------

def test_a_decision_lists_the_approvals_given_on_it(ask, give, head_of_sales, director, client,
                                                    compliance):
    decision = ask(12.5)
    first = give(decision["decision_id"], head_of_sales, verdict="decline",
                 comment="Not this month.").get_json()
    second = give(decision["decision_id"], director).get_json()
    record = client.get(f"/v1/decisions/{decision['decision_id']}", headers=compliance)
    assert record.get_json()["approvals"] == [first, second]


def test_an_approver_reads_a_decision_of_its_inbox_and_no_other(ask, client, head_of_sales,
                                                                cfo):
    decision = ask(12.5)
    path = f"/v1/decisions/{decision['decision_id']}"
    assert client.get(path, headers=head_of_sales).status_code == 200
    assert client.get(path, headers=cfo).status_code == 404


# -- the inbox and the registers -------------------------------------------------------------

@pytest.fixture
def inbox(client):
    def read(headers, status="pending", **params):
        answer = client.get("/v1/approvals", query_string={"status": status, **params},
                            headers=headers)
        assert answer.status_code == 200, answer.get_json()
        return answer.get_json()

    return read


def ids(page):
    return [item["decision_id"] for item in page["items"]]


def below_margin(body):
    """A discount whose margin falls under the 10 % floor: the cfo must approve."""
    request = body("discount", actor={"id": "m-17", "role": "manager"})
    request["deal"] = {**request["deal"], "cost_amount": 92000}
    request["discount"] = {"percent": 5}
    return request


def test_each_job_role_sees_what_it_approves(ask, post, body, manager, inbox, head_of_sales,
                                             director, cfo, compliance, make_key):
    needs_head, needs_director = ask(12.5), ask(19)
    margin = post(below_margin(body), manager).get_json()
    assert margin["required_approvals"] == ["cfo"]

    assert ids(inbox(head_of_sales)) == [needs_head["decision_id"]]
    assert ids(inbox(director)) == [needs_director["decision_id"], needs_head["decision_id"]]
    assert ids(inbox(cfo)) == [margin["decision_id"]]
    everything = [margin["decision_id"], needs_director["decision_id"],
                  needs_head["decision_id"]]
    assert ids(inbox(compliance)) == everything
    assert ids(inbox(make_key("crm"))) == everything
    assert ids(inbox(manager)) == everything
    assert ids(inbox(make_key("manager", manager_id="m-18"))) == []

    item = inbox(head_of_sales)["items"][0]
    assert item["open"] == ["head_of_sales"]
    assert item["actor"] == {"id": "m-17", "role": "manager"}
    assert item["client"] == {"id": "c-1"}
    assert item["subject_id"] == "d-1"
    assert item["reasons"] == needs_head["reasons"]


def test_a_verdict_takes_a_decision_out_of_the_inboxes_it_answers(ask, give, inbox,
                                                                  head_of_sales, director,
                                                                  compliance, manager):
    decision = ask(12.5)
    record = give(decision["decision_id"], head_of_sales).get_json()
    assert ids(inbox(head_of_sales)) == []
    assert ids(inbox(director)) == []  # its requirement is met
    assert ids(inbox(compliance)) == []
    assert ids(inbox(head_of_sales, "approved")) == [decision["decision_id"]]
    assert inbox(head_of_sales, "approved")["items"] == [record]
    assert inbox(manager, "approved")["items"] == [record]
    assert inbox(director, "approved")["items"] == [record]


def test_a_decline_leaves_it_to_a_higher_role(ask, give, inbox, head_of_sales, director, cfo):
    decision = ask(12.5)
    record = give(decision["decision_id"], head_of_sales, verdict="decline",
                  comment="No.").get_json()
    assert ids(inbox(head_of_sales)) == []
    assert ids(inbox(director)) == [decision["decision_id"]]
    assert inbox(head_of_sales, "declined")["items"] == [record]
    assert inbox(cfo, "declined")["items"] == []
    assert inbox(head_of_sales, "approved")["items"] == []


def test_pending_ends_with_the_approval_window(ask, inbox, head_of_sales, monkeypatch):
    decision = ask(12.5)
    soon = datetime.now(UTC) + timedelta(hours=71)
    monkeypatch.setattr(clock, "now", lambda: soon)
    assert ids(inbox(head_of_sales)) == [decision["decision_id"]]
    monkeypatch.setattr(clock, "now", lambda: soon + timedelta(hours=1, seconds=5))
    assert ids(inbox(head_of_sales)) == []


def test_pages_follow_the_cursor_newest_first(ask, inbox, director, give, head_of_sales):
    decided = [ask(12.5 + index / 10)["decision_id"] for index in range(5)]
    seen, cursor = [], None
    while True:
        page = inbox(director, limit=2, **({"cursor": cursor} if cursor else {}))
        assert len(page["items"]) <= 2
        seen += ids(page)
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == decided[::-1]
    for decision_id in decided:
        give(decision_id, head_of_sales, verdict="decline", comment="No.")
    seen, cursor = [], None
    while True:
        page = inbox(head_of_sales, "declined", limit=2,
                     **({"cursor": cursor} if cursor else {}))
        seen += ids(page)
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == decided[::-1]


@pytest.mark.parametrize("params, field", [
    ({"status": "open"}, "status"),
    ({"limit": "0"}, "limit"),
    ({"limit": "501"}, "limit"),
    ({"cursor": "not-a-cursor"}, "cursor"),
    ({"status": "approved", "cursor": "bm9wZQ"}, "cursor"),
    ({"colour": "red"}, "colour"),
])
def test_bad_parameters_are_422(client, head_of_sales, params, field):
    answer = client.get("/v1/approvals", query_string=params, headers=head_of_sales)
    assert answer.status_code == 422
    assert field in answer.get_json()["errors"]


# -- the hash chain ----------------------------------------------------------------------------

def verify(client, compliance):
    answer = client.get("/v1/decisions/verify", headers=compliance)
    assert answer.status_code == 200
    return answer.get_json()


def test_verify_covers_the_approvals(ask, give, head_of_sales, director, client, compliance):
    decision = ask(12.5)
    give(decision["decision_id"], head_of_sales, verdict="decline", comment="No.")
    give(decision["decision_id"], director)
    ask(5)
    result = verify(client, compliance)
    assert result["ok"] is True
    assert result["checked"] == 4  # two decisions between two approvals, one chain


@pytest.mark.parametrize("tamper", [
    "UPDATE approvals SET verdict = 'approve' WHERE role = 'head_of_sales'",
    "UPDATE approvals SET expires_at = expires_at + INTERVAL '1 day'",
    "UPDATE approvals SET document = replace(document, 'decline', 'approve')",
    "DELETE FROM approvals WHERE role = 'head_of_sales'",
])
def test_a_changed_or_removed_approval_is_found(ask, give, head_of_sales, client, compliance,
                                                db_engine, backend, tamper):
    decision = ask(12.5)
    record = give(decision["decision_id"], head_of_sales, verdict="decline",
                  comment="No.").get_json()
    ask(5)
    if backend == "sqlite":
        tamper = tamper.replace("expires_at + INTERVAL '1 day'",
                                "datetime(expires_at, '+1 day')")
    with db_engine.begin() as connection:
        seq = connection.execute(text("SELECT seq FROM approvals WHERE approval_id = :a"),
                                 {"a": record["approval_id"]}).scalar_one()
        connection.execute(text(tamper))
    result = verify(client, compliance)
    assert result["ok"] is False
    assert result["first_bad_seq"] == seq


def test_an_approver_lists_and_exports_its_own_and_its_inbox_decisions(
        ask, post, body, client, head_of_sales, cfo, make_key):
    asked = ask(12.5)  # asks the head of sales
    ask(5)  # allowed: nobody's inbox
    own = post({**body("discount", actor={"id": "h-1", "role": "head_of_sales"})},
               head_of_sales).get_json()
    listed = client.get("/v1/decisions", headers=head_of_sales).get_json()["items"]
    assert [item["decision_id"] for item in listed] == [own["decision_id"],
                                                        asked["decision_id"]]
    # Naming another actor narrows the same view; it never widens it.
    only = client.get("/v1/decisions", query_string={"actor_id": "m-17"},
                      headers=head_of_sales).get_json()["items"]
    assert [item["decision_id"] for item in only] == [asked["decision_id"]]
    exported = client.get("/v1/decisions/export", query_string={"format": "jsonl"},
                          headers=head_of_sales).get_data(as_text=True).splitlines()
    assert {json.loads(line)["decision_id"] for line in exported} == {
        own["decision_id"], asked["decision_id"]}
    assert client.get("/v1/decisions", headers=cfo).get_json()["items"] == []


def test_a_whole_jsonl_export_replays_the_chain_approvals_included(ask, give, head_of_sales,
                                                                   client, compliance):
    from app.log.write.chain import GENESIS, link

    decision = ask(12.5)
    give(decision["decision_id"], head_of_sales)
    ask(5)
    lines = client.get("/v1/decisions/export", query_string={"format": "jsonl"},
                       headers=compliance).get_data(as_text=True).splitlines()
    assert len(lines) == 3
    prev = GENESIS
    for line in lines:
        record = json.loads(line)
        assert record["prev_hash"] == prev
        document = line[:line.rindex(',"hash":')] + "}"
        assert link(prev, document) == record["hash"]
        prev = record["hash"]
    assert json.loads(lines[1])["record"] == "approval"
    # A filtered export is of decisions only.
    filtered = client.get("/v1/decisions/export", query_string={"format": "jsonl",
                                                                "action": "discount"},
                          headers=compliance).get_data(as_text=True).splitlines()
    assert len(filtered) == 2


def test_the_offline_check_counts_an_approval_from_the_log(ask, give, head_of_sales, body,
                                                           settings, db_engine):
    """`dealguard check` logs nothing, but reads the log for what a request references."""
    from click.testing import CliRunner

    from app.cli import main

    record = give(ask(12.5)["decision_id"], head_of_sales).get_json()
    request = body("discount", actor={"id": "m-17", "role": "manager"},
                   discount={"percent": 12.5}, approvals=approval_of(record))
    env = {"DEALGUARD_DATABASE_URL": settings.database_url,
           "DEALGUARD_SECRET_KEY": settings.secret_key, "DEALGUARD_POLICY": settings.policy_path}
    def logged() -> int:
        with db_engine.connect() as connection:
            return connection.execute(text("SELECT count(*) FROM decisions")).scalar()

    before = logged()
    result = CliRunner().invoke(main, ["check", "-"], input=json.dumps(request), env=env)
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["outcome"] == "allow"
    request["approvals"] = [{"approval_id": "00000000-0000-4000-8000-000000000000"}]
    unknown = CliRunner().invoke(main, ["check", "-"], input=json.dumps(request), env=env)
    assert unknown.exit_code == 2
    assert "approvals.0.approval_id" in unknown.output
    assert logged() == before  # check logs nothing
