"""GET /v1/policy, POST /v1/policy/validate and /reload, and workers following a reload."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from app import create_app

RULES = Path(__file__).resolve().parents[2] / "policies" / "rules.yaml"


@pytest.fixture
def admin(make_key):
    return make_key("admin")


def test_get_policy(client, crm):
    response = client.get("/v1/policy", headers=crm)
    assert response.status_code == 200
    policy = response.get_json()
    assert {"name", "version", "sha256", "loaded_at", "principles", "rules"} <= set(policy)
    assert set(policy["principles"]) == {"no-empty-promises", "pricing-policy", "prepayment",
                                         "claims", "confidentiality", "real-need"}
    rule = policy["rules"][0]
    assert set(rule) == {"id", "principle", "actions", "description"}


def test_validate_a_good_policy(client, crm):
    response = client.post("/v1/policy/validate", data=RULES.read_bytes(),
                           content_type="text/yaml", headers=crm)
    assert response.status_code == 200
    answer = response.get_json()
    assert answer["valid"] is True and answer["rules"]


@pytest.mark.parametrize("content_type", ["application/x-yaml", "text/plain",
                                          "application/x-www-form-urlencoded",
                                          "application/octet-stream"])
def test_validate_reads_any_text_type(client, crm, content_type):
    response = client.post("/v1/policy/validate", data=RULES.read_bytes(),
                           content_type=content_type, headers=crm)
    assert response.status_code == 200


@pytest.mark.parametrize("text", ["", "name: [", "just a string", "- 1\n- 2\n",
                                  "\x00\x01", "rules: 5\n", 'name: "a\\udfff"\n'])
def test_validate_a_bad_policy(client, crm, text):
    response = client.post("/v1/policy/validate", data=text, content_type="text/yaml",
                           headers=crm)
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    answer = response.get_json()
    assert answer["valid"] is False and answer["status"] == 422
    assert answer["errors"] and {"line", "path", "message"} <= set(answer["errors"][0])


def test_validate_points_at_the_line(client, crm):
    text = RULES.read_text().replace("principle: pricing-policy", "principle: be-nice", 1)
    answer = client.post("/v1/policy/validate", data=text, content_type="text/yaml",
                         headers=crm).get_json()
    assert answer["valid"] is False
    wrong_line = next(number for number, line in enumerate(text.splitlines(), start=1)
                      if "be-nice" in line)
    assert wrong_line in [error["line"] for error in answer["errors"]]


def test_validate_non_utf8_is_400(client, crm):
    response = client.post("/v1/policy/validate", data=b"\xff\xfe\x00", content_type="text/yaml",
                           headers=crm)
    assert response.status_code == 400


@pytest.fixture
def settings(settings, tmp_path):
    """This module's app runs a copy of rules.yaml that a test may change."""
    path = tmp_path / "rules.yaml"
    shutil.copy(RULES, path)
    return replace(settings, policy_path=str(path))


def bump_version(path: Path, version: str) -> None:
    lines = path.read_text().splitlines(keepends=True)
    index = next(i for i, line in enumerate(lines) if line.startswith("version:"))
    lines[index] = f'version: "{version}"\n'
    path.write_text("".join(lines))


def version_seen(client, headers) -> str:
    return client.get("/v1/policy", headers=headers).get_json()["version"]


def test_reload_loads_a_new_version(client, settings, admin, body):
    assert client.post("/v1/policy/reload", headers=admin).status_code == 200
    bump_version(Path(settings.policy_path), "2027.1.0")
    assert version_seen(client, admin) == "2026.11.1"  # an edit alone changes nothing
    response = client.post("/v1/policy/reload", headers=admin)
    assert response.status_code == 200 and response.get_json()["version"] == "2027.1.0"
    decision = client.post("/v1/decisions", json=body("claim"), headers=admin).get_json()
    assert decision["policy"]["version"] == "2027.1.0"


def test_reload_keeps_the_running_policy_on_error(client, settings, admin, body):
    Path(settings.policy_path).write_text("name: [broken\n")
    response = client.post("/v1/policy/reload", headers=admin)
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    answer = response.get_json()
    assert answer["valid"] is False and answer["errors"]
    assert version_seen(client, admin) == "2026.11.1"
    assert client.post("/v1/decisions", json=body("claim"), headers=admin).status_code == 200


def test_other_workers_follow_a_reload(app, client, settings, admin):
    other = create_app(settings)  # a second gunicorn worker on the same database
    other.extensions["dealguard.policy"].check_interval = 0
    other_client = other.test_client()
    assert version_seen(other_client, admin) == "2026.11.1"
    bump_version(Path(settings.policy_path), "2027.2.0")
    assert version_seen(other_client, admin) == "2026.11.1"
    assert client.post("/v1/policy/reload", headers=admin).status_code == 200
    assert version_seen(other_client, admin) == "2027.2.0"
    other.extensions["dealguard.db_engine"].dispose()


def test_validate_refuses_yaml_aliases_before_expanding_them(client, crm):
    levels = ['a: &a ["x","x","x","x","x","x","x","x","x"]']
    for name, previous in zip("bcdefghij", "abcdefghi", strict=True):
        levels.append(f"{name}: &{name} [" + ",".join([f"*{previous}"] * 9) + "]")
    response = client.post("/v1/policy/validate", data="\n".join(levels),
                           content_type="text/yaml", headers=crm)
    assert response.status_code == 422
    (error,) = response.get_json()["errors"]
    assert error["line"] == 2
    assert "aliases" in error["message"]
