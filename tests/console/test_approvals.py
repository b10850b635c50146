"""The approvals in the console (CONTRACT §10, §11): an approver's inbox with each
decision's reasons and proposal, approve or decline with a comment through the same
rules as the API, what was decided; a manager's own decisions awaiting approval.

A 12.5 % discount to a wholesale client asks the head of sales (the bodies' default).
"""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.usefixtures("backend")


@pytest.fixture
def asked(decide):
    """asked(percent=12.5, actor="m-1") -> the id of a logged require_approval decision."""

    def make(percent: float = 12.5, actor: str = "m-1") -> str:
        answer = decide("discount", actor={"id": actor, "role": "manager"},
                        discount={"percent": percent})
        assert answer["outcome"] == "require_approval", answer
        return answer["decision_id"]

    return make


def _verdict(console, decision_id: str, verdict: str, comment: str = ""):
    return console.post_form(f"/console/inbox/{decision_id}",
                             {"verdict": verdict, "comment": comment},
                             token_from="/console/inbox")


def test_the_inbox_shows_reasons_and_the_masked_proposal(sign_in, asked, clear_values):
    decision_id = asked()
    console = sign_in("approver", person_id="h-1", job_role="head_of_sales")
    answer = console.get("/console/inbox")
    page = answer.get_data(as_text=True)
    assert answer.status_code == 200
    assert decision_id[:8] in page
    assert "exceeds the manager&#39;s 10% limit for wholesale clients" in page
    assert "<code>discount.percent</code></th><td>12.5</td>" in page
    assert "<code>client.name</code></th><td>hmac:" in page
    assert not any(value in page for value in clear_values)
    assert "<code>actor.id</code>" not in page and "as_of" not in page
    # The full record of a decision in the inbox opens for the approver, as in the API.
    record = console.get(f"/console/decisions/{decision_id}")
    assert record.status_code == 200
    # Not one asked of another job role.
    cfo = sign_in("approver", person_id="f-1", job_role="cfo")
    assert cfo.get(f"/console/decisions/{decision_id}").status_code == 404
    assert decision_id[:8] not in cfo.get("/console/inbox").get_data(as_text=True)


def test_an_approval_is_recorded_in_the_chain_and_leaves_the_inbox(
        sign_in, asked, client, compliance):
    decision_id = asked()
    console = sign_in("approver", person_id="h-1", job_role="head_of_sales")
    done = _verdict(console, decision_id, "approve", "fine for this client")
    assert done.status_code == 302
    after = console.get(done.headers["Location"]).get_data(as_text=True)
    assert f"You approved decision {decision_id}." in after
    assert "Nothing is waiting for approval." in after
    logged = client.get(f"/v1/decisions/{decision_id}", headers=compliance).get_json()
    [approval] = logged["approvals"]
    assert approval["verdict"] == "approve" and approval["role"] == "head_of_sales"
    assert approval["by"] == "h-1" and approval["comment"] == "fine for this client"
    assert client.get("/v1/decisions/verify", headers=compliance).get_json()["ok"] is True
    mine = console.get("/console/inbox?status=approved").get_data(as_text=True)
    assert decision_id[:8] in mine and "fine for this client" in mine
    record = console.get(f"/console/decisions/{decision_id}").get_data(as_text=True)
    assert "Approvals given" in record and "fine for this client" in record


def test_a_decline_needs_a_comment_and_changes_nothing_without_one(
        sign_in, asked, client, compliance):
    decision_id = asked()
    console = sign_in("approver", person_id="h-1", job_role="head_of_sales")
    refused = _verdict(console, decision_id, "decline")
    assert refused.status_code == 422
    assert "A decline needs a comment: say why." in refused.get_data(as_text=True)
    logged = client.get(f"/v1/decisions/{decision_id}", headers=compliance).get_json()
    assert logged["approvals"] == []
    declined = _verdict(console, decision_id, "decline", "too deep for this volume")
    assert declined.status_code == 302
    page = console.get("/console/inbox?status=declined").get_data(as_text=True)
    assert "too deep for this volume" in page


@pytest.mark.parametrize(("who", "status", "words"), [
    ({"person_id": "m-1", "job_role": "head_of_sales"}, 403,
     "Four eyes: nobody approves their own decision."),
    ({"person_id": "f-1", "job_role": "cfo"}, 403,
     "Your job role does not approve what this decision asks for."),
])
def test_refusals_are_told_in_plain_words(sign_in, asked, who, status, words):
    decision_id = asked()
    console = sign_in("approver", **who)
    refused = _verdict(console, decision_id, "approve")
    assert refused.status_code == status
    assert words in refused.get_data(as_text=True)


def test_a_second_verdict_and_a_decision_that_asks_nothing_are_conflicts(
        sign_in, asked, decide):
    decision_id = asked()
    console = sign_in("approver", person_id="h-1", job_role="head_of_sales")
    assert _verdict(console, decision_id, "approve").status_code == 302
    again = _verdict(console, decision_id, "decline", "changed my mind")
    assert again.status_code == 409
    assert "Your role has given its verdict on this decision already." in again.get_data(
        as_text=True)
    allowed = decide("discount", discount={"percent": 5})["decision_id"]
    nothing = _verdict(console, allowed, "approve")
    assert nothing.status_code == 409
    assert "there is nothing to approve" in nothing.get_data(as_text=True)
    assert _verdict(console, "no-such-decision", "approve").status_code == 404


def test_refusals_in_russian(sign_in, asked):
    decision_id = asked()
    console = sign_in("approver", person_id="m-1", job_role="head_of_sales")
    refused = console.post_form(f"/console/inbox/{decision_id}", {"verdict": "approve"},
                                token_from="/console/inbox",
                                headers={"Accept-Language": "ru"})
    assert refused.status_code == 403
    assert "Четыре глаза" in refused.get_data(as_text=True)


def test_a_verdict_without_its_csrf_token_is_refused(sign_in, asked, client, compliance):
    decision_id = asked()
    console = sign_in("approver", person_id="h-1", job_role="head_of_sales")
    refused = console.client.post(f"/console/inbox/{decision_id}", data={"verdict": "approve"})
    assert refused.status_code == 400
    logged = client.get(f"/v1/decisions/{decision_id}", headers=compliance).get_json()
    assert logged["approvals"] == []


def test_only_approvers_give_verdicts_and_a_manager_sees_their_own_waiting(sign_in, asked):
    mine, theirs = asked(actor="m-1"), asked(actor="m-2")
    console = sign_in("manager")
    page = console.get("/console/inbox").get_data(as_text=True)
    assert mine[:8] in page and theirs[:8] not in page
    assert "Approve</button>" not in page
    refused = console.post_form(f"/console/inbox/{mine}", {"verdict": "approve"},
                                token_from="/console/inbox")
    assert refused.status_code == 403
    assert sign_in("compliance").get("/console/inbox").status_code == 403


def test_the_inbox_pages_on(sign_in, asked, app, monkeypatch):
    from app.console.views import approvals

    monkeypatch.setattr(approvals, "PAGE_SIZE", 2)
    made = [asked(percent=11 + n) for n in range(3)]
    console = sign_in("approver", person_id="h-1", job_role="head_of_sales")
    first = console.get("/console/inbox").get_data(as_text=True)
    link = re.search(r'href="(/console/inbox\?[^"]*cursor=[^"]+)"', first).group(1)
    second = console.get(link.replace("&amp;", "&")).get_data(as_text=True)
    shown = [d for d in made if d[:8] in first], [d for d in made if d[:8] in second]
    assert shown == (made[1:], made[:1])  # newest first: the oldest is on the second page
    assert console.get("/console/inbox?cursor=forged").status_code == 200


def test_the_register_lists_every_verdict_page_by_page(sign_in, asked, monkeypatch):
    from app.console.views import approvals

    first, second, third = asked(), asked(percent=13), asked(percent=14)
    approver = sign_in("approver", person_id="h-1", job_role="head_of_sales")
    _verdict(approver, first, "approve", "ok")
    _verdict(approver, second, "approve")
    _verdict(approver, third, "decline", "not this quarter")
    monkeypatch.setattr(approvals, "PAGE_SIZE", 1)
    console = sign_in("compliance")
    page = console.get("/console/approvals").get_data(as_text=True)
    assert second[:8] in page and first[:8] not in page and third[:8] not in page
    link = re.search(r'href="(/console/approvals\?[^"]*cursor=[^"]+)"', page).group(1)
    older = console.get(link.replace("&amp;", "&")).get_data(as_text=True)
    assert first[:8] in older and "h-1" in older
    declined = console.get("/console/approvals?status=declined").get_data(as_text=True)
    assert third[:8] in declined and "not this quarter" in declined
    assert 'href="/console/approvals"' in console.get("/console/").get_data(as_text=True)


def test_the_register_is_for_compliance_and_admin(sign_in):
    assert sign_in("admin").get("/console/approvals").status_code == 200
    assert sign_in("approver").get("/console/approvals").status_code == 403
    assert sign_in("manager").get("/console/approvals").status_code == 403


def test_what_i_decided_shows_my_own_verdicts_and_all_of_my_roles_on_request(
        sign_in, asked, client, make_key, monkeypatch):
    from app.console.views import approvals

    mine, colleagues, declined = asked(), asked(percent=13), asked(percent=14)
    _verdict(sign_in("approver", person_id="h-2", job_role="head_of_sales"),
             colleagues, "approve")
    console = sign_in("approver", person_id="h-1", job_role="head_of_sales")
    _verdict(console, mine, "approve", "mine")
    _verdict(console, declined, "decline", "not this quarter")
    page = console.get("/console/inbox?status=approved").get_data(as_text=True)
    assert mine[:8] in page and colleagues[:8] not in page
    assert "The verdicts you gave yourself." in page
    assert '?status=approved&amp;whose=mine" aria-current="page"' in page
    everyone = console.get("/console/inbox?status=approved&whose=role").get_data(as_text=True)
    assert mine[:8] in everyone and colleagues[:8] in everyone and "h-2" in everyone
    assert '?status=approved&amp;whose=role" aria-current="page"' in everyone
    assert declined[:8] in console.get("/console/inbox?status=declined").get_data(as_text=True)
    # An unknown choice is the default; the next page keeps the choice.
    assert colleagues[:8] not in console.get(
        "/console/inbox?status=approved&whose=x").get_data(as_text=True)
    monkeypatch.setattr(approvals, "PAGE_SIZE", 1)
    first = console.get("/console/inbox?status=approved&whose=role").get_data(as_text=True)
    link = re.search(r'href="(/console/inbox\?[^"]*cursor=[^"]+)"', first).group(1)
    assert "whose=role" in link
    # The API is unchanged: an approver's key lists every verdict of its role's.
    key = make_key("approver", person_id="h-1", job_role="head_of_sales")
    listed = client.get("/v1/approvals?status=approved", headers=key).get_json()["items"]
    assert {item["decision_id"] for item in listed} == {mine, colleagues}
