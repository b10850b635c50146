"""Group commit (app/log/write/group_commit.py): concurrent decisions share one transaction.

Each test runs on SQLite and on PostgreSQL. A gate holds the committer in its first
write, so the decisions sent meanwhile queue up and are written as one group, whatever
the speed of the machine: no test here depends on timing.
"""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from app.jsontext import loads
from app.log.models import Decision
from app.log.write import writer
from app.log.write.chain import GENESIS, link
from tests.bodies import make_body
from tests.conftest import wait_until

ACTIONS = ("discount", "shipment", "claim", "disclosure", "offer")


pytestmark = pytest.mark.usefixtures("backend")  # every test on SQLite and PostgreSQL


def verified_chain(engine) -> list[Decision]:
    """The log's rows, after checking seqs 1..n, each prev_hash and each hash."""
    with engine.connect() as connection:
        rows = connection.execute(
            select(Decision.seq, Decision.decision_id, Decision.request_id, Decision.prev_hash,
                   Decision.hash, Decision.document).order_by(Decision.seq)).all()
    previous = GENESIS
    for expected_seq, row in enumerate(rows, start=1):
        assert row.seq == expected_seq and row.prev_hash == previous
        assert loads(row.document)["seq"] == row.seq
        assert row.hash == link(row.prev_hash, row.document)
        previous = row.hash
    return rows


def write_failures(client) -> float:
    for line in client.get("/metrics").get_data(as_text=True).splitlines():
        if line.startswith("dealguard_log_write_failures_total "):
            return float(line.split()[1])
    return 0.0


class Gate:
    """Wraps writer.append_many: the first write waits until open(); records groups."""

    def __init__(self, monkeypatch, fail_groups_over: int | None = None) -> None:
        self.real = writer.append_many
        self.opened = threading.Event()
        self.groups: list[list[str | None]] = []
        self.fail_groups_over = fail_groups_over
        monkeypatch.setattr(writer, "append_many", self._append_many)

    def _append_many(self, engine, entries):
        self.groups.append([entry.request_id for entry in entries])
        if len(self.groups) == 1:
            self.opened.wait(60)
        elif self.fail_groups_over is not None and len(entries) > self.fail_groups_over:
            raise writer.LogWriteError("OperationalError")
        return self.real(engine, entries)

    def open(self) -> None:
        self.opened.set()


def post_in_threads(app, headers, bodies, committer=None, hold: Gate | None = None):
    """POST each body from its own thread; with `hold`, all of them queue behind the gate.

    Returns the responses in the order of `bodies` as (status, json).
    """
    answers: list[tuple[int, dict] | None] = [None] * len(bodies)

    def send(index: int) -> None:
        response = app.test_client().post("/v1/decisions", json=bodies[index], headers=headers)
        answers[index] = (response.status_code, response.get_json())

    threads = [threading.Thread(target=send, args=(i,)) for i in range(len(bodies))]
    for number, thread in enumerate(threads, start=1):
        thread.start()
        if hold is not None:
            # One at a time, so the queue's order is the order of `bodies`.
            wait_until(lambda n=number: committer.waiting == n, f"{number} queued")
    if hold is not None:
        hold.open()
    for thread in threads:
        thread.join(120)
    return answers


def held_committer(app, headers, gate: Gate):
    """Send one decision that the gate holds in the committer; return (thread, answer)."""
    committer = app.extensions["dealguard.committer"]
    first: dict = {}

    def send() -> None:
        response = app.test_client().post(
            "/v1/decisions", json=make_body("claim", request_id="held"), headers=headers)
        first["status"], first["json"] = response.status_code, response.get_json()

    thread = threading.Thread(target=send)
    thread.start()
    wait_until(lambda: len(gate.groups) == 1, "the committer holds the first write")
    return committer, thread, first


def test_many_threads_deciding_at_once_are_all_logged_in_one_chain(app, make_key, db_engine):
    headers = make_key("crm")
    bodies = [make_body(ACTIONS[i % 5], request_id=f"t-{i}") for i in range(64)]
    answers = post_in_threads(app, headers, bodies)
    assert [status for status, _ in answers] == [200] * 64
    rows = verified_chain(db_engine)
    assert len(rows) == 64
    assert {row.decision_id for row in rows} == {answer["decision_id"] for _, answer in answers}


def test_decisions_queued_together_share_one_transaction(app, make_key, db_engine, monkeypatch):
    headers = make_key("crm")
    gate = Gate(monkeypatch)
    committer, held, first = held_committer(app, headers, gate)
    bodies = [make_body(ACTIONS[i % 5], request_id=f"g-{i}") for i in range(12)]
    answers = post_in_threads(app, headers, bodies, committer, hold=gate)
    held.join(60)
    assert first["status"] == 200
    assert gate.groups == [["held"], [f"g-{i}" for i in range(12)]]
    assert [status for status, _ in answers] == [200] * 12
    rows = verified_chain(db_engine)
    assert [row.request_id for row in rows] == ["held"] + [f"g-{i}" for i in range(12)]
    assert [row.decision_id for row in rows[1:]] == [a["decision_id"] for _, a in answers]


def test_a_failed_group_answers_503_to_every_member_and_logs_none(app, client, make_key,
                                                                  db_engine, monkeypatch):
    headers = make_key("crm")
    failures_before = write_failures(client)
    gate = Gate(monkeypatch, fail_groups_over=1)
    committer, held, first = held_committer(app, headers, gate)
    bodies = [make_body(ACTIONS[i % 5], request_id=f"f-{i}") for i in range(6)]
    answers = post_in_threads(app, headers, bodies, committer, hold=gate)
    held.join(60)
    assert first["status"] == 200
    assert [status for status, _ in answers] == [503] * 6
    assert all("decision_id" not in answer for _, answer in answers)
    assert [row.request_id for row in verified_chain(db_engine)] == ["held"]
    assert write_failures(client) == failures_before + 6
    # The committer goes on: the next decision is written.
    assert client.post("/v1/decisions", json=make_body("offer"), headers=headers).status_code == 200


def test_a_request_id_twice_in_a_group_is_answered_as_the_first(app, make_key, db_engine,
                                                                monkeypatch):
    headers = make_key("crm")
    gate = Gate(monkeypatch)
    committer, held, _ = held_committer(app, headers, gate)
    same = make_body("discount", request_id="dup")
    other_body = make_body("discount", request_id="dup", discount={"percent": 3})
    bodies = [same, make_body("offer", request_id="o-1"), same, other_body,
              make_body("claim", request_id="held"), make_body("shipment", request_id="s-1")]
    answers = post_in_threads(app, headers, bodies, committer, hold=gate)
    held.join(60)
    statuses = [status for status, _ in answers]
    # The second "dup" replays the first; another body with it is a 409; "held" was
    # logged by the held decision (same body), so it is replayed too.
    assert statuses == [200, 200, 200, 409, 200, 200]
    assert answers[2][1] == answers[0][1]
    rows = verified_chain(db_engine)
    assert [row.request_id for row in rows] == ["held", "dup", "o-1", "s-1"]
    assert answers[4][1]["decision_id"] == rows[0].decision_id
    # The neighbours of the duplicates were written together, in one transaction.
    assert gate.groups[-1] == ["dup", "o-1", "s-1"]
