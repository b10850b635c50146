"""GET /v1/decisions/export and `dealguard log export`: filtered, streamed, masked."""

from __future__ import annotations

import csv
import io
import json

import pytest
from click.testing import CliRunner

from app.cli import main
from app.jsontext import loads
from app.log.write.chain import GENESIS, link

CSV_HEADER = ["decision_id", "seq", "decided_at", "action", "outcome", "actor_id", "client_id",
              "subject_id", "rules", "required_approvals", "policy_version", "as_of",
              "key_name", "hash"]


@pytest.fixture
def logged(decide):
    return [
        decide("discount"),                                     # clear name, email, phone, tax id
        decide("disclosure"),                                   # clear purpose
        decide("discount", client="c-2", discount={"percent": 45}),  # deny
        decide("claim", actor="m-2"),
    ]


def _export(client, headers, **params):
    response = client.get("/v1/decisions/export", query_string=params, headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.is_streamed
    return response


def test_csv_has_a_header_and_flat_columns(client, compliance, logged):
    response = _export(client, compliance, format="csv")
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0] == CSV_HEADER
    assert [row[0] for row in rows[1:]] == [d["decision_id"] for d in logged]  # oldest first
    first = dict(zip(CSV_HEADER, rows[1], strict=True))
    assert first["seq"] == "1" and first["action"] == "discount"
    assert first["outcome"] == "require_approval"
    assert first["rules"] == "pricing.segment-limit"
    assert first["required_approvals"] == "head_of_sales"
    assert first["policy_version"] == logged[0]["policy"]["version"]
    assert first["subject_id"] == "d-1" and first["as_of"] == "2026-11-27"
    assert first["decided_at"] == logged[0]["decided_at"]
    assert first["key_name"].startswith("test-crm-") and len(first["hash"]) == 64
    rules = rows[3][8].split(";")
    assert "pricing.segment-limit" in rules and len(rules) == len(set(rules))


def test_jsonl_is_one_full_record_per_line(client, compliance, logged):
    response = _export(client, compliance, format="jsonl")
    lines = response.get_data(as_text=True).splitlines()
    records = [loads(line) for line in lines]
    assert [r["decision_id"] for r in records] == [d["decision_id"] for d in logged]
    prev = GENESIS
    for line, record in zip(lines, records, strict=True):
        assert {"request", "facts", "key_name", "seq", "hash", "prev_hash"} <= set(record)
        # An auditor can re-compute the chain from the export alone.
        document = json.loads(line)
        hashes = document.pop("hash"), document.pop("prev_hash")
        assert hashes[1] == prev
        prev = hashes[0]
    by_id = client.get(f"/v1/decisions/{logged[0]['decision_id']}", headers=compliance)
    # The record by id also lists the approvals given on it: records of their own.
    record = by_id.get_json()
    assert record.pop("approvals") == []
    assert json.loads(lines[0]) == record


def test_jsonl_chain_recomputes_from_the_stored_text(client, compliance, logged, db_engine):
    from sqlalchemy import select

    from app.log.models import Decision

    lines = _export(client, compliance, format="jsonl").get_data(as_text=True).splitlines()
    with db_engine.connect() as connection:
        documents = connection.execute(select(Decision.document).order_by(Decision.seq)).all()
    prev = GENESIS
    for line, (document,) in zip(lines, documents, strict=True):
        assert line.startswith(document[:-1])
        prev = link(prev, document)
        assert f'"hash":"{prev}"' in line


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_exports_never_hold_clear_confidential_values(client, compliance, logged, fmt,
                                                      clear_values):
    text = _export(client, compliance, format=fmt).get_data(as_text=True)
    assert logged[0]["decision_id"] in text
    leaked = [value for value in clear_values if value in text]
    assert not leaked
    if fmt == "jsonl":
        assert "hmac:" in text


@pytest.mark.parametrize(("params", "expected"), [
    ({"action": "discount"}, [0, 2]),
    ({"outcome": "deny"}, [2]),
    ({"client_id": "c-2"}, [2]),
    ({"actor_id": "m-2"}, [3]),
    ({"rule": "claims.quality-window"}, [3]),
    ({"principle": "pricing-policy"}, [0, 2]),
    ({"subject_id": "o-7"}, [3]),
    ({"since": "2000-01-01", "until": "2999-01-01"}, [0, 1, 2, 3]),
    ({"since": "2999-01-01"}, []),
])
def test_export_takes_the_list_filters(client, compliance, logged, params, expected):
    text = _export(client, compliance, format="jsonl", **params).get_data(as_text=True)
    assert [loads(line)["decision_id"] for line in text.splitlines()] == [
        logged[i]["decision_id"] for i in expected]


def test_empty_csv_is_its_header(client, compliance):
    text = _export(client, compliance, format="csv").get_data(as_text=True)
    assert text == ",".join(CSV_HEADER) + "\r\n"


def test_csv_cells_cannot_become_formulas(client, compliance, decide):
    decide("shipment", client="=HYPERLINK(\"http://x\")")
    rows = list(csv.reader(io.StringIO(
        _export(client, compliance, format="csv").get_data(as_text=True))))
    assert rows[1][6] == "'=HYPERLINK(\"http://x\")"


@pytest.mark.parametrize("params", [{"format": "xml"}, {"format": ""}, {"action": "x"},
                                    {"limit": "5"}, {"since": "soon"}])
def test_bad_export_parameters_are_422(client, compliance, params):
    response = client.get("/v1/decisions/export", query_string=params, headers=compliance)
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"


def test_default_format_is_csv(client, compliance, logged):
    assert _export(client, compliance).mimetype == "text/csv"


def test_cli_export(app, logged, monkeypatch, tmp_path, clear_values):
    settings = app.config["SETTINGS"]
    monkeypatch.setenv("DEALGUARD_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("DEALGUARD_SECRET_KEY", settings.secret_key)
    runner = CliRunner()
    result = runner.invoke(main, ["log", "export", "--format", "jsonl", "--action", "discount"])
    assert result.exit_code == 0, result.output
    assert [loads(line)["seq"] for line in result.output.splitlines()] == [1, 3]
    target = tmp_path / "out.csv"
    result = runner.invoke(main, ["log", "export", "-o", str(target)])
    assert result.exit_code == 0, result.output
    text = target.read_text(encoding="utf-8")
    assert text.startswith("decision_id,seq,") and len(text.splitlines()) == 5
    assert not [value for value in clear_values if value in text]
    bad = runner.invoke(main, ["log", "export", "--outcome", "maybe"])
    assert bad.exit_code != 0 and "--outcome" in bad.output
