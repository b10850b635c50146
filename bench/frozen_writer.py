"""How long a decision waits when its log writer process freezes, at the default timeout.

The contract: a decision that cannot be logged is answered 503 within 10 s. This starts
gunicorn (one worker, its writer process, the default DEALGUARD_LOG_WRITE_TIMEOUT unless
--timeout), keeps it under load, freezes the writer with SIGSTOP ROUNDS times, and
measures for the decisions each freeze caught (under way when it came, or sent before
the writer was replaced): how they were answered and how long after the freeze, when
/health/ready first said 503, and when the replacement was serving.

    .venv/bin/python -m bench.frozen_writer [--database URL] [--rounds 5] [--threads 4]

Without --database, a SQLite file in a temp directory. A PostgreSQL URL must name an
empty database or schema (the run migrates it and leaves its records there).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import statistics
import tempfile
import time
from pathlib import Path

from tests.served.served import Load, Served, alive, call, logged_decisions


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", help="SQLAlchemy URL (default: a temp SQLite file)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--timeout", help="DEALGUARD_LOG_WRITE_TIMEOUT (default: the service's)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="dealguard-frozen-") as directory:
        url = args.database or f"sqlite:///{Path(directory) / 'frozen.db'}"
        env = {"DEALGUARD_LOG_WRITE_TIMEOUT": args.timeout} if args.timeout else {}
        server = Served(url, Path(directory), workers=1, env=env)
        load = Load(server, threads=args.threads)
        rounds = []
        try:
            load.start()
            load.wait_for(20, "before the first freeze")
            for _ in range(args.rounds):
                rounds.append(freeze_once(server, load))
                load.wait_for(20, "after the writer was replaced")
        finally:
            load.stop()
            server.stop()
        logged = logged_decisions(url)
    report(rounds, load, logged)


def freeze_once(server: Served, load: Load) -> dict:
    (frozen,) = server.writers()
    os.kill(frozen, signal.SIGSTOP)
    frozen_at = time.monotonic()
    not_ready_after = replaced_after = None
    try:
        while time.monotonic() - frozen_at < 60:
            now = time.monotonic() - frozen_at
            if not_ready_after is None and call(server.base + "/health/ready")[0] == 503:
                not_ready_after = now
            if server.writers() and server.writers() != [frozen] and not alive(frozen):
                replaced_after = now
                break
            time.sleep(0.05)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(frozen, signal.SIGCONT)
    # Served again: the first decision acknowledged that was sent after the freeze.
    served_again = []
    while not served_again and time.monotonic() - frozen_at < 120:
        time.sleep(0.05)
        served_again = [a.answered_at for a in list(load.answers)
                        if a.status == 200 and a.sent_at > frozen_at]
    serving = min(served_again, default=float("nan")) - frozen_at
    caught = [a for a in load.answers
              if a.sent_at <= frozen_at <= a.answered_at
              or (frozen_at < a.sent_at and a.status != 200 and a.answered_at - frozen_at
                  < serving + 1)]
    return {"frozen_at": frozen_at, "caught": caught, "not_ready_after": not_ready_after,
            "replaced_after": replaced_after, "serving_after": serving}


def report(rounds: list[dict], load: Load, logged: dict[str, str]) -> None:
    figures = load.figures(logged)
    print("decisions: " + ", ".join(f"{k} {v}" for k, v in figures.items()))
    refused_ids = {a.request_id for a in load.answers if a.status == 503}
    print(f"answered 503 but in the log: {len(refused_ids & set(logged.values()))}")
    waits = []
    for number, round_ in enumerate(rounds, start=1):
        caught = round_["caught"]
        seconds = [a.answered_at - max(a.sent_at, round_["frozen_at"]) for a in caught]
        waits += seconds
        statuses = sorted({str(a.status) for a in caught})
        print(f"freeze {number}: {len(caught)} decisions caught ({'/'.join(statuses)}), "
              f"answered within {max(seconds, default=0):.2f} s of the freeze; "
              f"readiness 503 after {fmt(round_['not_ready_after'])}, writer replaced after "
              f"{fmt(round_['replaced_after'])}, serving again after "
              f"{round_['serving_after']:.2f} s")
    if waits:
        print(f"all freezes: {len(waits)} decisions caught, answered within "
              f"median {statistics.median(waits):.2f} s, max {max(waits):.2f} s of the freeze")


def fmt(seconds: float | None) -> str:
    return "never" if seconds is None else f"{seconds:.2f} s"


if __name__ == "__main__":
    main()
