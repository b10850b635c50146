"""The approvals inbox on a large log: GET /v1/approvals?status=pending, p50/p95.

    .venv/bin/python -m bench.approvals                          # 1,000,000 decisions, both
    .venv/bin/python -m bench.approvals --n 100000 --ra 10000 --db sqlite

Fills a fresh log as bench.log does (real decisions of generated requests as
templates), here all within the approval window (the last 72 hours), with `--ra` of
them require_approval and the rest allow or deny; the inbox rows of each
require_approval decision as the writer makes them (app.approvals.inbox.audiences);
and an approve by the head of sales on a third of the head-of-sales requirements,
so that the inbox skips answered ones as it does in use. Then, through the Flask
test client (the whole request: auth, query, JSON), it times the first page and the
next pages of the inbox for each kind of reader: every approver job role, the
compliance office and the busiest manager.
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import uuid
from datetime import timedelta
from typing import Any

import bench.log as log_bench
from bench.timing import machine, percentile

READERS = (("approver", "h-1", "head_of_sales"), ("approver", "cd-1", "commercial_director"),
           ("approver", "f-1", "cfo"), ("approver", "co-1", "compliance_officer"),
           ("compliance", None, None), ("manager", "m-000", "manager"))


def with_share(templates: log_bench.Templates, n: int, ra: int, seed: int) -> None:
    """Weigh the templates so that about `ra` of `n` decisions ask for approval."""
    r = random.Random(seed)
    weights = log_bench.ACTION_WEIGHTS
    asking = {a: [t for t in ts if t["outcome"] == "require_approval"]
              for a, ts in templates.by_action.items()}
    share = ra / n * sum(weights.values()) / sum(w for a, w in weights.items() if asking[a])
    if share > 1:
        raise SystemExit("too many require_approval decisions for these actions")
    for action, pool in templates.by_action.items():
        if not asking[action]:
            continue
        others = [t for t in pool if t["outcome"] != "require_approval"] or pool
        wanted = round(1000 * share)
        templates.by_action[action] = ([r.choice(asking[action]) for _ in range(wanted)]
                                       + [r.choice(others) for _ in range(1000 - wanted)])


def add_inbox_rows(engine: Any, seed: int) -> dict[str, int]:
    """The approval_requests of every require_approval decision; some approvals given."""
    from sqlalchemy import insert, select

    from app.approvals.inbox import audiences
    from app.log.models import Approval, ApprovalRequest, Decision

    r = random.Random(seed)
    counts = {"require_approval": 0, "inbox rows": 0, "approved": 0}
    with engine.connect() as connection:
        found = connection.execute(select(Decision.seq, Decision.decision_id,
                                          Decision.decided_at, Decision.actor_id,
                                          Decision.document)
                                   .where(Decision.outcome == "require_approval")).all()
    next_seq = 10**9
    asked, given = [], []
    for row in found:
        required = json.loads(row.document)["required_approvals"]
        counts["require_approval"] += 1
        for audience in audiences(required):
            asked.append({"decision_seq": row.seq, "audience": audience,
                          "decided_at": row.decided_at})
        if "head_of_sales" in required and r.random() < 1 / 3:
            next_seq += 1
            at = row.decided_at + timedelta(minutes=5)
            given.append({"seq": next_seq, "approval_id": str(uuid.uuid4()),
                          "decision_id": row.decision_id, "verdict": "approve",
                          "role": "head_of_sales", "approver_id": "h-1",
                          "decision_actor_id": row.actor_id, "at": at,
                          "expires_at": at + timedelta(hours=72), "proposal": None,
                          "document": "{}", "prev_hash": "0" * 64, "hash": "0" * 64})
    with engine.begin() as connection:
        for start in range(0, len(asked), 5000):
            connection.execute(insert(ApprovalRequest.__table__), asked[start:start + 5000])
        for start in range(0, len(given), 5000):
            connection.execute(insert(Approval.__table__), given[start:start + 5000])
    counts["inbox rows"], counts["approved"] = len(asked), len(given)
    return counts


def build(engine: Any, n: int, ra: int, templates: int, seed: int,
          span_days: float = 3) -> tuple[dict[str, Any], dict[str, int]]:
    """A fresh log of `n` decisions in the last `span_days` (72 hours) before bench.log's
    END, about `ra` of them asking for approval, with their inbox rows; what
    bench.log.fill made, and the counts of add_inbox_rows. Also used by bench.console."""
    from sqlalchemy import text

    import app.auth  # noqa: F401
    import app.log.read.query  # noqa: F401 - every table and index, as the service has them
    import app.users  # noqa: F401
    from app import db as app_db
    from app.log.write.writer import ensure_head

    app_db.Base.metadata.create_all(engine)
    ensure_head(engine)
    chosen = log_bench.Templates(templates, seed)
    with_share(chosen, n, ra, seed)
    log_bench.SPAN_DAYS = span_days
    made = log_bench.fill(engine, n, chosen, seed)
    counts = add_inbox_rows(engine, seed)
    if app_db.is_postgresql(engine):
        with engine.begin() as connection:
            connection.execute(text("ANALYZE"))  # what autovacuum does after a bulk load
    return made, counts


def run(kind: str, url: str, args: argparse.Namespace) -> None:
    import app.auth  # noqa: F401
    import app.log.read.query  # noqa: F401 - every table and index, as the service has them
    from app import create_app
    from app import db as app_db
    from app.api import database
    from app.approvals import clock
    from app.auth import create_key
    from app.config import Settings

    engine = app_db.make_engine(url)
    print(f"\n== {kind}: {args.n:,} decisions in 72 hours, about {args.ra:,} asking for "
          f"approval ({machine()})", flush=True)
    made, counts = build(engine, args.n, args.ra, args.templates, args.seed)
    print(f"   filled in {made['seconds']:.0f} s: {counts}", flush=True)
    # The inbox's window ends a minute after the last decision.
    clock.now = lambda: log_bench.END + timedelta(minutes=1)
    settings = Settings(database_url=url, policy_path=str(log_bench.ROOT / "policies/rules.yaml"),
                        secret_key=log_bench.SECRET, environment="test")
    application = create_app(settings)
    client = application.test_client()
    print(f"   {'reader':32} {'pages':>6} {'p50 ms':>8} {'p95 ms':>8}"
          f"   {'next pages p95 ms':>18}  items/page")
    for role, person, job in READERS:
        with application.app_context():
            key = create_key(database.session(), role, f"bench-{uuid.uuid4().hex[:8]}",
                             person, job if role == "approver" else None)
        headers = {"Authorization": f"Bearer {key}"}
        timing = log_bench.time_pages(client, headers, [{"status": "pending"}] * args.queries,
                                      args.pages, path="/v1/approvals")
        first, later = timing["first"], timing["later"]
        pages = len(first) + len(later)
        name = f"{role} {job or ''}".strip()
        print(f"   {name:32} {pages:6} {percentile(first, 50) / 1000:8.2f}"
              f" {percentile(first, 95) / 1000:8.2f}"
              f"   {percentile(later, 95) / 1000 if later else float('nan'):18.2f}"
              f"  {timing['items'] / pages:6.1f}", flush=True)
    application.extensions["dealguard.db_engine"].dispose()
    engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="decisions in the log")
    parser.add_argument("--ra", type=int, default=100_000,
                        help="of them, about how many ask for approval")
    parser.add_argument("--db", choices=("both", "sqlite", "postgresql"), default="both")
    parser.add_argument("--postgres-url", default=log_bench.POSTGRES_URL)
    parser.add_argument("--queries", type=int, default=50, help="inbox reads per reader")
    parser.add_argument("--pages", type=int, default=3, help="pages followed per read")
    parser.add_argument("--templates", type=int, default=5000, help="real decisions to vary")
    parser.add_argument("--seed", type=int, default=20261130)
    args = parser.parse_args(argv)
    if args.db in ("both", "sqlite"):
        with tempfile.TemporaryDirectory(prefix="dealguard-bench-") as folder:
            run("SQLite", f"sqlite:///{folder}/log.db", args)
    if args.db in ("both", "postgresql"):
        log_bench.run_postgres(args, run)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
