"""Issue 4's decision-log benchmark: filtered pages, export and verify on a large log.

    .venv/bin/python -m bench.log                         # 1,000,000 decisions, both databases
    .venv/bin/python -m bench.log --n 100000 --db sqlite  # or --db postgresql

Fills a fresh log with `--n` decisions by bulk insert: real policy decisions of
generated requests (bench.requests, every action) as templates, given skewed actors
(300 managers) and clients (50,000), unique deal/order/offer/claim ids, three years
of decided_at, and a valid hash chain. Then, through the Flask test client with a
compliance key (auth, parsing, query, JSON: the whole request), it times the five
filters a compliance officer uses most, first pages and follow-up cursor pages, and
prints p50/p95; then the export's rows/s and peak RSS (CSV and JSONL, whole log), and
verify's rows/s. PostgreSQL runs in a schema of its own, dropped at the end.
"""

from __future__ import annotations

import argparse
import bisect
import hashlib
import itertools
import random
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if sys.path[0] == str(ROOT / "bench"):  # run as a file: don't let bench/requests.py shadow
    sys.path[0] = str(ROOT)             # the `requests` package for anything imported later

from bench.requests import claims_lookup, generate  # noqa: E402
from bench.timing import machine, percentile, rss_kib  # noqa: E402

POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
SECRET = "bench-secret"
ACTION_WEIGHTS = {"discount": 35, "offer": 25, "shipment": 20, "claim": 12, "disclosure": 8}
MANAGERS = 300
CLIENTS = 50_000
SPAN_DAYS = 3 * 365
END = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
BATCH = 5_000
SUBJECT = {"discount": "deal", "shipment": "order", "claim": "claim", "offer": "offer"}


# -- filling -----------------------------------------------------------------------------

class Templates:
    """Logged-document texts of real decisions, with placeholders for what varies per row."""

    def __init__(self, count: int, seed: int) -> None:
        from app.engine import load_policy
        from app.engine.model import CONTRACT_CONFIDENTIAL
        from app.jsontext import dumps
        from app.log.write.masking import mask_request

        policy = load_policy(str(ROOT / "policies/rules.yaml"))
        self.policy = policy
        paths = (*CONTRACT_CONFIDENTIAL, *policy.confidential_fields)
        self.by_action: dict[str, list[dict[str, Any]]] = {a: [] for a in ACTION_WEIGHTS}
        for request in generate(count, seed=seed):
            evaluation = policy.evaluate(request, claims=claims_lookup)
            action = request["action"]
            masked, _ = mask_request(request, paths, SECRET)
            masked.pop("request_id", None)
            subject = (request.get(SUBJECT.get(action, ""), {}) or {}).get("id")
            order = (request.get("order") or {}).get("id") if action in ("shipment",
                                                                          "claim") else None
            marks = {request["actor"]["id"]: "@@A@@", request["client"]["id"]: "@@C@@"}
            if subject:
                marks[subject] = "@@S@@"
            if order and order != subject:
                marks[order] = "@@O@@"
            document = {
                "decision_id": "@@ID@@", "request_id": None, "action": action,
                **evaluation.as_dict(),
                "policy": {"name": policy.name, "version": policy.version,
                           "sha256": policy.sha256},
                "as_of": evaluation.as_of, "decided_at": "@@AT@@",
                "duration_ms": round(float(evaluation.duration_ms), 3),
                "request": _mark(masked, marks), "facts": _mark(evaluation.facts, marks),
                "key_name": "bench-crm", "approvals_presented": [],
                "request_fingerprint": "@@FP@@", "seq": "@@SEQ@@",
            }
            self.by_action[action].append({
                "text": dumps(document).replace('"@@SEQ@@"', "@@SEQ@@"),
                "outcome": evaluation.outcome,
                "role": request["actor"]["role"],
                "as_of": date.fromisoformat(evaluation.as_of),
                "duration_ms": document["duration_ms"],
                "has_subject": bool(subject), "has_order": bool(order),
                "reasons": [(r["rule"], r["principle"], r["outcome"])
                            for r in evaluation.reasons],
            })
        self.actions = list(ACTION_WEIGHTS)
        self.action_cum = list(itertools.accumulate(ACTION_WEIGHTS.values()))


def _mark(value: Any, marks: dict[str, str]) -> Any:
    if isinstance(value, str):
        return marks.get(value, value)
    if isinstance(value, dict):
        return {k: _mark(v, marks) for k, v in value.items()}
    if isinstance(value, list):
        return [_mark(v, marks) for v in value]
    return value


def _zipf_cum(n: int, s: float = 1.05) -> list[float]:
    return list(itertools.accumulate(1 / (k ** s) for k in range(1, n + 1)))


def fill(engine: Any, n: int, templates: Templates, seed: int) -> dict[str, Any]:
    """Bulk-insert n decisions with their reasons and a valid chain; return what was made."""
    from sqlalchemy import update

    from app.log.models import ChainHead
    from app.log.write.chain import GENESIS

    r = random.Random(seed)
    manager_cum, client_cum = _zipf_cum(MANAGERS), _zipf_cum(CLIENTS)
    # Clients are shuffled so the busiest client is not also the busiest manager's.
    client_ids = [f"c-{i:05d}" for i in range(CLIENTS)]
    r.shuffle(client_ids)
    step = SPAN_DAYS * 86400 / n
    start = END - timedelta(days=SPAN_DAYS)
    prev = GENESIS
    seen_rules: dict[str, int] = {}
    started = time.perf_counter()
    rows: list[dict[str, Any]] = []
    reasons: list[dict[str, Any]] = []
    for seq in range(1, n + 1):
        action = templates.actions[bisect.bisect(templates.action_cum,
                                                 r.random() * templates.action_cum[-1])]
        tpl = r.choice(templates.by_action[action])
        actor = f"m-{bisect.bisect(manager_cum, r.random() * manager_cum[-1]):03d}"
        client = client_ids[bisect.bisect(client_cum, r.random() * client_cum[-1])]
        decision_id = str(uuid.UUID(int=r.getrandbits(128), version=4))
        decided = start + timedelta(seconds=seq * step + r.random())
        decided = decided.replace(microsecond=decided.microsecond // 1000 * 1000)  # as logged
        at = decided.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        fingerprint = f"{r.getrandbits(256):064x}"
        subject = f"{action[:2]}-{seq}" if tpl["has_subject"] else None
        order = f"or-{seq}" if tpl["has_order"] else None
        if action == "shipment":
            order = subject
        document = (tpl["text"].replace("@@SEQ@@", str(seq)).replace("@@ID@@", decision_id)
                    .replace("@@AT@@", at).replace("@@A@@", actor).replace("@@C@@", client)
                    .replace("@@S@@", subject or "").replace("@@O@@", order or "")
                    .replace("@@FP@@", fingerprint))
        digest = hashlib.sha256((prev + document).encode("utf-8")).hexdigest()
        rows.append({
            "seq": seq, "decision_id": decision_id, "request_id": None,
            "request_fingerprint": fingerprint, "action": action, "outcome": tpl["outcome"],
            "actor_id": actor, "actor_role": tpl["role"], "client_id": client,
            "subject_id": subject, "order_id": order, "key_name": "bench-crm",
            "policy_name": templates.policy.name,
            "policy_version": templates.policy.version,
            "policy_sha256": templates.policy.sha256, "as_of": tpl["as_of"],
            "decided_at": decided, "duration_ms": tpl["duration_ms"], "document": document,
            "prev_hash": prev, "hash": digest,
        })
        for rule, principle, outcome in tpl["reasons"]:
            reasons.append({"decision_seq": seq, "rule": rule, "principle": principle,
                            "outcome": outcome})
            seen_rules[rule] = seen_rules.get(rule, 0) + 1
        prev = digest
        if len(rows) >= BATCH:
            _flush(engine, rows, reasons, analyze=seq == BATCH)
    _flush(engine, rows, reasons)
    with engine.begin() as connection:
        connection.execute(update(ChainHead).values(seq=n, hash=prev))
    return {"seconds": time.perf_counter() - started, "rules": seen_rules,
            "clients": client_ids, "n": n}


def _flush(engine: Any, rows: list, reasons: list, analyze: bool = False) -> None:
    """One batch in one transaction."""
    from sqlalchemy import insert, text

    from app.db import is_postgresql
    from app.log.models import Decision, DecisionReason

    with engine.begin() as connection:
        if is_postgresql(connection):
            # COPY: an INSERT per batch fills a million rows at a few thousand rows/s.
            _copy(connection, "decisions", rows)
            _copy(connection, "decision_reasons", reasons)
        else:
            if rows:
                connection.execute(insert(Decision.__table__), rows)
            if reasons:
                connection.execute(insert(DecisionReason.__table__), reasons)
    if analyze and is_postgresql(engine):
        # Planned on an empty table, each foreign-key check of a reason scans the
        # whole decisions table: the load slows down quadratically. Statistics
        # after the first batch make it an index probe, as on a live log.
        with engine.begin() as connection:
            connection.execute(text("ANALYZE decisions, decision_reasons"))
    rows.clear()
    reasons.clear()


def _copy(connection: Any, table: str, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    columns = list(rows[0])
    cursor = connection.connection.driver_connection.cursor()
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([row[name] for name in columns])


# -- measuring -----------------------------------------------------------------------------

def filter_sets(made: dict[str, Any], r: random.Random, count: int) -> dict[str, list[dict]]:
    """The five filters compliance uses most, each with `count` varied values."""
    rules = sorted(made["rules"], key=made["rules"].get)
    mid_rules = rules[len(rules) // 4:] or rules
    clients = made["clients"]
    since = lambda days: (END - timedelta(days=days)).date().isoformat()  # noqa: E731
    return {
        "outcome=deny": [{"outcome": "deny"} for _ in range(count)],
        "action+outcome": [{"action": r.choice(list(ACTION_WEIGHTS)),
                            "outcome": r.choice(("deny", "require_approval"))}
                           for _ in range(count)],
        # Half of them busy clients, half any client.
        "client_id": [{"client_id": clients[r.randrange(100) if i % 2 else r.randrange(CLIENTS)]}
                      for i in range(count)],
        "actor_id+since": [{"actor_id": f"m-{r.randint(1, MANAGERS):03d}",
                            "since": since(r.choice((30, 90, 365)))} for _ in range(count)],
        "rule": [{"rule": r.choice(mid_rules)} for _ in range(count)],
        # Beyond the five: a rare rule, a rule for one client, a subject, a closed
        # month a year ago, and a principle inside such a month.
        "rare rule": [{"rule": rules[0]} for _ in range(max(10, count // 10))],
        "rule+client_id": [{"rule": r.choice(mid_rules),
                            "client_id": clients[r.randrange(CLIENTS)]} for _ in range(count)],
        "subject_id": [{"subject_id": f"di-{r.randint(1, made['n'])}"} for _ in range(count)],
        "since+until (old month)": [{"since": since(400), "until": since(370)}
                                    for _ in range(max(10, count // 10))],
        "principle+old month": [{"principle": r.choice(("claims", "pricing-policy")),
                                 "since": since(400), "until": since(370)}
                                for _ in range(max(10, count // 10))],
    }


def time_pages(client: Any, headers: dict, params_list: list[dict], pages: int,
               path: str = "/v1/decisions") -> dict:
    """Time the first `pages` pages of `path` for each query of `params_list`."""
    first, later, items = [], [], 0
    for params in params_list:
        cursor = None
        for page in range(pages):
            query = {**params, **({"cursor": cursor} if cursor else {})}
            started = time.perf_counter_ns()
            response = client.get(path, query_string=query, headers=headers)
            spent = time.perf_counter_ns() - started
            assert response.status_code == 200, response.get_data(as_text=True)
            body = response.get_json()
            items += len(body["items"])
            (first if page == 0 else later).append(spent)
            cursor = body["next_cursor"]
            if not cursor:
                break
    return {"first": first, "later": later, "items": items}


def time_export(engine: Any, fmt: str) -> dict[str, float]:
    from app.log.read.export import stream
    from app.log.read.query import Filters

    before = peak = rss_kib()
    rows = size = 0
    started = time.perf_counter()
    for chunk in stream(engine, Filters(), fmt):
        size += len(chunk)
        rows += chunk.count("\n")
        peak = max(peak, rss_kib())
    seconds = time.perf_counter() - started
    rows -= 1 if fmt == "csv" else 0  # the header
    return {"rows": rows, "seconds": seconds, "rows_per_s": rows / seconds,
            "mib": size / 2**20, "rss_before_mib": before / 1024, "rss_peak_mib": peak / 1024}


def run(kind: str, url: str, args: argparse.Namespace) -> None:
    from sqlalchemy import text

    import app.auth  # noqa: F401
    import app.log.read.query  # noqa: F401 - every table and index, as the service has them
    from app import create_app
    from app import db as app_db
    from app.api import database
    from app.auth import create_key
    from app.config import Settings
    from app.log.read.verify import verify

    engine = app_db.make_engine(url)
    app_db.Base.metadata.create_all(engine)
    from app.log.write.writer import ensure_head

    ensure_head(engine)
    print(f"\n== {kind}: filling {args.n:,} decisions ({machine()})", flush=True)
    templates = Templates(args.templates, args.seed)
    made = fill(engine, args.n, templates, args.seed)
    print(f"   filled in {made['seconds']:.0f} s ({args.n / made['seconds']:,.0f} rows/s)")
    if kind == "PostgreSQL":
        with engine.begin() as connection:
            connection.execute(text("ANALYZE"))  # what autovacuum does after a bulk load
    settings = Settings(database_url=url, policy_path=str(ROOT / "policies/rules.yaml"),
                        secret_key=SECRET, environment="test")
    application = create_app(settings)
    with application.app_context():
        key = create_key(database.session(), "compliance", f"bench-{uuid.uuid4().hex[:8]}")
    headers = {"Authorization": f"Bearer {key}"}
    client = application.test_client()
    r = random.Random(args.seed)
    print(f"   {'filter':26} {'pages':>6} {'p50 ms':>8} {'p95 ms':>8}"
          f"   {'next pages p95 ms':>18}  items/page")
    for name, params in filter_sets(made, r, args.queries).items():
        timing = time_pages(client, headers, params, args.pages)
        first, later = timing["first"], timing["later"]
        pages = len(first) + len(later)
        print(f"   {name:26} {pages:6} {percentile(first, 50) / 1000:8.2f}"
              f" {percentile(first, 95) / 1000:8.2f}"
              f"   {percentile(later, 95) / 1000 if later else float('nan'):18.2f}"
              f"  {timing['items'] / pages:6.1f}", flush=True)
    for fmt in ("csv", "jsonl"):
        figures = time_export(engine, fmt)
        print(f"   export {fmt:5}: {figures['rows']:,} rows in {figures['seconds']:.1f} s ="
              f" {figures['rows_per_s']:,.0f} rows/s, {figures['mib']:.0f} MiB;"
              f" RSS {figures['rss_before_mib']:.0f} -> peak {figures['rss_peak_mib']:.0f} MiB",
              flush=True)
    started = time.perf_counter()
    result = verify(engine)
    seconds = time.perf_counter() - started
    print(f"   verify: ok={result.ok} checked={result.checked:,} in {seconds:.1f} s ="
          f" {result.checked / seconds:,.0f} rows/s")
    print(f"   (at the end: {machine()})")
    application.extensions["dealguard.db_engine"].dispose()
    engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="decisions in the log")
    parser.add_argument("--db", choices=("both", "sqlite", "postgresql"), default="both")
    parser.add_argument("--postgres-url", default=POSTGRES_URL)
    parser.add_argument("--queries", type=int, default=200, help="values per filter")
    parser.add_argument("--pages", type=int, default=3, help="pages followed per query")
    parser.add_argument("--templates", type=int, default=5000, help="real decisions to vary")
    parser.add_argument("--seed", type=int, default=20261127)
    args = parser.parse_args(argv)
    if args.db in ("both", "sqlite"):
        with tempfile.TemporaryDirectory(prefix="dealguard-bench-") as folder:
            run("SQLite", f"sqlite:///{folder}/log.db", args)
    if args.db in ("both", "postgresql"):
        run_postgres(args)
    return 0


def run_postgres(args: argparse.Namespace, runner: Any = None) -> None:
    """`runner` (default: this bench's run) on a PostgreSQL schema of its own."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    schema = "bench_log_" + uuid.uuid4().hex[:8]
    admin = create_engine(args.postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    scoped = make_url(args.postgres_url).update_query_dict(
        {"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)
    try:
        (runner or run)("PostgreSQL", scoped, args)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


if __name__ == "__main__":
    sys.exit(main())
