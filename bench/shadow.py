"""What a shadow version costs a decision: POST /v1/decisions with and without one.

    .venv/bin/python -m bench.shadow                    # --n 3000 --db sqlite
    .venv/bin/python -m bench.shadow --db postgresql    # in a schema of its own

Decides generated requests (bench.requests, every action) through the Flask test client
with a crm key: parsing, the policy, the record, the log's append (synchronous=FULL on
SQLite) and the answer, one request at a time. Blocks of 200 requests alternate between
no shadow and a shadow version (the same policy with other discount limits, so it
decides otherwise often) until each mode has `--n`; the alternation spreads a busy
neighbour's noise over both. Prints p50/p95/mean per mode and the differences; then,
since on a busy machine those differences are mostly noise, the shadow's own step
(app.decision_service._shadow: judge the request, make its row) timed alone, in-process.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if sys.path[0] == str(ROOT / "bench"):  # run as a file: don't let bench/requests.py shadow
    sys.path[0] = str(ROOT)             # the `requests` package for anything imported later

from bench.requests import generate  # noqa: E402
from bench.timing import machine, percentile  # noqa: E402

POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
BLOCK = 200
RULES = ROOT / "policies" / "rules.yaml"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=3000, help="decisions per mode")
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        url, drop = _database(args.db, directory)
        try:
            _run(url, args.n, args.db)
        finally:
            drop()


def _database(which: str, directory: str):
    if which == "sqlite":
        return f"sqlite:///{directory}/shadow.db", lambda: None
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    schema = "bench_" + uuid.uuid4().hex[:10]
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(POSTGRES_URL).update_query_dict({"options": f"-csearch_path={schema}"})

    def drop() -> None:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()

    return url.render_as_string(hide_password=False), drop


def _run(url: str, n: int, which: str) -> None:
    from app import create_app
    from app.api import database
    from app.auth import create_key
    from app.cli.service import upgrade
    from app.config import Settings

    upgrade(url)
    settings = Settings(database_url=url, policy_path=str(RULES), secret_key="bench-secret",
                        environment="bench", log_writer="thread")
    app = create_app(settings)
    with app.app_context():
        crm = create_key(database.session(), "crm", "bench-crm")
        admin = create_key(database.session(), "admin", "bench-admin")
    client = app.test_client()
    headers = {"Authorization": f"Bearer {crm}"}
    admin_headers = {"Authorization": f"Bearer {admin}"}
    candidate = RULES.read_text(encoding="utf-8").replace(
        "wholesale:   [10, 15, 20]", "wholesale:   [8, 12, 18]").replace(
        "retail:      [5, 10, 15]", "retail:      [4, 8, 12]")
    version_id = client.post("/v1/policy/versions", data=candidate, content_type="text/yaml",
                             headers=admin_headers).get_json()["version_id"]
    requests = generate(2 * n + 400)
    for body in requests[:400]:  # warm-up, both modes
        client.post("/v1/decisions", json=body, headers=headers)
    spent: dict[str, list[int]] = {"no shadow": [], "shadow": []}
    cursor = 400
    mode = "no shadow"
    while min(len(v) for v in spent.values()) < n:
        if mode == "shadow":
            client.post(f"/v1/policy/versions/{version_id}/shadow", headers=admin_headers)
        else:
            client.delete("/v1/policy/shadow", headers=admin_headers)
        for body in requests[cursor:cursor + BLOCK]:
            started = time.perf_counter_ns()
            response = client.post("/v1/decisions", json=body, headers=headers)
            spent[mode].append(time.perf_counter_ns() - started)
            if response.status_code != 200:
                raise SystemExit(f"decision failed: {response.status_code} {response.data!r}")
        cursor += BLOCK
        mode = "shadow" if mode == "no shadow" else "no shadow"
    report = client.get("/v1/policy/shadow", query_string={"version_id": version_id},
                        headers=admin_headers).get_json()
    print(f"{machine()}; {which}; {n} decisions per mode, one at a time")
    rows = {}
    for name, samples in spent.items():
        rows[name] = (percentile(samples, 50), percentile(samples, 95),
                      statistics.fmean(samples) / 1000)
        print(f"  {name:<10} p50 {rows[name][0]:8.0f} µs   p95 {rows[name][1]:8.0f} µs   "
              f"mean {rows[name][2]:8.0f} µs")
    deltas = [b - a for a, b in zip(rows["no shadow"], rows["shadow"], strict=True)]
    print(f"  difference p50 {deltas[0]:+8.0f} µs   p95 {deltas[1]:+8.0f} µs   "
          f"mean {deltas[2]:+8.0f} µs")
    print(f"  the shadow changed {report['changed']} of {report['evaluated']} decisions "
          f"({report['by_transition']}), errors {report['errors']}")
    _time_the_step(app, requests[:n], version_id)
    app.extensions["dealguard.policy"].close()
    app.extensions["dealguard.db_engine"].dispose()


def _time_the_step(app, requests: list[dict], version_id: int) -> None:
    from app.decision_service import _shadow
    from app.policy_holder import Shadow
    from bench.timing import time_calls

    with app.app_context():
        from app.api.decisions import _context

        context = _context()
    shadow = Shadow(version_id, app.extensions["dealguard.policy"].load(version_id))
    spent = time_calls(lambda body: _shadow(context, shadow, body, "2026-11-27"), requests,
                       warmup=min(500, len(requests)))
    print(f"  the shadow step alone: p50 {percentile(spent, 50):.0f} µs   "
          f"p95 {percentile(spent, 95):.0f} µs   mean {statistics.fmean(spent) / 1000:.0f} µs")


if __name__ == "__main__":
    main()
