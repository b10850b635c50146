"""Statistics latency on a large log: /v1/stats?period=week and a 52-week series.

    .venv/bin/python -m bench.stats                      # 1,000,000 + 1,000,000 rows, both DBs
    .venv/bin/python -m bench.stats --events 100000 --decisions 100000 --databases sqlite

Fills `activities` and `decisions` with synthetic rows spread over two years
(bulk: executemany on SQLite, COPY on PostgreSQL), then times requests through
the Flask test client with an admin key, so each figure includes auth, query
parsing, SQL and JSON. The schema is made by the real migrations.

SQLite goes to a file in a temporary directory; PostgreSQL to a schema of its own
(`bench_stats`, dropped afterwards unless --keep) at DEALGUARD_BENCH_POSTGRES_URL,
default postgresql+psycopg://postgres@127.0.0.1:5432/test. Decision rows carry
only what the statistics read (their hash chain is not valid). A script that
prints numbers, not a test.

Measured 2026-11-27 on the development machine (2 vCPU, 23 GiB, SQLite 3.40,
PostgreSQL 15 with default settings, other sessions' tests running beside it:
load average 3-4), `python -m bench.stats --repeat 20`, median ms of 20 requests:

    query                                 SQLite  PostgreSQL
    week, all managers                      27.1        60.9
    week, one manager                       10.5        16.5
    52-week series deals_amount             14.3        62.6
    52-week series clients_served          298.3       291.1
    52-week series decisions                27.6       197.0
    52-week series decisions, 1 manager    115.5       182.1
    quarter, all managers                  265.7       364.8
    52-week chart.svg                       10.0        52.9

Aim (issue 5): a week <= 200 ms, a 52-week series <= 500 ms, on both databases.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app.db import is_sqlite
from bench.timing import percentile

END = dt.date(2026, 11, 29)  # a Sunday: the data ends with a whole ISO week
DAYS = 728  # 104 weeks
AT = "2026-11-25"
MANAGERS = [f"m-{i:02d}" for i in range(50)]
CLIENTS = 20_000
TYPES = (
    ("call", 0.55), ("meeting", 0.15), ("offer_sent", 0.12),
    ("contract_signed", 0.08), ("payment_received", 0.10),
)
OUTCOMES = (("allow", 0.7), ("require_approval", 0.2), ("deny", 0.1))
CHUNK = 50_000
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
PG_SCHEMA = "bench_stats"
SQLITE_KEPT = "instance/bench_stats.db"

QUERIES = {
    "week, all managers": f"/v1/stats?period=week&at={AT}",
    "week, one manager": f"/v1/stats?period=week&at={AT}&manager_id=m-07",
    "52-week series deals_amount": f"/v1/stats/series?metric=deals_amount&count=52&at={AT}",
    "52-week series clients_served": (
        f"/v1/stats/series?metric=clients_served&count=52&at={AT}"
    ),
    "52-week series decisions": f"/v1/stats/series?metric=decisions&count=52&at={AT}",
    "52-week series calls, one manager": (
        f"/v1/stats/series?metric=calls&count=52&at={AT}&manager_id=m-07"
    ),
    "52-week series decisions, 1 manager": (
        f"/v1/stats/series?metric=decisions&count=52&at={AT}&manager_id=m-07"
    ),
    "quarter, all managers": f"/v1/stats?period=quarter&at={AT}",
    "52-week chart.svg": f"/v1/stats/chart.svg?metric=deals_amount&count=52&at={AT}",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--decisions", type=int, default=1_000_000)
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--repeat", type=int, default=20, help="timed requests per query")
    parser.add_argument("--keep", action="store_true",
                        help=f"keep the data ({SQLITE_KEPT}, PostgreSQL schema {PG_SCHEMA})")
    parser.add_argument("--reuse", action="store_true",
                        help="time the data a --keep run left, without filling again")
    args = parser.parse_args()
    for name in args.databases.split(","):
        if name == "sqlite":
            if args.keep or args.reuse:
                if not args.reuse and os.path.exists(SQLITE_KEPT):
                    os.remove(SQLITE_KEPT)
                run("sqlite", f"sqlite:///{SQLITE_KEPT}", args)
                continue
            with tempfile.TemporaryDirectory() as directory:
                run("sqlite", f"sqlite:///{directory}/bench.db", args)
        elif name == "postgresql":
            base = os.environ.get("DEALGUARD_BENCH_POSTGRES_URL", DEFAULT_PG)
            admin = create_engine(base, isolation_level="AUTOCOMMIT")
            if not args.reuse:
                with admin.connect() as connection:
                    connection.execute(text(f"DROP SCHEMA IF EXISTS {PG_SCHEMA} CASCADE"))
                    connection.execute(text(f"CREATE SCHEMA {PG_SCHEMA}"))
            url = make_url(base).update_query_dict({"options": f"-csearch_path={PG_SCHEMA}"})
            try:
                run("postgresql", url.render_as_string(hide_password=False), args)
            finally:
                if not (args.keep or args.reuse):
                    with admin.connect() as connection:
                        connection.execute(text(f"DROP SCHEMA {PG_SCHEMA} CASCADE"))
                admin.dispose()
        else:
            sys.exit(f"unknown database {name!r}: sqlite or postgresql")


def run(name: str, url: str, args: argparse.Namespace) -> None:
    from app.cli.service import upgrade

    if args.reuse:
        print(f"\n== {name}: the data of an earlier --keep run")
        time_queries(url, args.repeat)
        return
    print(f"\n== {name}: {args.events:,} activity events + {args.decisions:,} decisions")
    upgrade(url)
    engine = create_engine(url)
    started = time.perf_counter()
    fill(engine, "activities", ACTIVITY_COLUMNS, activity_rows(args.events))
    fill(engine, "decisions", DECISION_COLUMNS, decision_rows(args.decisions))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        # What autovacuum does to an insert-only table soon after a bulk load; the
        # visibility map it sets is what lets PostgreSQL answer from the index alone.
        connection.execute(text("ANALYZE" if name == "sqlite" else "VACUUM ANALYZE"))
    print(f"fill + (vacuum) analyze: {time.perf_counter() - started:.1f} s")
    engine.dispose()
    time_queries(url, args.repeat)


def time_queries(url: str, repeat: int) -> None:
    from app import create_app
    from app.api import database
    from app.auth import create_key
    from app.config import Settings

    app = create_app(Settings(database_url=url, environment="bench"))
    with app.app_context():
        key = create_key(database.session(), "admin", f"bench-{uuid.uuid4().hex[:8]}")
    headers = {"Authorization": f"Bearer {key}"}
    client = app.test_client()
    print(f"{'query':36} {'median ms':>10} {'p95 ms':>8} {'min ms':>8}")
    for label, path in QUERIES.items():
        for _ in range(2):  # warm caches and the connection pool
            assert client.get(path, headers=headers).status_code == 200, path
        samples = []
        for _ in range(repeat):
            start = time.perf_counter_ns()
            response = client.get(path, headers=headers)
            samples.append(time.perf_counter_ns() - start)
            assert response.status_code == 200, path
        print(
            f"{label:36} {statistics.median(samples) / 1e6:10.1f} "
            f"{percentile(samples, 95) / 1000:8.1f} {min(samples) / 1e6:8.1f}"
        )
    app.extensions["dealguard.db_engine"].dispose()


ACTIVITY_COLUMNS = (
    "event_id", "type", "manager_id", "client_id", "occurred_at", "amount", "outcome",
    "received_at",
)
DECISION_COLUMNS = (
    "seq", "decision_id", "request_fingerprint", "action", "outcome", "actor_id", "actor_role",
    "client_id", "policy_name", "policy_version", "policy_sha256", "as_of", "decided_at",
    "duration_ms", "document", "prev_hash", "hash",
)


def _instants(rng: random.Random, count: int) -> Iterator[dt.datetime]:
    # In time order, as the log appends decisions and a CRM reports what just happened:
    # rows of one week then lie together in the table, as they will in production.
    first = dt.datetime.combine(END - dt.timedelta(days=DAYS - 1), dt.time(), dt.UTC)
    seconds = DAYS * 86400
    for offset in sorted(rng.randrange(seconds) for _ in range(count)):
        yield first + dt.timedelta(seconds=offset)


def activity_rows(count: int) -> Iterator[tuple]:
    rng = random.Random(5)
    kinds = [kind for kind, _ in TYPES]
    weights = [weight for _, weight in TYPES]
    received = dt.datetime(2026, 11, 29, tzinfo=dt.UTC)
    for i, when in enumerate(_instants(rng, count)):
        kind = rng.choices(kinds, weights)[0]
        amount = None
        if kind in ("contract_signed", "payment_received"):
            amount = round(rng.uniform(1_000, 2_000_000), 2)
        outcome = rng.choice(("connected", "no_answer")) if kind == "call" else None
        yield (
            f"ev-{i}", kind, rng.choice(MANAGERS), f"c-{rng.randrange(CLIENTS)}", when, amount,
            outcome, received,
        )


def decision_rows(count: int) -> Iterator[tuple]:
    rng = random.Random(6)
    outcomes = [outcome for outcome, _ in OUTCOMES]
    weights = [weight for _, weight in OUTCOMES]
    zero = "0" * 64
    for i, when in enumerate(_instants(rng, count), start=1):
        yield (
            i, str(uuid.UUID(int=i)), zero, "discount", rng.choices(outcomes, weights)[0],
            rng.choice(MANAGERS), "manager", f"c-{rng.randrange(CLIENTS)}", "deal-compliance",
            "bench", zero, when.date(), when, 0.4, "{}", zero, zero,
        )


def fill(engine, table: str, columns: tuple[str, ...], rows: Iterator[tuple]) -> None:
    started = time.perf_counter()
    raw = engine.raw_connection()
    try:
        if is_sqlite(engine):
            _fill_sqlite(raw, table, columns, rows)
        else:
            _fill_postgres(raw, table, columns, rows)
        raw.commit()
    finally:
        raw.close()
    print(f"  {table}: filled in {time.perf_counter() - started:.1f} s")


def _fill_sqlite(raw, table: str, columns: tuple[str, ...], rows: Iterator[tuple]) -> None:
    # The text SQLAlchemy stores for a DateTime on SQLite (UTC, no offset), so the
    # period edges the app binds compare with these rows exactly as with its own.
    def stored(value):
        if isinstance(value, dt.datetime):
            return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
        if isinstance(value, dt.date):
            return value.isoformat()
        return value

    cursor = raw.cursor()
    cursor.execute("PRAGMA synchronous=OFF")  # a bench fill; the app's own setting is FULL
    marks = ", ".join("?" * len(columns))
    statement = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"
    batch = []
    for row in rows:
        batch.append(tuple(stored(value) for value in row))
        if len(batch) == CHUNK:
            cursor.executemany(statement, batch)
            batch.clear()
    if batch:
        cursor.executemany(statement, batch)


def _fill_postgres(raw, table: str, columns: tuple[str, ...], rows: Iterator[tuple]) -> None:
    cursor = raw.driver_connection.cursor()
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


if __name__ == "__main__":
    main()
