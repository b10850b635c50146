"""`dealguard worker` as a real process: SIGTERM lets the deliveries under way finish,
hands back what it had not begun, and exits 0."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.cli.service import upgrade
from app.db import make_engine
from app.log.write.outbox import add_event
from app.webhooks import registry
from app.webhooks.models import WebhookDelivery
from tests.conftest import REPO, wait_until
from tests.webhooks.receiver import Receiver

SERVICE_SECRET = "worker-test-service-secret"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request, tmp_path):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'worker.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    upgrade(url)
    engine = make_engine(url)
    yield url, engine
    engine.dispose()


def start_worker(url: str) -> subprocess.Popen:
    env = {**os.environ, "DEALGUARD_DATABASE_URL": url, "DEALGUARD_SECRET_KEY": SERVICE_SECRET}
    return subprocess.Popen([sys.executable, "-m", "app.cli", "worker"], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


EVENTS = 30  # more than a worker takes at once (Limits.claim_batch) and POSTs at once


def test_sigterm_finishes_the_deliveries_under_way_and_exits_0(database):
    url, engine = database
    arrived, release = threading.Event(), threading.Event()

    def hold(_received):
        arrived.set()
        release.wait(30)
        return 200, b""

    with Receiver(hold).running() as receiver:
        with Session(engine) as session:
            registry.create(session, SERVICE_SECRET, receiver.url, ["decision.denied"],
                            "receiver-secret-0001")
        with engine.begin() as connection:
            for n in range(EVENTS):
                add_event(connection, "decision.denied", {"n": n}, datetime.now(UTC))
        worker = start_worker(url)
        try:
            wait_until(arrived.is_set, "the first delivery reached the receiver")
            worker.send_signal(signal.SIGTERM)
            threading.Timer(0.5, release.set).start()  # the receiver answers a moment later
            assert worker.wait(timeout=60) == 0, worker.stderr.read()
        finally:
            if worker.poll() is None:
                worker.kill()
                worker.wait()
    with engine.connect() as connection:
        rows = connection.execute(select(WebhookDelivery.id, WebhookDelivery.state,
                                         WebhookDelivery.attempts,
                                         WebhookDelivery.lease_until)).all()
    received = {r.headers["X-Dealguard-Delivery"] for r in receiver.received}
    # Those under way were finished and recorded; the others were handed back untried,
    # free for any worker at once.
    assert received and {row.id for row in rows if row.state == "delivered"} == received
    untried = [row for row in rows if row.id not in received]
    assert untried and all((row.state, row.attempts, row.lease_until) == ("pending", 0, None)
                           for row in untried)


def test_sigterm_when_idle_exits_0(database):
    url, _engine = database
    worker = start_worker(url)
    try:
        wait_until(lambda: "started" in _stderr_line(worker), "the worker started")
        worker.send_signal(signal.SIGINT)  # Ctrl-C
        assert worker.wait(timeout=60) == 0
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()


def _stderr_line(process: subprocess.Popen) -> str:
    return process.stderr.readline()
