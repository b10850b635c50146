"""The crash proof of tests/served/test_crash.py, longer: many kill -9 rounds under load.

gunicorn (2 workers, their writer processes) under client threads that post decisions
with request_ids of their own; each round waits for --acks more acknowledged decisions,
then kills with SIGKILL a worker or a writer process (in turn); the master is killed
last. Then: every decision answered 200 must be in the log under its decision_id and
request_id, and `dealguard log verify` must pass. Prints the figures.

    .venv/bin/python -m bench.kill9 [--database URL] [--rounds 20] [--threads 8] [--acks 100]

Without --database, a SQLite file in a temp directory. A PostgreSQL URL must name an
empty database or schema (the run migrates it and leaves its records there).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import tempfile
import time
from pathlib import Path

from tests.served.served import Load, Served, alive, logged_decisions, verified


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", help="SQLAlchemy URL (default: a temp SQLite file)")
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--acks", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="dealguard-kill9-") as directory:
        url = args.database or f"sqlite:///{Path(directory) / 'kill9.db'}"
        server = Served(url, Path(directory))
        load = Load(server, threads=args.threads)
        kills = {"worker": 0, "writer": 0, "master": 0}
        started = time.monotonic()
        try:
            load.start()
            for number in range(args.rounds):
                load.wait_for(args.acks, f"before round {number + 1}")
                kind = ("worker", "writer")[number % 2]
                victims = server.workers() if kind == "worker" else server.writers()
                if victims:
                    os.kill(victims[0], signal.SIGKILL)
                    kills[kind] += 1
            load.wait_for(args.acks, "before the master was killed")
            workers = server.workers()
            os.kill(server.master, signal.SIGKILL)
            kills["master"] += 1
            server.process.wait(30)
            deadline = time.monotonic() + 60
            while any(alive(pid) for pid in workers) and time.monotonic() < deadline:
                time.sleep(0.1)
        finally:
            load.stop()
            server.stop()
        seconds = time.monotonic() - started
        logged = logged_decisions(url)
        result = verified(url)
    figures = load.figures(logged)
    missing = figures["acknowledged"] - figures["acknowledged_in_log"]
    print(f"{seconds:.0f} s, kill -9: " + ", ".join(f"{k} {v}" for k, v in kills.items()))
    print("decisions: " + ", ".join(f"{k} {v}" for k, v in figures.items()))
    print(f"acknowledged but missing from the log: {missing}; verify: {result}")
    sys.exit(1 if missing or not result["ok"] else 0)


if __name__ == "__main__":
    main()
