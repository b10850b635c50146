"""The service as an operator runs it: migrated database, a key, `gunicorn -w 2 wsgi:app`.

Checks what only several real worker processes show: /metrics sums every worker, and
the decisions of both workers form one chain.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select

from app import telemetry
from app.auth import create_key
from app.cli.service import upgrade
from app.jsontext import loads
from app.log.models import Decision
from app.log.write.chain import GENESIS, link
from tests.served.served import free_port

REPO = Path(__file__).resolve().parents[2]


def call(url: str, body: dict | None = None, key: str | None = None) -> tuple[int, str]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method="POST" if data else "GET")
    if data:
        request.add_header("Content-Type", "application/json")
    if key:
        request.add_header("Authorization", f"Bearer {key}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


@pytest.fixture
def served(tmp_path):
    url = f"sqlite:///{tmp_path / 'served.db'}"
    upgrade(url)
    engine = create_engine(url)
    from sqlalchemy.orm import Session

    with Session(engine) as session:
        key = create_key(session, "crm", "served-crm")
    port = free_port()
    env = dict(os.environ, DEALGUARD_DATABASE_URL=url,
               DEALGUARD_POLICY=str(REPO / "policies" / "rules.yaml"),
               DEALGUARD_SECRET_KEY="served-secret", GUNICORN_ACCESSLOG="/dev/null")
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "-w", "2",
         "-b", f"127.0.0.1:{port}", "wsgi:app"],
        cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                if call(base + "/health/ready")[0] == 200:
                    break
            except OSError:
                pass
            time.sleep(0.1)
        else:
            pytest.fail("gunicorn did not become ready")
        yield base, key, engine
    finally:
        server.terminate()
        server.wait(timeout=30)
        engine.dispose()


def test_metrics_sum_every_worker_and_the_chain_is_one(served, body):
    base, key, engine = served
    statuses = [call(base + "/v1/decisions", body("claim"), key)[0] for _ in range(30)]
    assert set(statuses) == {200}
    # Each worker publishes its counts once a second (app/telemetry.py): after that,
    # whichever worker answers the scrape, it reports all 30.
    def claims() -> float:
        page = call(base + "/metrics")[1]
        line = next(line for line in page.splitlines()
                    if line.startswith('dealguard_decisions_total{action="claim"'))
        return float(line.split()[-1])

    answered = time.monotonic()
    while claims() != 30 and time.monotonic() - answered < 3:
        time.sleep(0.1)
    assert time.monotonic() - answered < telemetry.FLUSH_SECONDS + 1.0
    for _ in range(6):
        assert claims() == 30
    with engine.connect() as connection:
        rows = connection.execute(select(Decision.seq, Decision.prev_hash, Decision.hash,
                                         Decision.document).order_by(Decision.seq)).all()
    previous = GENESIS
    for seq, row in enumerate(rows, start=1):
        assert row.seq == seq and row.prev_hash == previous
        assert loads(row.document)["seq"] == seq
        assert row.hash == link(row.prev_hash, row.document)
        previous = row.hash
    assert len(rows) == 30
