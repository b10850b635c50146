"""Every error of CONTRACT §4 is application/problem+json, and no input gives a 500."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select, text

from app import decision_service
from app.log.models import Decision
from app.log.write import record, writer
from app.log.write.masking import MaskingError
from app.log.write.writer import LogWriteError

PROBLEM_KEYS = {"type", "title", "status", "detail", "errors"}


def assert_problem(response, status: int) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    problem = response.get_json()
    assert PROBLEM_KEYS <= set(problem) and problem["status"] == status
    assert "Traceback" not in response.get_data(as_text=True)
    return problem


def raw_post(client, headers, data, content_type="application/json", path="/v1/decisions"):
    return client.post(path, data=data, content_type=content_type, headers=headers)


@pytest.mark.parametrize("data", [b"{", b"", b"nul", b"{'a': 1}", b"\xff\xfe{}", b"[1,]"])
def test_400_body_is_not_json(client, crm, data):
    assert_problem(raw_post(client, crm, data), 400)


@pytest.mark.parametrize("data", [b"[]", b"42", b'"discount"', b"null", b"true"])
def test_400_body_is_not_an_object(client, crm, data):
    assert_problem(raw_post(client, crm, data), 400)
    assert_problem(raw_post(client, crm, data, path="/v1/decisions/batch"), 400)


@pytest.mark.parametrize("header", [None, "", "Bearer", "Bearer ", "Basic abc",
                                    "Bearer dg_unknown", "bearer nope"])
def test_401_without_a_valid_key(client, body, header):
    headers = {"Authorization": header} if header is not None else {}
    problem = assert_problem(client.post("/v1/decisions", json=body("claim"), headers=headers),
                             401)
    assert problem["title"] == "Unauthorized"


def test_401_revoked_key(app, client, body, make_key):
    from app.api import database
    from app.auth import ApiKey, revoke_key

    headers = make_key("crm")
    assert client.post("/v1/decisions", json=body("claim"), headers=headers).status_code == 200
    with app.app_context():
        session = database.session()
        name = session.scalars(select(ApiKey.name)).first()
        assert revoke_key(session, name)
    assert_problem(client.post("/v1/decisions", json=body("claim"), headers=headers), 401)


def test_403_wrong_role(client, body, make_key):
    assert_problem(client.post("/v1/decisions", json=body("claim"),
                               headers=make_key("compliance")), 403)


def test_404_unknown_path_and_405_wrong_method(client, crm):
    assert_problem(client.get("/v1/no-such-thing", headers=crm), 404)
    problem = assert_problem(client.delete("/v1/policy", headers=crm), 405)
    assert problem["status"] == 405


def test_409_is_a_problem(post, body):
    post(body("claim", request_id="r-1"))
    changed = body("claim", request_id="r-1")
    changed["claim"] = dict(changed["claim"], amount=1)
    assert_problem(post(changed), 409)


def test_413_over_the_body_limit(client, crm):
    big = json.dumps({"action": "claim", "pad": "x" * 262144})
    assert_problem(raw_post(client, crm, big), 413)
    assert_problem(raw_post(client, crm, big, path="/v1/decisions/batch"), 413)
    assert_problem(raw_post(client, crm, big, "text/yaml", path="/v1/policy/validate"), 413)


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded",
                                          "multipart/form-data; boundary=x", "application/xml",
                                          ""])
def test_415_not_json(client, crm, body, content_type):
    data = json.dumps(body("claim"))
    assert_problem(raw_post(client, crm, data, content_type), 415)


def test_json_with_charset_and_problem_json_are_accepted(client, crm, body):
    data = json.dumps(body("claim"))
    assert raw_post(client, crm, data, "application/json; charset=utf-8").status_code == 200


def _set(body, path, value):
    node = body
    *parents, last = path.split(".")
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    if value is KeyError:
        del node[last]
    elif isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
    return body


INVALID = [
    ("discount", "action", "refund", "action"),
    ("discount", "action", KeyError, "action"),
    ("discount", "deal", KeyError, "deal"),
    ("discount", "deal.list_amount", "100", "deal.list_amount"),
    ("discount", "deal.list_amount", -5, "deal.list_amount"),
    ("discount", "deal.list_amount", 0, "deal.list_amount"),
    ("discount", "deal.list_amount", True, "deal.list_amount"),
    ("discount", "deal.currency", "EUR", "deal.currency"),
    ("discount", "discount.percent", 101, "discount.percent"),
    ("discount", "client.segment", "vip", "client.segment"),
    ("discount", "client.segment", KeyError, "client.segment"),
    ("discount", "actor.role", "ceo", "actor.role"),
    ("discount", "as_of", "27.11.2026", "as_of"),
    ("discount", "as_of", "2026-02-30", "as_of"),
    ("discount", "unexpected", 1, "unexpected"),
    ("discount", "request_id", "x" * 129, "request_id"),
    ("discount", "request_id", 17, "request_id"),
    ("shipment", "order.paid", None, "order.paid"),
    ("shipment", "shipment.kind", "express", "shipment.kind"),
    ("claim", "claim.days_since_delivery", 1.5, "claim.days_since_delivery"),
    ("claim", "claim.reason", "bored", "claim.reason"),
    ("disclosure", "disclosure.categories", [], "disclosure.categories"),
    ("disclosure", "disclosure.records", 0, "disclosure.records"),
    ("offer", "offer.items.0.quantity", -1, "offer.items.0.quantity"),
    ("offer", "offer.promised_delivery_date", "soon", "offer.promised_delivery_date"),
    ("offer", "offer.items", [], "offer.items"),
]


@pytest.mark.parametrize(("action", "path", "value", "error_path"), INVALID)
def test_422_with_field_paths(post, body, db_engine, action, path, value, error_path):
    problem = assert_problem(post(_set(body(action), path, value)), 422)
    assert error_path in problem["errors"], problem["errors"]
    with db_engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(Decision)).scalar() == 0


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity"])
def test_422_nan_and_infinity(client, crm, number):
    data = ('{"action":"discount","actor":{"id":"m-1","role":"manager"},'
            '"client":{"id":"c","segment":"retail"},'
            '"deal":{"id":"d","currency":"RUB","list_amount":NUMBER},"discount":{"percent":1}}'
            ).replace("NUMBER", number)
    assert_problem(raw_post(client, crm, data), 422)


@pytest.mark.parametrize("depth", [20, 100, 5000, 100000])
def test_deeply_nested_json_is_refused(client, crm, depth):
    data = '{"action":"claim","x":' + "[" * depth + "]" * depth + "}"
    if len(data) > 262144:
        pytest.skip("over the body limit")
    assert_problem(raw_post(client, crm, data), 422)


@pytest.mark.parametrize(("depth", "too_deep"), [(15, False), (16, True)])
def test_nesting_is_refused_from_one_level_over_the_limit(client, crm, depth, too_deep):
    # The body object is level 1, so `depth` lists inside it make depth + 1 levels; the
    # limit is MAX_DEPTH = 16 levels (app/api/body.py).
    data = '{"action":"claim","x":' + "[" * depth + "]" * depth + "}"
    problem = assert_problem(raw_post(client, crm, data), 422)
    assert ("nested too deeply" in problem["detail"]) is too_deep


def test_huge_integer_is_a_422_not_a_crash(client, crm):
    data = ('{"action":"claim","actor":{"id":"m-1","role":"manager"},"client":{"id":"c"},'
            '"order":{"id":"o","currency":"RUB","total":1%s},'
            '"claim":{"id":"x","reason":"defect","amount":1,"days_since_delivery":1,'
            '"remedy":"refund"}}').replace("%s", "0" * 5000)
    assert_problem(raw_post(client, crm, data), 422)


@pytest.mark.parametrize("garbage", [
    {"action": ["discount"]}, {"action": {"a": 1}}, {"action": None}, {"action": 1.5},
    {"action": "offer", "offer": {"items": [None, 1, "x"]}},
    {"action": "shipment", "client": [], "actor": "me", "order": 5},
    {"action": "claim", "claim": {"amount": 1e400}},
])
def test_garbage_never_gives_500(post, garbage):
    response = post(garbage)
    assert response.status_code in (400, 422), response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"


def test_503_when_the_log_write_fails(post, body, monkeypatch, app):
    def broken(*_args, **_kwargs):
        raise LogWriteError("OperationalError")

    # Single decisions are written by the group committer.
    monkeypatch.setattr(writer, "append_many", broken)
    problem = assert_problem(post(body("claim")), 503)
    assert "decision_id" not in problem
    response = post(body("claim"))
    assert response.headers["Retry-After"]


def test_503_when_the_database_refuses_the_write(post, body, db_engine):
    with db_engine.begin() as connection:
        connection.execute(text("DROP TABLE decision_shadows"))
        connection.execute(text("DROP TABLE decision_reasons"))
        connection.execute(text("DROP TABLE approval_requests"))
        connection.execute(text("DROP TABLE decisions"))
    response = post(body("claim"))
    assert_problem(response, 503)
    assert response.headers["Retry-After"]
    batch = post({"requests": [body("claim"), body("claim")]}, path="/v1/decisions/batch")
    assert_problem(batch, 503)


def test_503_when_masking_fails(post, body, db_engine, monkeypatch):
    def broken(*_args, **_kwargs):
        raise MaskingError("no secret")

    monkeypatch.setattr(record, "mask_request", broken)
    assert_problem(post(body("discount")), 503)
    with db_engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(Decision)).scalar() == 0


def test_503_failures_are_counted(client, post, body, monkeypatch):
    monkeypatch.setattr(writer, "append_many",
                        lambda *a, **k: (_ for _ in ()).throw(LogWriteError("x")))
    before = _metric(client, "dealguard_log_write_failures_total")
    post(body("claim"))
    assert _metric(client, "dealguard_log_write_failures_total") == before + 1


def _metric(client, name: str) -> float:
    for line in client.get("/metrics").get_data(as_text=True).splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    return 0.0


def test_503_when_the_database_is_gone_before_the_key_check(post, body, db_engine):
    with db_engine.begin() as connection:
        connection.execute(text("DROP TABLE api_keys"))
    response = post(body("claim"))
    assert_problem(response, 503)
    assert response.headers["Retry-After"]


def test_413_for_a_chunked_body_without_content_length(client, crm):
    import io

    big = json.dumps({"action": "claim", "pad": "x" * 300000}).encode()
    for path, content_type in (("/v1/decisions", "application/json"),
                               ("/v1/policy/validate", "text/yaml")):
        response = client.post(path, input_stream=io.BytesIO(big), content_type=content_type,
                               headers={**crm, "Transfer-Encoding": "chunked"},
                               environ_overrides={"wsgi.input_terminated": True})
        assert_problem(response, 413)
    small = json.dumps({"action": "claim"}).encode()
    response = client.post("/v1/decisions", input_stream=io.BytesIO(small),
                           content_type="application/json",
                           headers={**crm, "Transfer-Encoding": "chunked"},
                           environ_overrides={"wsgi.input_terminated": True})
    assert_problem(response, 422)


def test_an_unexpected_error_is_a_problem_and_its_message_is_not_logged(
        post, body, monkeypatch, caplog):
    secret_name = "".join(["Iv", "an"])  # built at run time: the source line is logged

    def explode(*_args, **_kwargs):
        raise RuntimeError(secret_name)

    monkeypatch.setattr(decision_service, "prepare", explode)
    response = post(body("discount"))
    problem = assert_problem(response, 500)
    assert "Ivan" not in response.get_data(as_text=True)
    assert "Ivan" not in caplog.text and "RuntimeError" in caplog.text
    assert problem["detail"]
