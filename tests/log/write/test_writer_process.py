"""The log writer process (app/log/write/writer_process.py), on SQLite and PostgreSQL.

The service writes its log through a child process per worker; these tests run the app
that way (log_writer="process") and check what the contract relies on: every answered
decision is in one unbroken chain, a reused request_id is answered as the first, and a
writer that dies or hangs costs a 503, never a decision that is not in the log.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from sqlalchemy import select, text

from app.log.models import Decision
from app.log.write.writer import Entry, LogWriteError
from app.log.write.writer_process import WRITE_TIMEOUT, WriterProcess
from tests.bodies import make_body
from tests.chain import assert_one_chain
from tests.conftest import wait_until
from tests.log.write import frozen_writer

ACTIONS = ("discount", "shipment", "claim", "disclosure", "offer")



@pytest.fixture
def settings(settings, backend):
    """The conftest settings, but the app writes its log through a writer process."""
    return replace(settings, log_writer="process")


@pytest.fixture
def app(app):
    # Started and ready (its imports take a second or more on a busy machine), so the
    # first decision of a test does not race the start.
    assert app.extensions["dealguard.writer_process"].start(wait=60)
    yield app
    app.extensions["dealguard.writer_process"].close()


def writer_pid(app) -> int:
    pid = app.extensions["dealguard.writer_process"].pid
    assert pid is not None
    return pid


def shorten_write_timeout(app, seconds: float) -> None:
    app.extensions["dealguard.committer"].write_timeout = seconds
    app.extensions["dealguard.writer_process"].timeout = seconds


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def logged_request_ids(engine) -> list[str | None]:
    with engine.connect() as connection:
        return list(connection.execute(
            select(Decision.request_id).order_by(Decision.seq)).scalars())


def test_decisions_of_many_threads_are_written_by_the_child_in_one_chain(app, make_key,
                                                                         db_engine):
    headers = make_key("crm")
    answers: list[tuple[int, dict] | None] = [None] * 40

    def send(index: int) -> None:
        body = make_body(ACTIONS[index % 5], request_id=f"p-{index}")
        response = app.test_client().post("/v1/decisions", json=body, headers=headers)
        answers[index] = (response.status_code, response.get_json())

    threads = [threading.Thread(target=send, args=(i,)) for i in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert [status for status, _ in answers] == [200] * 40
    assert writer_pid(app) != os.getpid()
    assert assert_one_chain(db_engine) == 40
    assert sorted(logged_request_ids(db_engine)) == sorted(f"p-{i}" for i in range(40))


def test_a_reused_request_id_is_answered_as_the_first(app, client, make_key, db_engine):
    headers = make_key("crm")
    first = client.post("/v1/decisions", json=make_body("discount", request_id="r-1"),
                        headers=headers)
    again = client.post("/v1/decisions", json=make_body("discount", request_id="r-1"),
                        headers=headers)
    other = client.post("/v1/decisions",
                        json=make_body("discount", request_id="r-1", discount={"percent": 3}),
                        headers=headers)
    assert (first.status_code, again.status_code, other.status_code) == (200, 200, 409)
    assert again.get_json() == first.get_json()
    assert logged_request_ids(db_engine) == ["r-1"]


def test_a_killed_writer_is_replaced_and_the_chain_goes_on(app, client, make_key, db_engine):
    headers = make_key("crm")
    assert client.post("/v1/decisions", json=make_body("offer"), headers=headers).status_code == 200
    killed = writer_pid(app)
    os.kill(killed, signal.SIGKILL)
    app.extensions["dealguard.writer_process"]._child.process.wait(10)
    response = client.post("/v1/decisions", json=make_body("claim"), headers=headers)
    assert response.status_code == 200
    assert writer_pid(app) != killed
    assert assert_one_chain(db_engine) == 2


def test_a_write_the_database_refuses_is_a_503_and_logs_nothing(app, client, make_key,
                                                                 db_engine):
    headers = make_key("crm")
    with db_engine.begin() as connection:
        connection.execute(text("DROP TABLE decision_shadows"))
        connection.execute(text("DROP TABLE decision_reasons"))
        connection.execute(text("DROP TABLE approval_requests"))
        connection.execute(text("DROP TABLE decisions"))
    response = client.post("/v1/decisions", json=make_body("claim"), headers=headers)
    assert response.status_code == 503
    assert response.mimetype == "application/problem+json"
    assert "decision_id" not in response.get_json()


def test_a_hung_writer_fails_its_group_and_is_replaced(settings, backend, app, make_key,
                                                       client, db_engine):
    headers = make_key("crm")
    writer = app.extensions["dealguard.writer_process"]
    assert client.post("/v1/decisions", json=make_body("offer"), headers=headers).status_code == 200
    shorten_write_timeout(app, 1.0)
    hung = writer_pid(app)
    os.kill(hung, signal.SIGSTOP)
    try:
        response = client.post("/v1/decisions", json=make_body("claim", request_id="h-1"),
                               headers=headers)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(hung, signal.SIGCONT)  # killed by the parent by now, normally
    assert response.status_code == 503
    assert response.headers["Retry-After"]
    assert not alive(hung)  # killed before the answer: it can never write h-1 now
    shorten_write_timeout(app, WRITE_TIMEOUT)
    assert writer.start(wait=60)  # the replacement, started when the hung one was killed
    retry = client.post("/v1/decisions", json=make_body("claim", request_id="h-1"),
                        headers=headers)
    assert retry.status_code == 200
    assert writer_pid(app) != hung
    assert logged_request_ids(db_engine) == [None, "h-1"]
    assert assert_one_chain(db_engine) == 2


def freeze_next_group(app, tmp_path, monkeypatch, moment: str) -> None:
    """The writer's next group freezes it at `moment` (tests/log/write/frozen_writer.py)."""
    marker = tmp_path / "freeze"
    marker.write_text(moment)
    monkeypatch.setenv(frozen_writer.VARIABLE, str(marker))
    writer = app.extensions["dealguard.writer_process"]
    writer.close()
    writer.command = frozen_writer.COMMAND
    assert writer.start(wait=60)


def test_a_writer_frozen_before_its_commit_is_killed_and_its_decisions_never_logged(
        app, make_key, client, db_engine, tmp_path, monkeypatch):
    # Frozen holding the chain-head lock with the group inserted: the caller is told
    # 503 only once the writer is dead and (PostgreSQL) its session ended, so the group
    # can never be committed after; and the lock it held does not block the next one.
    headers = make_key("crm")
    freeze_next_group(app, tmp_path, monkeypatch, "before-commit")
    frozen = writer_pid(app)
    shorten_write_timeout(app, 2.0)
    response = client.post("/v1/decisions", json=make_body("claim", request_id="f-1"),
                           headers=headers)
    assert response.status_code == 503
    assert response.headers["Retry-After"]
    assert not alive(frozen)
    assert logged_request_ids(db_engine) == []
    shorten_write_timeout(app, WRITE_TIMEOUT)
    assert app.extensions["dealguard.writer_process"].start(wait=60)
    after = client.post("/v1/decisions", json=make_body("claim", request_id="f-2"),
                        headers=headers)
    assert after.status_code == 200
    assert logged_request_ids(db_engine) == ["f-2"]
    assert assert_one_chain(db_engine) == 1


def test_a_writer_frozen_after_its_commit_is_killed_and_its_decisions_answered_as_logged(
        app, make_key, client, db_engine, tmp_path, monkeypatch):
    # Committed but never answered: the log says so, and the caller gets the decision.
    headers = make_key("crm")
    freeze_next_group(app, tmp_path, monkeypatch, "after-commit")
    frozen = writer_pid(app)
    # Long enough for the child to commit before it is taken for hung, on any machine.
    shorten_write_timeout(app, 5.0)
    response = client.post("/v1/decisions", json=make_body("claim", request_id="c-1"),
                           headers=headers)
    assert response.status_code == 200
    assert not alive(frozen)
    with db_engine.connect() as connection:
        logged = connection.execute(select(Decision.decision_id, Decision.request_id)).all()
    assert [tuple(row) for row in logged] == [(response.get_json()["decision_id"], "c-1")]
    assert assert_one_chain(db_engine) == 1


def test_ready_says_not_ready_while_the_writer_is_frozen_and_ready_once_replaced(
        app, make_key, client, db_engine, tmp_path, monkeypatch):
    headers = make_key("crm")
    committer = app.extensions["dealguard.committer"]
    committer.fresh_seconds = 0  # every readiness check looks again
    freeze_next_group(app, tmp_path, monkeypatch, "before-commit")
    assert client.get("/health/ready").status_code == 200
    shorten_write_timeout(app, 3.0)
    answer: list = []
    decision = threading.Thread(target=lambda: answer.append(client.post(
        "/v1/decisions", json=make_body("claim"), headers=headers)))
    decision.start()
    wait_until(lambda: client.get("/health/ready").status_code == 503,
               "readiness says not ready while the writer is frozen")
    decision.join(60)
    assert answer[0].status_code == 503
    shorten_write_timeout(app, WRITE_TIMEOUT)
    wait_until(lambda: client.get("/health/ready").status_code == 200,
               "readiness says ready once the writer is replaced")
    assert logged_request_ids(db_engine) == []


def test_the_child_ends_when_its_worker_closes_the_pipe(settings, backend):
    writer = WriterProcess(settings.database_url)
    assert writer.start(wait=60)
    child = writer._child
    writer.close()
    assert child.process.wait(10) == 0


def sample_entries(count: int) -> list[Entry]:
    now = datetime.now(UTC)
    return [Entry(decision_id=f"d-{i}", request_id=None, request_fingerprint="f" * 64,
                  action="offer", outcome="allow", actor_id="m-1", actor_role="manager",
                  client_id="c-1", subject_id=None, order_id=None, key_name="k",
                  policy_name="p", policy_version="1", policy_sha256="s" * 64,
                  as_of=now.date(), decided_at=now, duration_ms=0.1,
                  body={"decision_id": f"d-{i}"}, body_text=f'{{"decision_id":"d-{i}"}}')
            for i in range(count)]


def test_a_frozen_writer_is_killed_even_when_a_group_does_not_fit_into_its_pipe(app):
    # 300 entries of 1 KiB do not fit the pipe's 64 KiB: sending them to a child that
    # reads nothing must give up at the deadline too, not wait for ever.
    writer = app.extensions["dealguard.writer_process"]
    writer.timeout = 1.0
    frozen = writer_pid(app)
    os.kill(frozen, signal.SIGSTOP)
    entries = [replace(entry, body_text=entry.body_text[:-1] + ',"pad":"' + "x" * 1024 + '"}')
               for entry in sample_entries(300)]
    outcomes: list = []
    sender = threading.Thread(target=lambda: outcomes.extend(writer.write(entries)), daemon=True)
    sender.start()
    sender.join(60)  # a bound against the hang this test is about
    with contextlib.suppress(ProcessLookupError):
        os.kill(frozen, signal.SIGCONT)
    assert not sender.is_alive()
    assert len(outcomes) == 300
    assert all(isinstance(outcome, LogWriteError) for outcome in outcomes)
    assert not alive(frozen)


def test_an_unreachable_database_fails_every_entry(tmp_path):
    # The child cannot open a database in a directory that is a file.
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    writer = WriterProcess(f"sqlite:///{blocker}/log.db")
    try:
        outcomes = writer.write(sample_entries(3))
    finally:
        writer.close()
    assert len(outcomes) == 3
    assert all(isinstance(outcome, LogWriteError) for outcome in outcomes)


def test_a_schema_without_a_chain_head_continues_from_its_last_record(backend, app, client,
                                                                      make_key, db_engine):
    # A schema made by create_all has no head row; the writer adds it from the log.
    headers = make_key("crm")
    for action in ("offer", "claim"):
        assert client.post("/v1/decisions", json=make_body(action),
                           headers=headers).status_code == 200
    with db_engine.begin() as connection:
        connection.execute(text("DELETE FROM decision_chain"))
    assert client.post("/v1/decisions", json=make_body("shipment"),
                       headers=headers).status_code == 200
    assert assert_one_chain(db_engine) == 3


def test_an_unexpected_error_on_the_pipe_replaces_the_child(app, client, make_key, db_engine,
                                                            monkeypatch):
    # Whatever breaks between sending a group and reading its answer, the answer may
    # still come later: the child is stopped, so no later group reads it as its own.
    from app.log.write import writer_process

    headers = make_key("crm")
    assert client.post("/v1/decisions", json=make_body("offer"), headers=headers).status_code == 200
    first = writer_pid(app)
    real = writer_process._receive
    calls = {"n": 0}

    def receive_once_broken(stream, timeout=None):
        calls["n"] += 1
        if calls["n"] == 1:
            raise ValueError("filedescriptor out of range")
        return real(stream, timeout)

    monkeypatch.setattr(writer_process, "_receive", receive_once_broken)
    broken = client.post("/v1/decisions", json=make_body("claim", request_id="u-1"),
                         headers=headers)
    # 503, unless the child committed the group before it was stopped: the parent then
    # finds the decision in the log and answers it as logged (a loaded machine does).
    assert broken.status_code in (200, 503)
    again = client.post("/v1/decisions", json=make_body("claim", request_id="u-1"),
                        headers=headers)
    assert again.status_code == 200
    assert writer_pid(app) != first
    # The first try may have been logged before the child was stopped: then the retry
    # was answered as that decision, and either way the log holds it once.
    assert logged_request_ids(db_engine).count("u-1") == 1
    assert assert_one_chain(db_engine) == 2


def test_a_batch_is_written_by_the_child_in_one_group(app, client, make_key, db_engine):
    headers = make_key("crm")
    same = make_body("claim", request_id="b-1")
    other = make_body("claim", request_id="b-1", client={"id": "c-2"})
    response = client.post("/v1/decisions/batch", headers=headers,
                           json={"requests": [same, make_body("offer", request_id="b-2"),
                                              same, other, {"action": "nope"}]})
    answers = response.get_json()["decisions"]
    assert [a.get("status", 200) for a in answers] == [200, 200, 200, 409, 422]
    assert answers[2] == answers[0]
    assert logged_request_ids(db_engine) == ["b-1", "b-2"]
    assert assert_one_chain(db_engine) == 2


def test_ready_says_whether_the_log_can_be_written(app, client, db_engine, monkeypatch):
    app.extensions["dealguard.committer"].fresh_seconds = 0  # every check looks again
    ready = client.get("/health/ready")
    assert ready.status_code == 200
    assert ready.get_json()["checks"]["log"] == "ok"
    # The database answers reads, but no write goes through.
    with db_engine.begin() as connection:
        connection.execute(text("DROP TABLE decision_chain"))
    down = client.get("/health/ready")
    assert down.status_code == 503
    assert down.mimetype == "application/problem+json"
    assert down.headers["Retry-After"]
    assert down.get_json()["checks"]["database"] == "ok"
    assert down.get_json()["checks"]["log"].startswith("cannot be written")


def test_ready_says_so_when_no_writer_process_can_start(app, client, monkeypatch):
    app.extensions["dealguard.committer"].fresh_seconds = 0

    def cannot_start(self):
        raise OSError("no such interpreter")

    writer = app.extensions["dealguard.writer_process"]
    writer.close()
    monkeypatch.setattr(WriterProcess, "_spawn", cannot_start)
    down = client.get("/health/ready")
    assert down.status_code == 503
    assert "cannot start" in down.get_json()["checks"]["log"]


def test_the_writer_process_writes_a_decisions_event_with_it(app, client, make_key, db_engine):
    from app.jsontext import loads
    from app.log.models import OutboxEvent

    admin = make_key("admin")
    assert client.post("/v1/webhooks", headers=admin, json={
        "url": "http://127.0.0.1:9/hook", "events": ["decision.require_approval"],
        "secret": "s" * 16}).status_code == 201
    answer = client.post("/v1/decisions", json=make_body("discount"),
                         headers=make_key("crm")).get_json()
    assert answer["outcome"] == "require_approval"
    with db_engine.connect() as connection:
        rows = connection.execute(select(OutboxEvent.event, OutboxEvent.data)).all()
    assert [(event, loads(data)["decision_id"]) for event, data in rows] == [
        ("decision.require_approval", answer["decision_id"])]


def test_the_version_id_and_the_shadow_cross_the_pipe(app, client, make_key, db_engine,
                                                      candidate_text):
    # The writer child gets entries as tuples (Entry.for_transport): the policy version a
    # decision was made under and the shadow's outcome must reach the database as well.
    from app.log.models import DecisionShadow

    admin = make_key("admin")
    candidate = candidate_text.replace("wholesale:   [10, 15, 20]", "wholesale:   [10, 12, 12]")
    client.post("/v1/policy/versions", data=candidate, content_type="text/yaml", headers=admin)
    assert client.post("/v1/policy/versions/2/shadow", headers=admin).status_code == 200
    answer = client.post("/v1/decisions", json=make_body("discount"), headers=admin).get_json()
    assert answer["outcome"] == "require_approval"
    with db_engine.connect() as connection:
        row = connection.execute(
            select(Decision.policy_version_id, DecisionShadow.version_id,
                   DecisionShadow.outcome, DecisionShadow.error)
            .join(DecisionShadow, DecisionShadow.decision_seq == Decision.seq)
            .where(Decision.decision_id == answer["decision_id"])).one()
    assert tuple(row) == (1, 2, "deny", None)
