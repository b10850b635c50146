"""A confidential value that a rule's message or a fact quotes is scrubbed from the log.

The log document is serialised once and scrubbed only when a clear value shows up in
it (app/decision_service.py); these tests take the path where it does.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import replace

import pytest
from sqlalchemy import select

from app.log.models import Decision
from app.log.write.masking import token
from tests.conftest import POLICY, TEST_SECRET


@pytest.fixture
def settings(settings, tmp_path):
    """The shipped policy with client.segment marked confidential: its pricing messages
    say "... for wholesale clients."."""
    path = tmp_path / "rules.yaml"
    shutil.copy(POLICY, path)
    text = path.read_text()
    path.write_text(text.replace("confidential:\n", "confidential:\n  - client.segment\n", 1))
    return replace(settings, policy_path=str(path))


def stored_document(engine) -> str:
    with engine.connect() as connection:
        return connection.execute(select(Decision.document)).scalar_one()


def test_a_quoted_confidential_value_is_replaced_by_its_token(post, body, db_engine):
    answer = post(body("discount")).get_json()  # 12.5 %: over the manager's limit
    messages = [reason["message"] for reason in answer["reasons"]]
    assert any("wholesale clients" in message for message in messages)  # the caller's
    document = stored_document(db_engine)
    assert "wholesale" not in document
    stored = json.loads(document)
    tokenised = token(TEST_SECRET, "wholesale")
    assert stored["request"]["client"]["segment"] == tokenised
    assert any(f"for {tokenised} clients" in reason["message"] for reason in stored["reasons"])
    assert [reason["rule"] for reason in stored["reasons"]] == [
        reason["rule"] for reason in answer["reasons"]]


def test_a_value_not_quoted_anywhere_leaves_the_rest_as_decided(post, body, db_engine):
    answer = post(body("claim")).get_json()
    stored = json.loads(stored_document(db_engine))
    assert stored["reasons"] == answer["reasons"]
    assert stored["outcome"] == answer["outcome"]


@pytest.mark.parametrize("name", ["deny", "promises.process-change", "no-empty-promises"])
def test_a_confidential_value_equal_to_a_policy_word_leaves_the_decision_as_made(
        post, body, db_engine, name):
    # A client named like an outcome, a rule or a principle (found by the fuzzer): the
    # logged reasons must keep what the policy decided, or the record no longer says
    # which rule denied and with what outcome.
    request = body("offer")
    request["client"]["name"] = name
    request["offer"]["custom_terms"] = [{"text": "Rebuild the warehouse",
                                         "requires_process_change": True}]
    answer = post(request).get_json()
    assert ("promises.process-change", "deny") in {
        (reason["rule"], reason["outcome"]) for reason in answer["reasons"]}
    stored = json.loads(stored_document(db_engine))
    assert stored["request"]["client"]["name"] == token(TEST_SECRET, name)

    def decided(reasons):
        return [(r["rule"], r["principle"], r["outcome"], r["approver"], r["satisfied_by"])
                for r in reasons]

    assert decided(stored["reasons"]) == decided(answer["reasons"])
    assert stored["obligations"] == answer["obligations"]
