"""Crash proofs: kill -9 a worker, a writer process and the master of a real gunicorn under load.

The promise (CONTRACT §3): no decision is answered that is not in the log. Client
threads post decisions, each with a request_id of its own, and record every answer;
meanwhile a worker, then a log writer process (a worker's child), then the master are
killed with SIGKILL. Then every decision answered 200 is in the log under its
decision_id and request_id, and `dealguard log verify` passes; a new server on the same
database goes on with the chain. Each answer that is not a 200 is a 503 problem with
Retry-After, or no answer at all (the connection died with its process).

Run on SQLite and on PostgreSQL; each stays well under a minute (`pytest -s` prints the
figures, quoted in README "Reliability").
"""

from __future__ import annotations

import os
import signal

import pytest

from tests.served.served import Load, Served, alive, logged_decisions, report, verified

pytestmark = pytest.mark.usefixtures("backend")

ACKS_PER_STEP = 40


@pytest.fixture
def url(backend, tmp_path, request) -> str:
    if backend == "postgres":
        return request.getfixturevalue("postgres_url")
    return f"sqlite:///{tmp_path / 'crash.db'}"


def test_no_acknowledged_decision_is_lost_to_kill_9(backend, url, tmp_path):
    server = Served(url, tmp_path)
    load = Load(server, threads=4)
    try:
        load.start()
        load.wait_for(ACKS_PER_STEP, "before any kill")

        worker = server.workers()[0]
        os.kill(worker, signal.SIGKILL)
        load.wait_for(ACKS_PER_STEP, "after a worker was killed")

        writer = server.writers()[0]
        os.kill(writer, signal.SIGKILL)
        load.wait_for(ACKS_PER_STEP, "after a writer process was killed")

        workers = server.workers()
        os.kill(server.master, signal.SIGKILL)
        server.process.wait(30)
        # Orphaned, the workers notice their master is gone, finish the requests they
        # hold and end; their writers end with them.
        for pid in workers:
            _wait_gone(pid)
        load.stop()
    finally:
        load.stop()
        server.stop()

    # A new server on the same database goes on with the chain after all three kills.
    after = Served(url, tmp_path, migrate=False)
    try:
        more = Load(after, threads=2)
        for number in range(5):
            assert more.decide(f"after-{number}").status == 200
    finally:
        after.stop()

    logged = logged_decisions(url)
    figures = load.figures(logged)
    report(f"crash {backend}", figures)
    acknowledged = load.acknowledged()
    missing = {d: r for d, r in acknowledged.items() if logged.get(d) != r}
    assert not missing, f"{len(missing)} acknowledged decisions are not in the log"
    assert figures["acknowledged"] >= 3 * ACKS_PER_STEP
    refused = [a for a in load.answers if a.status not in (200, None)]
    assert all(a.status == 503 and a.retry_after and a.problem_json for a in refused), \
        {a.status for a in refused}
    assert verified(url)["ok"] is True


def _wait_gone(pid: int) -> None:
    import time

    deadline = time.monotonic() + 60  # a bound against a hang (graceful_timeout is 20 s)
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
