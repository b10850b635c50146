"""GET /v1/decisions: every filter, newest first, a cursor that neither skips nor repeats."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import pytest
from sqlalchemy import update

from app.log.models import Decision

SUMMARY_KEYS = ["decision_id", "request_id", "action", "outcome", "required_approvals",
                "reasons", "obligations", "approval_problems", "policy", "as_of",
    "decided_at", "duration_ms",
                "actor_id", "client_id", "seq"]


def ids(response) -> list[str]:
    assert response.status_code == 200, response.get_json()
    return [item["decision_id"] for item in response.get_json()["items"]]


@pytest.fixture
def mixed(decide):
    """Five decisions of different actions, actors and clients; returned oldest first."""
    return [
        decide("discount", actor="m-1", client="c-1"),                 # require_approval
        decide("shipment", actor="m-2", client="c-2"),                 # allow
        decide("claim", actor="m-1", client="c-3"),                    # allow, claims rule
        decide("discount", actor="m-2", client="c-2",
               discount={"percent": 45}),                              # deny
        decide("offer", actor="m-3", client="c-1"),                    # allow
    ]


def test_newest_first_with_summary_fields(mixed, listing):
    response = listing()
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert list(body) == ["items", "next_cursor"]
    assert body["next_cursor"] is None
    assert [item["decision_id"] for item in body["items"]] == [
        d["decision_id"] for d in reversed(mixed)]
    first = body["items"][0]
    assert list(first) == SUMMARY_KEYS
    assert [item["seq"] for item in body["items"]] == [5, 4, 3, 2, 1]
    # The summary is the answer the caller got, plus who asked about whom.
    answer = mixed[-1]
    assert {k: first[k] for k in answer} == answer
    assert (first["actor_id"], first["client_id"]) == ("m-3", "c-1")


@pytest.mark.parametrize(("params", "expected"), [
    ({"action": "discount"}, [3, 0]),
    ({"outcome": "allow"}, [4, 2, 1]),
    ({"outcome": "deny"}, [3]),
    ({"action": "discount", "outcome": "require_approval"}, [0]),
    ({"actor_id": "m-2"}, [3, 1]),
    ({"client_id": "c-1"}, [4, 0]),
    ({"client_id": "c-404"}, []),
    ({"principle": "pricing-policy"}, [3, 0]),
    ({"principle": "claims"}, [2]),
    ({"rule": "claims.quality-window"}, [2]),
    ({"rule": "pricing.segment-limit"}, [3, 0]),
    ({"rule": "no.such-rule"}, []),
    ({"subject_id": "d-1"}, [3, 0]),     # a deal
    ({"subject_id": "cl-1"}, [2]),       # a claim, by its own id
    ({"subject_id": "o-7"}, [2]),        # ... and by its order's id
    ({"subject_id": "o-1"}, [1]),        # a shipment's order
    ({"subject_id": "of-1"}, [4]),       # an offer
    ({"actor_id": "m-1", "principle": "claims"}, [2]),
    ({"rule": "claims.quality-window", "principle": "claims"}, [2]),
    ({"rule": "claims.quality-window", "principle": "pricing-policy"}, []),
    ({"rule": "pricing.segment-limit", "client_id": "c-2", "outcome": "deny"}, [3]),
])
def test_each_filter(mixed, listing, params, expected):
    assert ids(listing(**params)) == [mixed[i]["decision_id"] for i in expected]


def test_a_rule_matching_twice_lists_the_decision_once(decide, listing):
    # Two offer lines without a stated need: the rule matches each line.
    item = {"sku": "A", "quantity": 1, "available_quantity": 5, "lead_time_days": 1,
            "need": None, "list_price": 100}
    offer = {"id": "of-2", "currency": "RUB", "promised_delivery_date": "2026-12-20",
             "items": [item, {**item, "sku": "B"}]}
    answer = decide("offer", offer=offer)
    rules = [reason["rule"] for reason in answer["reasons"]]
    repeated = next((rule for rule in rules if rules.count(rule) > 1), None)
    assert repeated, rules
    assert ids(listing(rule=repeated)) == [answer["decision_id"]]


def test_repeated_reasons_never_shorten_or_repeat_pages(decide, listing, client, compliance):
    item = {"sku": "A", "quantity": 1, "available_quantity": 5, "lead_time_days": 1,
            "need": None, "list_price": 100}
    items = [{**item, "sku": f"S{i}"} for i in range(4)]  # the rule matches four lines each
    made = [decide("offer", offer={"id": f"of-{n}", "currency": "RUB",
                                   "promised_delivery_date": "2026-12-20", "items": items})
            for n in range(5)]
    rules = [reason["rule"] for reason in made[0]["reasons"]]
    rule = next(rule for rule in rules if rules.count(rule) == 4)
    seen, cursor = [], None
    while True:
        body = listing(rule=rule, limit=2, **({"cursor": cursor} if cursor else {})).get_json()
        assert len(body["items"]) == 2 or body["next_cursor"] is None
        seen += [item["decision_id"] for item in body["items"]]
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert seen == [answer["decision_id"] for answer in reversed(made)]
    lines = client.get("/v1/decisions/export", query_string={"format": "jsonl", "rule": rule},
                       headers=compliance).get_data(as_text=True).splitlines()
    assert len(lines) == 5


def _set_decided_at(engine, decision_id: str, moment: datetime) -> None:
    # decided_at is a filter column; the hash covers the document, not this copy.
    with engine.begin() as connection:
        connection.execute(update(Decision).where(Decision.decision_id == decision_id)
                           .values(decided_at=moment))


def test_since_and_until(mixed, listing, db_engine):
    days = ["2026-01-10T10:00:00", "2026-02-10T23:30:00", "2026-02-11T00:30:00",
            "2026-03-01T12:00:00", "2026-04-01T12:00:00"]
    for decision, day in zip(mixed, days, strict=True):
        _set_decided_at(db_engine, decision["decision_id"],
                        datetime.fromisoformat(day).replace(tzinfo=UTC))
    expect = lambda *indexes: [mixed[i]["decision_id"] for i in indexes]  # noqa: E731
    assert ids(listing(since="2026-02-11")) == expect(4, 3, 2, 1)  # 23:30Z is 02:30 in Moscow
    assert ids(listing(since="2026-02-11T00:00:00Z")) == expect(4, 3, 2)
    assert ids(listing(until="2026-02-10")) == expect(0)            # the whole day, Moscow
    assert ids(listing(until="20260210")) == expect(0)              # ISO basic form alike
    assert ids(listing(until="2026-03-01T12:00:00Z")) == expect(3, 2, 1, 0)  # inclusive
    assert ids(listing(since="2026-02-01", until="2026-03-31")) == expect(3, 2, 1)
    assert ids(listing(since="2026-03-01T15:00:00+03:00", until="2026-03-01")) == expect(3)
    # A + left unencoded in a query string arrives as a space.
    assert ids(listing(since="2026-03-01T15:00:00 03:00", until="2026-03-01")) == expect(3)


def test_default_limit_is_50_and_max_is_500(decide, listing):
    for _ in range(61):
        decide("shipment")
    body = listing().get_json()
    assert len(body["items"]) == 50 and body["next_cursor"]
    assert len(listing(limit=500).get_json()["items"]) == 61


def test_pages_cover_everything_once(mixed, listing):
    seen, cursor = [], None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        body = listing(**params).get_json()
        seen += [item["seq"] for item in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == [5, 4, 3, 2, 1]


def test_cursor_is_stable_while_new_decisions_arrive(decide, listing):
    before = [decide("shipment", client=f"c-{i}")["decision_id"] for i in range(7)]
    seen: list[str] = []
    body = listing(limit=3).get_json()
    seen += [item["decision_id"] for item in body["items"]]
    while body["next_cursor"]:
        # Newer decisions land between every two pages.
        decide("shipment", client="c-new")
        decide("discount", client="c-new")
        body = listing(limit=3, cursor=body["next_cursor"]).get_json()
        seen += [item["decision_id"] for item in body["items"]]
    assert seen == list(reversed(before))  # nothing skipped, nothing twice, still in order


def test_cursor_keeps_its_filters_meaning(mixed, listing):
    first = listing(outcome="allow", limit=1).get_json()
    rest = listing(outcome="allow", limit=5, cursor=first["next_cursor"]).get_json()
    assert [i["seq"] for i in first["items"] + rest["items"]] == [5, 3, 2]


@pytest.mark.parametrize(("params", "field"), [
    ({"limit": "0"}, "limit"),
    ({"limit": "501"}, "limit"),
    ({"limit": "ten"}, "limit"),
    ({"limit": "-1"}, "limit"),
    ({"limit": ""}, "limit"),
    ({"cursor": "not-a-cursor"}, "cursor"),
    ({"cursor": base64.urlsafe_b64encode(b"seq:-4").decode()}, "cursor"),
    ({"cursor": base64.urlsafe_b64encode(b"other:4").decode()}, "cursor"),
    ({"cursor": "%%%"}, "cursor"),
    ({"cursor": "x" * 500}, "cursor"),
    ({"action": "refund"}, "action"),
    ({"outcome": "maybe"}, "outcome"),
    ({"since": "yesterday"}, "since"),
    ({"until": "2026-13-45"}, "until"),
    ({"since": "0001-01-01"}, "since"),
    ({"until": "9999-12-31"}, "until"),
    ({"until": "9999-12-31T23:59:59.999999"}, "until"),
    ({"since": "+12026-01-01"}, "since"),
    ({"since": "２０２６-01-01"}, "since"),
    ({"limit": "²"}, "limit"),
    ({"limit": "٣"}, "limit"),
    ({"since": "2026-02-01", "until": "2026-01-01"}, "until"),
    ({"client_id": "x" * 129}, "client_id"),
    ({"actor_id": "m-1\x00"}, "actor_id"),
    ({"rule": ""}, "rule"),
    ({"outcom": "deny"}, "outcom"),
])
def test_bad_parameters_are_422_naming_the_field(listing, params, field):
    response = listing(**params)
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert field in response.get_json()["errors"]


def test_every_bad_field_is_named_at_once(listing):
    errors = listing(limit="0", cursor="zz", action="x").get_json()["errors"]
    assert set(errors) == {"limit", "cursor", "action"}


def test_records_appended_out_of_time_order_are_still_found(decide, listing, db_engine):
    # The writer takes decided_at before it waits for the chain lock, so a record can be
    # a little older than the one before it. Time windows must still find it.
    made = [decide("shipment", client=f"c-{i}")["decision_id"] for i in range(4)]
    times = ["2026-01-10T10:00:00", "2026-03-01T12:00:00", "2026-03-01T11:00:00",
             "2026-03-05T10:00:00"]
    for decision_id, moment in zip(made, times, strict=True):
        _set_decided_at(db_engine, decision_id, datetime.fromisoformat(moment).replace(
            tzinfo=UTC))
    assert ids(listing(until="2026-03-01T11:30:00Z")) == [made[2], made[0]]
    assert ids(listing(since="2026-03-01T11:30:00Z")) == [made[3], made[1]]
    assert ids(listing(since="2026-03-01T10:30:00Z", until="2026-03-01T11:30:00Z")) == [made[2]]
