"""Random combinations of filters, limits and cursors against a plain-Python reading of the log."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from app.log.models import Decision

SUBJECTS = {"discount": ("deal",), "shipment": ("order",), "claim": ("claim", "order"),
            "offer": ("offer",), "disclosure": ()}


@pytest.fixture
def varied_log(decide, client, compliance, db_engine):
    r = random.Random(4)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for n in range(40):
        action = r.choice(list(SUBJECTS))
        changes = {}
        if action == "discount":
            changes["discount"] = {"percent": r.choice([3, 12.5, 17, 45])}
        answer = decide(action, actor=f"m-{r.randint(1, 3)}", client=f"c-{r.randint(1, 4)}",
                        **changes)
        with db_engine.begin() as connection:
            connection.execute(update(Decision).where(
                Decision.decision_id == answer["decision_id"]).values(
                decided_at=start + timedelta(days=n, hours=r.randint(0, 23))))
    records = []
    for item in _all(client, compliance, {}):
        record = client.get(f"/v1/decisions/{item['decision_id']}", headers=compliance)
        records.append(record.get_json())
    return records


def _all(client, headers, params, limit=500):
    seen, cursor = [], None
    while True:
        query = {**params, "limit": limit, **({"cursor": cursor} if cursor else {})}
        response = client.get("/v1/decisions", query_string=query, headers=headers)
        assert response.status_code == 200, (params, response.get_json())
        body = response.get_json()
        seen += body["items"]
        cursor = body["next_cursor"]
        if not cursor:
            return seen


def _matches(record, params, decided_at) -> bool:
    request = record["request"]
    checks = {
        "action": lambda v: record["action"] == v,
        "outcome": lambda v: record["outcome"] == v,
        "rule": lambda v: any(x["rule"] == v for x in record["reasons"]),
        "principle": lambda v: any(x["principle"] == v for x in record["reasons"]),
        "actor_id": lambda v: request["actor"]["id"] == v,
        "client_id": lambda v: request["client"]["id"] == v,
        "subject_id": lambda v: v in [request[key]["id"] for key in SUBJECTS[record["action"]]],
        "since": lambda v: decided_at >= v,
        "until": lambda v: decided_at < v,
    }
    return all(checks[name](value) for name, value in params.items())


def test_random_filters_match_a_plain_reading(varied_log, client, compliance, db_engine):
    from sqlalchemy import select

    with db_engine.connect() as connection:
        when = dict(connection.execute(select(Decision.decision_id, Decision.decided_at)).all())
    when = {k: (v if v.tzinfo else v.replace(tzinfo=UTC)) for k, v in when.items()}
    rules = sorted({x["rule"] for rec in varied_log for x in rec["reasons"]})
    principles = sorted({x["principle"] for rec in varied_log for x in rec["reasons"]})
    values = {
        "action": list(SUBJECTS), "outcome": ["allow", "require_approval", "deny"],
        "rule": rules, "principle": principles, "actor_id": ["m-1", "m-2", "m-3"],
        "client_id": ["c-1", "c-2", "c-3", "c-4"],
        "subject_id": ["d-1", "o-1", "o-7", "cl-1", "of-1", "x"],
    }
    r = random.Random(11)
    nonempty = 0
    for _ in range(60):
        params = {name: r.choice(options)
                  for name, options in r.sample(sorted(values.items()), r.randint(1, 3))}
        bounds = {}
        if r.random() < 0.5:
            day = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(days=r.randint(0, 40))
            bounds["since"] = day
            if r.random() < 0.5:
                bounds["until"] = day + timedelta(days=r.randint(1, 20))
        query = {**params, **{k: v.isoformat() for k, v in bounds.items()}}
        expected = [rec["seq"] for rec in varied_log
                    if _matches(rec, {**params, **bounds}, when[rec["decision_id"]])]
        got = [item["seq"] for item in _all(client, compliance, query,
                                             limit=r.choice([1, 2, 7, 50]))]
        assert got == expected, query
        nonempty += bool(expected)
    assert nonempty >= 20  # the oracle compared real pages, not empty ones


def test_either_index_may_lead_a_rule_filter(varied_log, db_engine):
    from app.log.read import plan, query, records
    from app.log.read.query import Filters

    rules = sorted({x["rule"] for rec in varied_log for x in rec["reasons"]})
    with db_engine.connect() as connection:
        for rule in rules:
            for extra in ({}, {"client_id": "c-1"}, {"actor_id": "m-2"}, {"outcome": "deny"}):
                filters = Filters(rule=rule, **extra)
                answers = []
                for driver in ("rule", None):
                    how = plan.Plan(driver=driver)
                    statement = query.matching(filters, records.COLUMNS, True, how=how)
                    answers.append([row.seq for row in query.distinct(
                        connection.execute(statement))])
                assert answers[0] == answers[1], (rule, extra)
                page, _ = query.fetch_page(connection, filters, 500, None, records.COLUMNS)
                assert [row.seq for row in page] == answers[0]
