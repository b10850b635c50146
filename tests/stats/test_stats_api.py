"""GET /v1/stats, /series and /chart.svg: every cell of CONTRACT §6 for them, the query
checks, and the answers' shape."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from app.stats.metrics import METRIC_NAMES

PATHS = (
    "/v1/stats?at=2026-11-25",
    "/v1/stats/series?metric=calls&at=2026-11-25",
    "/v1/stats/chart.svg?metric=calls&at=2026-11-25",
)


@pytest.fixture
def data(session, add_events, add_decision, event):
    add_events(
        event("call", "2026-11-24T10:00:00+03:00", manager="m-1", client="c-1"),
        event("call", "2026-11-24T11:00:00+03:00", manager="m-2", client="c-2"),
        event("call", "2026-11-24T12:00:00+03:00", manager="m-2", client="c-3"),
        event("contract_signed", "2026-11-17T12:00:00+03:00", manager="m-1", amount=1234567.89),
        event("contract_signed", "2026-11-25T12:00:00+03:00", manager="m-1", amount=1000),
    )
    add_decision("m-1", "deny", "2026-11-24T09:00:00+00:00")
    add_decision("m-2", "allow", "2026-11-24T09:00:00+00:00")


def with_manager(path: str, manager: str) -> str:
    return f"{path}&manager_id={manager}"


# --- roles (CONTRACT §6: GET /v1/stats... no for crm, own for manager, yes otherwise) ---


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize(("role", "status"), [
    ("crm", 403), ("manager", 200), ("compliance", 200), ("admin", 200),
])
def test_roles(client, make_key, path, role, status) -> None:
    response = client.get(path, headers=make_key(role, "m-1" if role == "manager" else None))
    assert response.status_code == status


@pytest.mark.parametrize("path", PATHS)
def test_no_key_is_401(client, path) -> None:
    response = client.get(path)
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"


@pytest.mark.parametrize("path", PATHS)
def test_manager_may_ask_for_itself(client, make_key, path) -> None:
    response = client.get(with_manager(path, "m-1"), headers=make_key("manager", "m-1"))
    assert response.status_code == 200


@pytest.mark.parametrize("path", PATHS)
def test_manager_may_not_ask_for_another(client, make_key, path) -> None:
    response = client.get(with_manager(path, "m-2"), headers=make_key("manager", "m-1"))
    assert response.status_code == 403
    assert response.mimetype == "application/problem+json"


def test_manager_without_manager_id_gets_its_own(client, make_key, data) -> None:
    answer = client.get(PATHS[0], headers=make_key("manager", "m-1")).get_json()
    assert answer["manager_id"] == "m-1"
    assert answer["metrics"]["calls"]["current"] == 1
    assert answer["metrics"]["decisions"]["current"] == 1
    series = client.get(PATHS[1], headers=make_key("manager", "m-2")).get_json()
    assert series["manager_id"] == "m-2"
    assert series["points"][-1]["value"] == 2


@pytest.mark.parametrize("role", ["compliance", "admin"])
def test_compliance_and_admin_see_everyone_or_anyone(client, make_key, data, role) -> None:
    headers = make_key(role)
    everyone = client.get(PATHS[0], headers=headers).get_json()
    assert everyone["manager_id"] is None
    assert everyone["metrics"]["calls"]["current"] == 3
    one = client.get(with_manager(PATHS[0], "m-2"), headers=headers).get_json()
    assert one["manager_id"] == "m-2"
    assert one["metrics"]["calls"]["current"] == 2


# --- answers ---


def test_stats_answer(backend, client, make_key, data) -> None:
    response = client.get(PATHS[0], headers=make_key("admin"))
    assert response.status_code == 200 and response.mimetype == "application/json"
    answer = response.get_json()
    assert answer["period"] == "week"
    assert answer["current"] == {"start": "2026-11-23", "end": "2026-11-29"}
    assert answer["previous"] == {"start": "2026-11-16", "end": "2026-11-22"}
    assert list(answer["metrics"]) == list(METRIC_NAMES)
    deals = answer["metrics"]["deals_amount"]
    assert deals == {"current": 1000, "previous": 1234567.89, "change": -1233567.89,
                     "change_pct": -99.9, "trend": "down"}
    # Money is a JSON number written exactly, not a string.
    assert '"previous":1234567.89' in response.get_data(as_text=True)
    assert answer["metrics"]["calls"]["trend"] == "new"
    assert answer["metrics"]["calls"]["change_pct"] is None
    assert answer["metrics"]["meetings"]["trend"] == "flat"


@pytest.mark.parametrize(("period", "current", "previous"), [
    ("day", ["2026-11-25", "2026-11-25"], ["2026-11-24", "2026-11-24"]),
    ("week", ["2026-11-23", "2026-11-29"], ["2026-11-16", "2026-11-22"]),
    ("month", ["2026-11-01", "2026-11-30"], ["2026-10-01", "2026-10-31"]),
    ("quarter", ["2026-10-01", "2026-12-31"], ["2026-07-01", "2026-09-30"]),
])
def test_periods(client, make_key, period, current, previous) -> None:
    answer = client.get(f"/v1/stats?period={period}&at=2026-11-25",
                        headers=make_key("admin")).get_json()
    assert answer["period"] == period
    assert [answer["current"]["start"], answer["current"]["end"]] == current
    assert [answer["previous"]["start"], answer["previous"]["end"]] == previous


def test_defaults_are_this_week_in_the_zone(client, make_key) -> None:
    answer = client.get("/v1/stats", headers=make_key("admin")).get_json()
    today = dt.datetime.now(ZoneInfo("Europe/Moscow")).date()
    monday = today - dt.timedelta(days=today.weekday())
    assert answer["period"] == "week"
    assert answer["current"]["start"] == monday.isoformat()


def test_series_answer(backend, client, make_key, data) -> None:
    response = client.get("/v1/stats/series?metric=deals_amount&count=3&at=2026-11-25",
                          headers=make_key("compliance"))
    assert response.get_json() == {
        "metric": "deals_amount", "period": "week", "manager_id": None,
        "points": [
            {"start": "2026-11-09", "end": "2026-11-15", "value": 0},
            {"start": "2026-11-16", "end": "2026-11-22", "value": 1234567.89},
            {"start": "2026-11-23", "end": "2026-11-29", "value": 1000},
        ],
    }


def test_series_default_count_is_12_and_104_is_allowed(client, make_key) -> None:
    headers = make_key("admin")
    assert len(client.get(PATHS[1], headers=headers).get_json()["points"]) == 12
    long = client.get(PATHS[1] + "&count=104&period=quarter", headers=headers).get_json()
    assert len(long["points"]) == 104
    assert long["points"][0]["start"] == "2001-01-01"  # 103 quarters before 2026 Q4


def test_chart(client, make_key, data) -> None:
    response = client.get("/v1/stats/chart.svg?metric=deals_amount&count=3&at=2026-11-25",
                          headers=make_key("admin"))
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    svg = response.get_data(as_text=True)
    assert svg.startswith("<svg") and "<script" not in svg
    assert "1\u00a0234\u00a0567.89" not in svg or "1\u00a0000" in svg
    assert "Deals signed, RUB, per week" in svg


def test_chart_escapes_the_manager_id(client, make_key) -> None:
    evil = "<script>alert(1)</script>&"
    response = client.get(
        "/v1/stats/chart.svg?metric=calls&at=2026-11-25&manager_id=%3Cscript%3Ealert(1)"
        "%3C%2Fscript%3E%26",
        headers=make_key("admin"),
    )
    svg = response.get_data(as_text=True)
    assert evil not in svg
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&amp;" in svg


# --- query checks: 422 by parameter, never a 500 ---


@pytest.mark.parametrize(("query", "parameter"), [
    ("/v1/stats?period=year", "period"),
    ("/v1/stats?period=", "period"),
    ("/v1/stats?at=2026-13-01", "at"),
    ("/v1/stats?at=25.11.2026", "at"),
    ("/v1/stats?at=2026-11-25T10:00:00%2B03:00", "at"),
    ("/v1/stats?at=0001-01-01", "at"),
    ("/v1/stats?at=9999-12-31", "at"),
    ("/v1/stats?manager_id=", "manager_id"),
    ("/v1/stats?manager_id=" + "x" * 129, "manager_id"),
    ("/v1/stats?metric=calls", "metric"),  # not a parameter of /v1/stats
    ("/v1/stats?period=week&period=day", "period"),
    ("/v1/stats/series", "metric"),
    ("/v1/stats/series?metric=revenue", "metric"),
    ("/v1/stats/series?metric=calls&count=0", "count"),
    ("/v1/stats/series?metric=calls&count=105", "count"),
    ("/v1/stats/series?metric=calls&count=-1", "count"),
    ("/v1/stats/series?metric=calls&count=1.5", "count"),
    ("/v1/stats/series?metric=calls&count=%D9%A3", "count"),  # an Arabic-Indic digit
    ("/v1/stats/series?metric=calls&count=99999999999999999999", "count"),
    ("/v1/stats/chart.svg?metric=calls&count=abc", "count"),
    ("/v1/stats/chart.svg?metric=calls&period=fortnight", "period"),
])
def test_invalid_query_is_422(client, make_key, query, parameter) -> None:
    response = client.get(query, headers=make_key("admin"))
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert parameter in response.get_json()["errors"]


def test_far_dates_within_range_work(client, make_key) -> None:
    headers = make_key("admin")
    for at in ("1900-01-01", "9998-12-31"):
        assert client.get(f"/v1/stats?at={at}&period=quarter", headers=headers).status_code == 200
        response = client.get(
            f"/v1/stats/series?metric=calls&period=quarter&count=104&at={at}", headers=headers
        )
        assert response.status_code == 200


def test_post_is_405(client, make_key) -> None:
    assert client.post("/v1/stats", headers=make_key("admin")).status_code == 405


def test_nul_in_a_query_is_422_on_every_database(backend, client, make_key) -> None:
    response = client.get("/v1/stats?manager_id=a%00b", headers=make_key("admin"))
    assert response.status_code == 422
    assert "manager_id" in response.get_json()["errors"]


def test_decisions_made_through_the_api_are_counted_for_their_actor(
    backend, client, make_key
) -> None:
    # End to end: the decision service logs, the statistics read the log (today's week).
    body = {
        "action": "discount",
        "actor": {"id": "m-7", "role": "manager"},
        "client": {"id": "c-1", "segment": "wholesale"},
        "deal": {"id": "d-1", "currency": "RUB", "list_amount": 100000, "category": "standard"},
        "discount": {"percent": 1},
    }
    crm = make_key("crm")
    outcomes = []
    for percent in (1, 12.5, 99):
        body["discount"]["percent"] = percent
        answer = client.post("/v1/decisions", json=body, headers=crm)
        assert answer.status_code == 200, answer.get_json()
        outcomes.append(answer.get_json()["outcome"])
    stats = client.get("/v1/stats", headers=make_key("manager", "m-7")).get_json()["metrics"]
    assert stats["decisions"]["current"] == 3
    assert stats["decisions_allowed"]["current"] == outcomes.count("allow")
    assert stats["decisions_denied"]["current"] == outcomes.count("deny")
    assert stats["decisions_require_approval"]["current"] == outcomes.count("require_approval")
    assert {"allow", "require_approval"} <= set(outcomes)
    other = client.get("/v1/stats?manager_id=m-8", headers=make_key("compliance")).get_json()
    assert other["metrics"]["decisions"]["current"] == 0
