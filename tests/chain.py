"""Checks of the hash chain shared by the SQLite and PostgreSQL tests."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import select

from app.api import database
from app.auth import create_key
from app.jsontext import loads
from app.log.models import Decision
from app.log.write.chain import GENESIS, link

REPO = Path(__file__).resolve().parents[1]

# One process deciding N times through the app, like a gunicorn worker of its own.
WRITER = """
import json, os, sys
sys.path.insert(0, os.environ["REPO"])
from app import create_app
from app.config import Settings
settings = Settings(database_url=os.environ["URL"], policy_path=os.environ["POLICY"],
                    secret_key="test-secret-for-hmac", environment="test")
client = create_app(settings).test_client()
body = json.loads(os.environ["BODY"])
headers = {"Authorization": "Bearer " + os.environ["KEY"]}
codes = [client.post("/v1/decisions", json=body, headers=headers).status_code
         for _ in range(int(os.environ["N"]))]
print(json.dumps(codes))
"""


def assert_one_chain(engine) -> int:
    """Assert the log is one unbroken chain from seq 1; return its length."""
    with engine.connect() as connection:
        rows = connection.execute(
            select(Decision.seq, Decision.prev_hash, Decision.hash, Decision.document)
            .order_by(Decision.seq)).all()
    previous = GENESIS
    for expected_seq, row in enumerate(rows, start=1):
        assert row.seq == expected_seq
        assert row.prev_hash == previous
        assert loads(row.document)["seq"] == row.seq
        assert row.hash == link(row.prev_hash, row.document)
        previous = row.hash
    return len(rows)


def decide_from_processes(app, settings, request: dict, key_name: str, processes: int,
                          per_process: int) -> None:
    """Run `processes` writer processes at once, each deciding `request` per_process times."""
    with app.app_context():
        key = create_key(database.session(), "crm", key_name)
    env = dict(os.environ, REPO=str(REPO), URL=settings.database_url,
               POLICY=settings.policy_path, BODY=json.dumps(request), KEY=key,
               N=str(per_process))
    writers = [subprocess.Popen([sys.executable, "-c", WRITER], env=env, text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
               for _ in range(processes)]
    results = [writer.communicate(timeout=120) for writer in writers]
    for writer, (out, err) in zip(writers, results, strict=True):
        assert writer.returncode == 0, err[-2000:]
        assert set(json.loads(out.strip().splitlines()[-1])) == {200}
