"""A check in the console carries the approvals already given on its very proposal
(CONTRACT §10, §11): the manager whose 12.5 % the head of sales approved checks it again
and is allowed, and the page says which approval was used and who gave it.

The company's limits for wholesale clients: a manager 10 %, the head of sales 15 %.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy.exc import OperationalError

from app.approvals import attach, clock, references
from app.engine import load_policy
from tests.conftest import POLICY, TEST_SECRET

pytestmark = pytest.mark.usefixtures("backend")

FORM = "/console/check/discount"
VALUES = {"client.id": "c-1", "client.segment": "wholesale", "deal.id": "d-1",
          "deal.currency": "RUB", "deal.list_amount": "100 000", "discount.percent": "12,5"}
USES = re.compile(r"Uses approval ([0-9a-f-]{36}) by (\S+) \(([^)]+)\), valid until ([^<]+)\.")


@pytest.fixture
def check(sign_in):
    """check(person_id="m-7", **changes) -> (status, page) of a manager's discount check."""

    def run(person_id: str = "m-7", **changes: str) -> tuple[int, str]:
        console = sign_in("manager", person_id=person_id)
        answer = console.post_form(FORM, {**VALUES, **changes})
        return answer.status_code, answer.get_data(as_text=True)

    return run


@pytest.fixture
def approved(check, sign_in):
    """approved(verdict="approve") -> (decision id, page of the check that asked for it),
    after the head of sales h-1 gave that verdict in the console."""

    def run(verdict: str = "approve") -> tuple[str, str]:
        status, page = check()
        assert status == 200 and "require_approval" in page, page
        decision_id = re.search(r"under its id ([0-9a-f-]{36})", page).group(1)
        approver = sign_in("approver", person_id="h-1", job_role="head_of_sales")
        given = approver.post_form(f"/console/inbox/{decision_id}",
                                   {"verdict": verdict, "comment": "volume order"},
                                   token_from="/console/inbox")
        assert given.status_code == 302, given.get_data(as_text=True)
        return decision_id, page

    return run


def _decision(client, compliance, page: str) -> dict:
    decision_id = re.search(r"Decision ([0-9a-f-]{36}), logged", page).group(1)
    return client.get(f"/v1/decisions/{decision_id}", headers=compliance).get_json()


def test_the_same_proposal_checked_again_is_allowed_by_the_approval(
        approved, check, client, compliance):
    _, first = approved()
    assert "Uses approval" not in first
    # The same proposal, written another way (12.50 and 100000 are the same numbers).
    status, page = check(**{"discount.percent": "12.50", "deal.list_amount": "100000"})
    assert status == 200, page
    assert "<code>allow</code>" in page and "You may go ahead." in page
    approval_id, by, role, _until = USES.search(page).groups()
    assert (by, role) == ("h-1", "Head of sales")
    assert f"covered by: Head of sales · the approval {approval_id} given by h-1" in page
    logged = _decision(client, compliance, page)
    assert logged["outcome"] == "allow"
    assert logged["request"]["approvals"] == [{"approval_id": approval_id}]
    [reason] = [r for r in logged["reasons"] if r["rule"] == "pricing.segment-limit"]
    assert reason["satisfied_by"] == "head_of_sales" and reason["approval_id"] == approval_id
    assert logged["approval_problems"] == []
    # What a manager may grant alone does not count the approval.
    assert "you may grant alone for this client and deal: 10 %" in page


def test_a_prefilled_link_shows_the_approval_it_will_use(approved, sign_in):
    approved()
    console = sign_in("manager", person_id="m-7")
    # A CRM's link names no currency: the form shows its default, and so would send it.
    link = {path: value for path, value in VALUES.items() if path != "deal.currency"}
    page = console.get(FORM, query_string=link).get_data(as_text=True)
    assert USES.search(page).group(2) == "h-1"
    assert "Change anything in the proposal and they no longer count." in page


@pytest.mark.parametrize("changes", [
    {"discount.percent": "13"},  # an approval for 12.5 % does not cover 13 %
    {"deal.id": "d-2"},  # nor the same percent on another deal
    {"person_id": "m-8"},  # nor another manager's proposal
])
def test_another_proposal_gets_no_approval(approved, check, changes):
    approved()
    status, page = check(**changes)
    assert status == 200 and "require_approval" in page
    assert "Uses approval" not in page


def test_a_declined_approval_is_not_attached(approved, check):
    approved(verdict="decline")
    status, page = check()
    assert status == 200 and "require_approval" in page and "Uses approval" not in page


def test_an_approval_no_longer_counts_once_it_expires(approved, check, monkeypatch):
    approved()
    assert "Uses approval" in check()[1]
    later = clock.now() + timedelta(hours=72, seconds=1)
    monkeypatch.setattr(clock, "now", lambda: later)
    status, page = check()
    assert status == 200 and "require_approval" in page and "Uses approval" not in page


def test_the_service_finds_by_the_hmac_the_engine_compares(approved, db_engine):
    approved()
    policy = load_policy(POLICY)
    request = {"action": "discount", "actor": {"id": "m-7", "role": "manager"},
               "client": {"id": "c-1", "segment": "wholesale"},
               "deal": {"id": "d-1", "currency": "RUB", "list_amount": 100000},
               "discount": {"percent": 12.5}}
    [found] = attach.counting(db_engine, TEST_SECRET, policy, request)
    assert found.role == "head_of_sales" and found.by == "h-1"
    # The proposal is the engine's: request_id, as_of and approvals are not part of it.
    retried = {**request, "request_id": "r-1", "as_of": "2026-11-30"}
    assert (references.digest(TEST_SECRET, policy.proposal(retried))
            == references.digest(TEST_SECRET, policy.evaluate(request).proposal))
    assert attach.counting(db_engine, TEST_SECRET, policy, retried) == [found]
    with_it = attach.attached_to(request, [found])
    assert with_it["approvals"] == [{"approval_id": found.approval_id}]
    assert attach.attached_to(with_it, [found]) == with_it  # not twice
    decision = policy.decide(with_it, approvals=references.lookup(db_engine, TEST_SECRET))
    assert decision["outcome"] == "allow"
    # An invalid request has no proposal, and so no approval.
    assert attach.counting(db_engine, TEST_SECRET, policy, {"action": "discount"}) == []


def test_an_unreadable_log_is_a_503_on_checking_and_the_form_still_opens(
        sign_in, monkeypatch):
    console = sign_in("manager", person_id="m-7")

    def fails(*_args):
        raise OperationalError("SELECT", {}, Exception("database is down"))

    monkeypatch.setattr(attach, "counting", fails)
    assert console.get(FORM, query_string=VALUES).status_code == 200
    answer = console.post_form(FORM, VALUES)
    assert answer.status_code == 503
    assert "The decision log cannot be read; try again." in answer.get_data(as_text=True)
