"""GET /v1/decisions/verify and `dealguard log verify`: tampering straight in the database.

Each test runs on SQLite and on PostgreSQL (the root conftest's `postgres` marker:
required, never skipped, where DEALGUARD_REQUIRE_POSTGRES=1).
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
from click.testing import CliRunner
from sqlalchemy import delete, insert, select, text, update

from app.cli import main
from app.log.models import ChainHead, Decision, DecisionReason
from app.log.write import columns
from app.log.write.chain import link

pytestmark = pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])


@pytest.fixture
def chain(decide, backend):
    """Six logged decisions; shipments (no reasons) at seq 2..5 so rows can be moved."""
    decide("discount")
    for i in range(4):
        decide("shipment", client=f"c-{i}")
    decide("claim")


@pytest.fixture
def verify(client, compliance):
    def run() -> dict:
        response = client.get("/v1/decisions/verify", headers=compliance)
        assert response.status_code == 200
        return response.get_json()

    return run


def _row(engine, seq: int):
    with engine.connect() as connection:
        return connection.execute(select(Decision.__table__).where(Decision.seq == seq)).one()


def _execute(engine, *statements) -> None:
    with engine.begin() as connection:
        for statement in statements:
            connection.execute(statement)


def test_an_untouched_log_verifies(chain, verify):
    assert verify() == {"ok": True, "checked": 6, "first_bad_seq": None, "problem": None}


def test_an_empty_log_verifies(verify, backend):
    assert verify()["ok"] is True and verify()["checked"] == 0


def test_a_changed_document_is_found(chain, verify, db_engine):
    document = _row(db_engine, 3).document.replace('"allow"', '"deny"')
    _execute(db_engine, update(Decision).where(Decision.seq == 3).values(document=document))
    result = verify()
    assert (result["ok"], result["first_bad_seq"], result["checked"]) == (False, 3, 2)


def test_a_changed_document_with_its_hash_recomputed_is_found(chain, verify, db_engine):
    row = _row(db_engine, 3)
    document = row.document.replace('"amount":400', '"amount":40')  # no column copies it
    _execute(db_engine, update(Decision).where(Decision.seq == 3).values(
        document=document, hash=link(row.prev_hash, document)))
    assert verify()["first_bad_seq"] == 4  # the next record no longer links to it


def test_a_changed_hash_is_found(chain, verify, db_engine):
    _execute(db_engine, update(Decision).where(Decision.seq == 2).values(hash="f" * 64))
    assert verify()["first_bad_seq"] == 2


def test_a_changed_filter_column_is_found(chain, verify, db_engine):
    # The hash still holds, but the log would now answer outcome=deny with this record.
    _execute(db_engine, update(Decision).where(Decision.seq == 4).values(outcome="deny"))
    result = verify()
    assert result["first_bad_seq"] == 4 and "outcome" in result["problem"]


# A value each column could be given in SQL instead of its document's.
OTHER_VALUES = {
    "decision_id": "ffffffff-0000-4000-8000-000000000000", "request_id": "crm-forged",
    "request_fingerprint": "0" * 64, "action": "discount", "outcome": "deny",
    "actor_id": "m-2", "actor_role": "head_of_sales", "client_id": "c-2",
    "subject_id": "cl-2", "order_id": "o-2", "key_name": "someone-else",
    "policy_name": "other-policy", "policy_version": "1999.1", "policy_sha256": "0" * 64,
    "policy_version_id": 99, "as_of": date(2020, 1, 1),
    "decided_at": datetime(2020, 1, 1, 12, tzinfo=UTC),
    "duration_ms": 99.5,
}


@pytest.mark.parametrize("column", columns.COPIED)
def test_each_column_changed_in_sql_is_found(chain, verify, db_engine, column):
    # Seq 6 is a claim: every column holds a value (a subject and an order too). The
    # hash still holds; a filter, or a manager's view, would now show it elsewhere.
    _execute(db_engine, update(Decision).where(Decision.seq == 6).values(
        {column: OTHER_VALUES[column]}))
    result = verify()
    assert (result["ok"], result["first_bad_seq"], result["checked"]) == (False, 6, 5)
    assert result["problem"] == f"column {column} differs from the document"


@pytest.mark.parametrize("column", ["subject_id", "order_id", "actor_id", "client_id",
                                    "policy_version_id"])
def test_a_column_emptied_in_sql_is_found(chain, verify, db_engine, column):
    _execute(db_engine, update(Decision).where(Decision.seq == 6).values({column: None}))
    assert verify()["first_bad_seq"] == 6


def test_decided_at_moved_by_a_millisecond_is_found(chain, verify, db_engine):
    logged = _row(db_engine, 6).decided_at
    moved = logged.replace(microsecond=(logged.microsecond + 1000) % 1_000_000)
    _execute(db_engine, update(Decision).where(Decision.seq == 6).values(decided_at=moved))
    assert verify()["first_bad_seq"] == 6


def test_a_deleted_record_is_found(chain, verify, db_engine):
    _execute(db_engine, delete(Decision).where(Decision.seq == 3))
    result = verify()
    assert (result["ok"], result["first_bad_seq"]) == (False, 3)


def test_a_deleted_first_record_is_found(chain, verify, db_engine):
    _execute(db_engine, delete(DecisionReason).where(DecisionReason.decision_seq == 1),
             delete(Decision).where(Decision.seq == 1))
    assert verify()["first_bad_seq"] == 1


def test_deleting_the_newest_records_is_found(chain, verify, db_engine):
    _execute(db_engine, delete(DecisionReason).where(DecisionReason.decision_seq == 6),
             delete(Decision).where(Decision.seq >= 5))
    result = verify()
    assert (result["ok"], result["first_bad_seq"], result["checked"]) == (False, 5, 4)


def test_deleting_and_renumbering_is_found(chain, verify, db_engine):
    # Close the gap: 4 and 5 move down one. Their documents still name the old seq and
    # prev_hash links, so the chain breaks where the record was taken out.
    _execute(db_engine, delete(Decision).where(Decision.seq == 3),
             update(Decision).where(Decision.seq == 4).values(seq=3),
             update(Decision).where(Decision.seq == 5).values(seq=4))
    assert verify()["first_bad_seq"] == 3


def _forged(engine, seq: int, prev_hash: str) -> dict:
    template = _row(engine, 2)._asdict()
    document = template["document"].replace('"seq":2', f'"seq":{seq}').replace(
        template["decision_id"], "ffffffff-0000-4000-8000-000000000000")
    return {**template, "seq": seq, "decision_id": "ffffffff-0000-4000-8000-000000000000",
            "request_id": None, "document": document, "prev_hash": prev_hash,
            "hash": link(prev_hash, document)}


def test_a_forged_record_appended_with_a_valid_link_is_found(chain, verify, db_engine):
    # Whoever knows the algorithm can forge a link; the chain head the writers keep
    # still ends at seq 6.
    _execute(db_engine, insert(Decision).values(_forged(db_engine, 7, _row(db_engine, 6).hash)))
    result = verify()
    assert (result["ok"], result["first_bad_seq"], result["checked"]) == (False, 7, 6)


def test_a_forged_record_inserted_in_the_middle_is_found(chain, verify, db_engine):
    # Make room at seq 3 by moving 3..5 (shipments, no reasons) up, from the top.
    moves = [update(Decision).where(Decision.seq == seq).values(seq=seq + 100)
             for seq in (6, 5, 4, 3)]
    _execute(db_engine, delete(DecisionReason).where(DecisionReason.decision_seq == 6), *moves,
             *[update(Decision).where(Decision.seq == seq + 100).values(seq=seq + 1)
               for seq in (3, 4, 5, 6)])
    _execute(db_engine, insert(Decision).values(_forged(db_engine, 3, _row(db_engine, 2).hash)))
    result = verify()
    assert result["ok"] is False and result["first_bad_seq"] in (3, 4)


def test_a_forged_record_with_a_made_up_hash_is_found(chain, verify, db_engine):
    forged = {**_forged(db_engine, 7, _row(db_engine, 6).hash), "hash": "a" * 64}
    _execute(db_engine, insert(Decision).values(forged),
             update(ChainHead).values(seq=7, hash="a" * 64))
    assert verify()["first_bad_seq"] == 7


def test_two_swapped_records_are_found(chain, verify, db_engine):
    _execute(db_engine,
             update(Decision).where(Decision.seq == 2).values(seq=1000),
             update(Decision).where(Decision.seq == 4).values(seq=2),
             update(Decision).where(Decision.seq == 1000).values(seq=4))
    result = verify()
    assert (result["ok"], result["first_bad_seq"]) == (False, 2)


def test_two_swapped_neighbours_are_found(chain, verify, db_engine):
    _execute(db_engine,
             update(Decision).where(Decision.seq == 3).values(seq=1000),
             update(Decision).where(Decision.seq == 4).values(seq=3),
             update(Decision).where(Decision.seq == 1000).values(seq=4))
    assert verify()["first_bad_seq"] == 3


def test_swapped_contents_under_kept_seqs_are_found(chain, verify, db_engine):
    two, four = _row(db_engine, 2)._asdict(), _row(db_engine, 4)._asdict()
    content = ("decision_id", "request_fingerprint", "client_id", "document", "prev_hash",
               "hash")
    _execute(db_engine,
             update(Decision).where(Decision.seq == 2).values(decision_id="tmp"),
             update(Decision).where(Decision.seq == 4).values({k: two[k] for k in content}),
             update(Decision).where(Decision.seq == 2).values({k: four[k] for k in content}))
    assert verify()["first_bad_seq"] == 2


def test_a_deleted_reason_row_is_found(chain, verify, db_engine):
    # The record stays intact, but rule=pricing.segment-limit would no longer find it.
    _execute(db_engine, delete(DecisionReason).where(DecisionReason.decision_seq == 1))
    result = verify()
    assert (result["ok"], result["first_bad_seq"]) == (False, 1)
    assert "reason" in result["problem"]


def test_a_changed_reason_row_is_found(chain, verify, db_engine):
    _execute(db_engine, update(DecisionReason).where(DecisionReason.decision_seq == 6)
             .values(rule="claims.something-else"))
    assert verify()["first_bad_seq"] == 6


def test_an_added_reason_row_is_found(chain, verify, db_engine):
    _execute(db_engine, insert(DecisionReason).values(
        decision_seq=3, rule="pricing.segment-limit", principle="pricing-policy",
        outcome="deny"))
    assert verify()["first_bad_seq"] == 3


def test_verify_is_raw_sql_proof(chain, verify, db_engine, backend):
    # A change made in plain SQL, as someone at a database prompt would.
    _execute(db_engine, text("UPDATE decisions SET document = document || ' ' WHERE seq = 5"))
    assert verify()["first_bad_seq"] == 5


def test_cli_verify_exits_1_when_broken(app, chain, db_engine, monkeypatch):
    settings = app.config["SETTINGS"]
    monkeypatch.setenv("DEALGUARD_DATABASE_URL", settings.database_url)
    runner = CliRunner()
    result = runner.invoke(main, ["log", "verify"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {"ok": True, "checked": 6, "first_bad_seq": None,
                                         "problem": None}
    _execute(db_engine, delete(Decision).where(Decision.seq == 2))
    result = runner.invoke(main, ["log", "verify"])
    assert result.exit_code == 1
    assert json.loads(result.output)["first_bad_seq"] == 2
