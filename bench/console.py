"""The console's pages on a large log: server time per page, p50/p95 (issue 13).

    .venv/bin/python -m bench.console                          # 1,000,000 decisions, both
    .venv/bin/python -m bench.console --n 100000 --db sqlite   # or --db postgresql

The log is bench.approvals' (bench.approvals.build): `--n` real decisions of generated
requests, all in the 72 hours before bench.log's END so that the inbox is as full as it
gets, about `--ra` of them asking for approval, with their inbox rows and some approvals
given. The whole log is then "this week" for the statistics, their worst case;
`--span-days 1095` spreads it over three years as bench.log does. Beside it, `--events`
activities over two years by bench.stats' generator, for 50 managers who are also the
busiest actors of the log.

Each page is asked in-process through the Flask test client with a signed-in console
session (the sign-in form, its cookie), so a figure is the request's wall time in the
app: session, the reads, the template, no network and no browser. Pages: the log
(compliance) unfiltered, with bench.log's five filters, and the next pages by its "Next
page" link; the inbox of each approver job role, first and next pages; the team's week
(head of sales) and a manager's week. Numbers only: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import html
import json
import random
import re
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import bench.approvals as approvals_bench
import bench.log as log_bench
import bench.stats as stats_bench
from bench.timing import machine, percentile

TARGET_MS = 150
LOG_FILTERS = ("outcome=deny", "action+outcome", "client_id", "actor_id+since", "rule")
APPROVERS = (("h-1", "head_of_sales"), ("cd-1", "commercial_director"), ("f-1", "cfo"),
             ("co-1", "compliance_officer"))
NEXT_PAGE = re.compile(r'<a href="([^"]*[?&](?:amp;)?cursor=[^"]*)"')
TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
PASSWORD = "bench-console-password-1"


def build(engine: Any, args: argparse.Namespace) -> dict[str, Any]:
    """bench.approvals' log, and activities whose managers are the log's busiest actors."""
    import app.stats.models  # noqa: F401 - the activities table, made with the log's
    from app.db import is_postgresql

    made, counts = approvals_bench.build(engine, args.n, args.ra, args.templates, args.seed,
                                         args.span_days)
    started = time.perf_counter()
    stats_bench.MANAGERS = [f"m-{i:03d}" for i in range(50)]
    if args.events:
        stats_bench.fill(engine, "activities", stats_bench.ACTIVITY_COLUMNS,
                         stats_bench.activity_rows(args.events))
    if is_postgresql(engine):
        from sqlalchemy import text

        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE"))  # as autovacuum does after a load
    made["seconds"] += time.perf_counter() - started
    return {**made, "counts": counts}


def signed_in(application: Any, role: str, person_id: str | None = None,
              job_role: str | None = None) -> Any:
    """A test client signed in to the console through its form, as a new user."""
    from app.api import database
    from app.users import create_user, find_user, set_password

    name = f"bench-{role}-{person_id or 'office'}"
    with application.app_context():
        session = database.session()
        if find_user(session, name) is None:  # a kept log has its users already
            create_user(session, name, role, person_id, job_role)
        set_password(session, find_user(session, name), PASSWORD)
    client = application.test_client()
    form = client.get("/console/sign-in").get_data(as_text=True)
    answer = client.post("/console/sign-in", data={
        "name": name, "password": PASSWORD, "csrf_token": TOKEN.search(form).group(1)})
    assert answer.status_code == 302, answer.get_data(as_text=True)
    return client


def time_pages(client: Any, paths: list[str], pages: int = 1) -> dict[str, list[int]]:
    """Nanoseconds of each first page of `paths`, and of up to `pages - 1` next pages;
    and the CPU time of this thread in each first page (the app and SQLite run in it:
    on a shared machine it varies less than the wall time)."""
    first: list[int] = []
    later: list[int] = []
    cpu: list[int] = []
    client.get(paths[0])  # untimed: compiled templates and a warm connection, as in use
    for path in paths:
        for page in range(pages):
            started, cpu_started = time.perf_counter_ns(), time.thread_time_ns()
            response = client.get(path)
            spent = time.perf_counter_ns() - started
            if page == 0:
                cpu.append(time.thread_time_ns() - cpu_started)
            assert response.status_code == 200, (path, response.status_code)
            (first if page == 0 else later).append(spent)
            found = NEXT_PAGE.search(response.get_data(as_text=True))
            if not found:
                break
            path = html.unescape(found.group(1))
    return {"first": first, "later": later, "cpu": cpu}


def log_paths(made: dict[str, Any], count: int, seed: int) -> list[str]:
    """bench.log's five common filters, `count` values each, as console addresses."""
    from urllib.parse import urlencode

    sets = log_bench.filter_sets(made, random.Random(seed), count)
    return [f"/console/log?{urlencode(params)}" for name in LOG_FILTERS
            for params in sets[name]]


def report(name: str, timing: dict[str, list[int]]) -> None:
    first, later = timing["first"], timing["later"]
    p95 = percentile(first, 95) / 1000
    nxt = f"{percentile(later, 50) / 1000:8.1f} {percentile(later, 95) / 1000:8.1f}" \
        if later else f"{'-':>8} {'-':>8}"
    mark = "" if p95 <= TARGET_MS and (not later or percentile(later, 95) / 1000 <= TARGET_MS) \
        else f"  over {TARGET_MS} ms"
    print(f"   {name:36} {len(first):5} {percentile(first, 50) / 1000:8.1f} {p95:8.1f}"
          f" {percentile(timing['cpu'], 50) / 1000:8.1f}   {len(later):5} {nxt}{mark}",
          flush=True)


def run(kind: str, url: str, args: argparse.Namespace) -> None:
    from app import create_app
    from app import db as app_db
    from app.approvals import clock
    from app.config import Settings
    from app.console.views import stats as stats_views

    engine = app_db.make_engine(url)
    kept = Path(f"{args.keep}.json") if args.keep and kind == "SQLite" else None
    if kept and kept.exists():
        made = json.loads(kept.read_text())
        print(f"\n== {kind}: the log kept in {args.keep}: {made['counts']}", flush=True)
    else:
        print(f"\n== {kind}: {args.n:,} decisions in {args.span_days:g} days (about {args.ra:,} "
              f"asking for "
              f"approval), {args.events:,} activities", flush=True)
        made = build(engine, args)
        print(f"   filled in {made['seconds']:.0f} s: {made['counts']}", flush=True)
        if kept:
            kept.write_text(json.dumps(made))
    # The app's "now" is a minute after the last decision: the inbox's window and the week.
    now = log_bench.END + timedelta(minutes=1)
    clock.now = lambda: now
    stats_views.today = lambda zone: now.astimezone(zone).date()
    settings = Settings(database_url=url, policy_path=str(log_bench.ROOT / "policies/rules.yaml"),
                        secret_key=log_bench.SECRET, environment="test")
    application = create_app(settings)
    print(f"   in-process, Flask test client, signed-in console session: each figure is "
          f"one request's wall time in the app ({machine()})")
    print(f"   {'page':36} {'n':>5} {'p50 ms':>8} {'p95 ms':>8} {'CPU p50':>8}   {'next':>5} "
          f"{'p50 ms':>8} {'p95 ms':>8}   (target p95 <= {TARGET_MS} ms)")
    compliance = signed_in(application, "compliance")
    report("/console/log, no filter", time_pages(compliance, ["/console/log"] * args.repeat,
                                                 args.pages))
    report("/console/log, five filters", time_pages(
        compliance, log_paths(made, max(1, args.repeat // 5), args.seed), args.pages))
    for person, job in APPROVERS:
        approver = signed_in(application, "approver", person, job)
        report(f"/console/inbox, {job}", time_pages(
            approver, ["/console/inbox"] * max(1, args.repeat // 2), args.pages))
    head = signed_in(application, "approver", "h-2", "head_of_sales")
    report("/console/team, head_of_sales", time_pages(head, ["/console/team"] * args.repeat))
    manager = signed_in(application, "manager", "m-000")
    report("/console/week, manager m-000", time_pages(manager, ["/console/week"] * args.repeat))
    print(f"   ({machine()})", flush=True)
    application.extensions["dealguard.db_engine"].dispose()
    engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="decisions in the log")
    parser.add_argument("--ra", type=int, default=100_000,
                        help="of them, about how many ask for approval")
    parser.add_argument("--span-days", type=float, default=3,
                        help="the log's decisions spread over these days before the end "
                             "(3: all in the approval window and this week; 1095: three "
                             "years, as bench.log, a week then holds about 0.6 %%)")
    parser.add_argument("--events", type=int, default=200_000,
                        help="activities over two years, for the statistics")
    parser.add_argument("--db", choices=("both", "sqlite", "postgresql"), default="both")
    parser.add_argument("--postgres-url", default=log_bench.POSTGRES_URL)
    parser.add_argument("--repeat", type=int, default=40, help="requests per page")
    parser.add_argument("--pages", type=int, default=3, help="pages followed per read")
    parser.add_argument("--templates", type=int, default=5000, help="real decisions to vary")
    parser.add_argument("--seed", type=int, default=20261130)
    parser.add_argument("--keep", metavar="FILE",
                        help="SQLite: fill FILE and keep it; if kept before, time it again "
                             "without filling (to try an index)")
    args = parser.parse_args(argv)
    if args.db in ("both", "sqlite") and args.keep:
        run("SQLite", f"sqlite:///{args.keep}", args)
    elif args.db in ("both", "sqlite"):
        with tempfile.TemporaryDirectory(prefix="dealguard-bench-") as folder:
            run("SQLite", f"sqlite:///{folder}/log.db", args)
    if args.db in ("both", "postgresql"):
        log_bench.run_postgres(args, run)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
