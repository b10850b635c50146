"""Policy versions over HTTP (CONTRACT §12): propose, list, diff, publish, roll back,
four eyes, every process following a publish, and a version that cannot be loaded.

Every test runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import select

from app import create_app
from app.log.models import Decision
from app.versions import store
from app.versions.models import PolicyVersion
from tests.api.versions_helpers import RULES, changed, publish, running_id

pytestmark = pytest.mark.usefixtures("backend")


@pytest.fixture
def settings(settings, tmp_path):
    """A copy of rules.yaml that a test may change (reload reads it)."""
    path = tmp_path / "rules.yaml"
    shutil.copy(RULES, path)
    return replace(settings, policy_path=str(path))


@pytest.fixture
def admin(make_key):
    return make_key("admin")


@pytest.fixture
def propose(client, admin, candidate_text):
    def send(text: str | None = None, headers=None, comment: str = "wholesale limits"):
        response = client.post("/v1/policy/versions", query_string={"comment": comment},
                               data=text if text is not None else changed(candidate_text),
                               content_type="text/yaml", headers=headers or admin)
        return response

    return send


def test_the_file_is_version_1_and_active(client, crm):
    items = client.get("/v1/policy/versions", headers=crm).get_json()["items"]
    assert [(v["version_id"], v["status"], v["author"]) for v in items] == [(1, "active", "file")]
    assert running_id(client, crm) == 1


def test_a_proposal_is_a_draft_with_its_author_and_text(client, propose, admin, crm,
                                                        candidate_text):
    response = propose()
    assert response.status_code == 201
    draft = response.get_json()
    assert draft["version_id"] == 2 and draft["status"] == "draft"
    assert draft["version"] == "2026.12.0" and draft["comment"] == "wholesale limits"
    assert draft["author"].startswith("test-admin-")  # the key's name
    assert draft["published_at"] is None
    listed = client.get("/v1/policy/versions", headers=crm).get_json()["items"]
    assert [v["version_id"] for v in listed] == [2, 1]  # newest first
    assert "text" not in listed[0]
    one = client.get("/v1/policy/versions/2", headers=crm).get_json()
    assert one["text"] == changed(candidate_text)
    assert running_id(client, crm) == 1  # a draft changes nothing


def test_an_invalid_proposal_is_refused_with_its_lines_and_stores_nothing(client, propose,
                                                                          crm):
    response = propose("name: deal-compliance\nversion: 1\nsurprise: 1\n")
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    errors = response.get_json()["errors"]
    assert any(e["line"] == 3 and "surprise" in e["message"] for e in errors)
    assert len(client.get("/v1/policy/versions", headers=crm).get_json()["items"]) == 1


def test_only_admin_proposes_publishes_and_shadows(client, propose, make_key):
    assert propose().status_code == 201
    for role in ("crm", "manager", "approver", "compliance"):
        key = make_key(role)
        assert propose(headers=key).status_code == 403
        assert publish(client, key, 2).status_code == 403
        assert client.post("/v1/policy/versions/2/shadow", headers=key).status_code == 403
        assert client.delete("/v1/policy/shadow", headers=key).status_code == 403
        # ...while every role reads the versions and their diff
        assert client.get("/v1/policy/versions", headers=key).status_code == 200
        assert client.get("/v1/policy/versions/2/diff", headers=key).status_code == 200


def test_a_long_comment_or_an_unknown_parameter_is_a_422(client, propose, admin,
                                                         candidate_text):
    assert propose(comment="x" * 1001).status_code == 422
    assert propose(comment="nul \x00 here").status_code == 422
    response = client.post("/v1/policy/versions?author=me", data=changed(candidate_text),
                           content_type="text/yaml", headers=admin)
    assert response.status_code == 422 and "author" in response.get_json()["errors"]


def test_the_diff_of_a_changed_discount_cell_names_table_row_and_column(client, propose, crm):
    propose()
    response = client.get("/v1/policy/versions/2/diff", headers=crm)
    assert response.status_code == 200
    diff = response.get_json()
    assert (diff["from"], diff["to"]) == (1, 2)
    assert diff["tables"] == [
        {"table": "discount_limits", "row": "wholesale", "column": "head_of_sales",
         "from": 15, "to": 12},
        {"table": "discount_limits", "row": "wholesale", "column": "commercial_director",
         "from": 20, "to": 12},
    ]
    assert diff["settings"] == [{"name": "version", "from": "2026.11.1", "to": "2026.12.0"}]
    assert diff["parameters"] == []
    assert diff["rules"] == {"added": [], "removed": [], "changed": []}
    # the other way round, by id
    back = client.get("/v1/policy/versions/1/diff?against=2", headers=crm).get_json()
    assert back["tables"][0]["from"] == 12 and back["tables"][0]["to"] == 15


def test_diff_of_unknown_versions_and_bad_against(client, propose, crm):
    propose()
    assert client.get("/v1/policy/versions/9/diff", headers=crm).status_code == 404
    assert client.get("/v1/policy/versions/2/diff?against=9", headers=crm).status_code == 404
    assert client.get("/v1/policy/versions/2/diff?against=x", headers=crm).status_code == 422
    assert client.get("/v1/policy/versions/99999999999", headers=crm).status_code == 404


def test_publish_then_roll_back(client, propose, admin, decide, db_engine):
    propose()
    before = decide("discount")
    assert before["outcome"] == "require_approval"
    assert before["policy"]["version_id"] == 1
    response = publish(client, admin, 2)
    assert response.status_code == 200
    published = response.get_json()
    assert published["status"] == "active" and published["published_by"].startswith("test-")
    after = decide("discount")  # 12.5 % for wholesale is over the new 12 % ceiling
    assert (after["outcome"], after["policy"]["version_id"]) == ("deny", 2)
    assert after["policy"]["version"] == "2026.12.0"
    statuses = {v["version_id"]: v["status"] for v in
                client.get("/v1/policy/versions", headers=admin).get_json()["items"]}
    assert statuses == {1: "retired", 2: "active"}

    assert publish(client, admin, 1).status_code == 200  # the rollback
    rolled_back = decide("discount")
    assert (rolled_back["outcome"], rolled_back["policy"]["version_id"]) == (
        "require_approval", 1)
    statuses = {v["version_id"]: v["status"] for v in
                client.get("/v1/policy/versions", headers=admin).get_json()["items"]}
    assert statuses == {1: "active", 2: "retired"}
    # Every decision logs the version it was decided under, in its column too.
    with db_engine.connect() as connection:
        logged = dict(connection.execute(select(Decision.decision_id,
                                                Decision.policy_version_id)).all())
    assert logged == {before["decision_id"]: 1, after["decision_id"]: 2,
                      rolled_back["decision_id"]: 1}
    verified = client.get("/v1/decisions/verify", headers=admin).get_json()
    assert verified["ok"] is True and verified["checked"] == 3


def test_publishing_the_active_version_changes_nothing(client, admin):
    response = publish(client, admin, 1)
    assert response.status_code == 200 and response.get_json()["status"] == "active"
    assert publish(client, admin, 5).status_code == 404


def test_four_eyes_the_author_may_not_publish(settings, make_key, candidate_text):
    app = create_app(replace(settings, four_eyes=True))
    client = app.test_client()
    author, other = make_key("admin"), make_key("admin")
    proposed = client.post("/v1/policy/versions", data=changed(candidate_text),
                           content_type="text/yaml", headers=author).get_json()
    refused = publish(client, author, proposed["version_id"])
    assert refused.status_code == 403 and "Four eyes" in refused.get_json()["detail"]
    assert running_id(client, author) == 1
    assert publish(client, other, proposed["version_id"]).status_code == 200
    assert running_id(client, author) == proposed["version_id"]
    app.extensions["dealguard.db_engine"].dispose()


def test_four_eyes_refuses_a_reload_and_keeps_the_file_as_a_draft(settings, make_key):
    path = Path(settings.policy_path)
    path.write_text(changed(path.read_text(encoding="utf-8")), encoding="utf-8")
    app = create_app(replace(settings, four_eyes=True))
    client = app.test_client()
    admin, other = make_key("admin"), make_key("admin")
    refused = client.post("/v1/policy/reload", headers=admin)
    assert refused.status_code == 403 and "version 2" in refused.get_json()["detail"]
    assert running_id(client, admin) == 1
    assert publish(client, other, 2).status_code == 200
    assert running_id(client, admin) == 2
    app.extensions["dealguard.db_engine"].dispose()


def test_another_instance_switches_within_2_seconds(app, client, settings, propose, admin):
    other = create_app(settings)  # another host (or worker) on the same database
    other_client = other.test_client()
    assert running_id(other_client, admin) == 1
    propose()
    published_at = time.monotonic()
    assert publish(client, admin, 2).status_code == 200
    # The other one polls every second (and on PostgreSQL hears the NOTIFY at once).
    while running_id(other_client, admin) != 2:
        assert time.monotonic() - published_at < 2.0, "not switched within 2 s"
        time.sleep(0.02)
    assert publish(client, admin, 1).status_code == 200  # and back, as fast
    rolled_back_at = time.monotonic()
    while running_id(other_client, admin) != 1:
        assert time.monotonic() - rolled_back_at < 2.0, "not rolled back within 2 s"
        time.sleep(0.02)
    other.extensions["dealguard.policy"].close()
    other.extensions["dealguard.db_engine"].dispose()


def test_a_broken_version_never_replaces_the_running_one(app, client, settings, admin,
                                                         decide, db_engine):
    # A version this release cannot load (written by another one, or edited in SQL):
    # published behind the service's back, since the API itself refuses to publish it.
    with db_engine.begin() as connection:
        broken = store._insert(connection, "name: [broken\n", "deal-compliance", "9",
                               "someone", "", "draft")
    response = publish(client, admin, broken.id)
    assert response.status_code == 422 and response.get_json()["errors"]
    assert running_id(client, admin) == 1

    other = create_app(settings)
    other_client = other.test_client()
    store.publish(db_engine, broken.id, "someone else", four_eyes=False)
    for each in (app, other):
        each.extensions["dealguard.policy"].refresh()
    for each_client in (client, other_client):
        assert running_id(each_client, admin) == 1  # the running one stays
        ready = each_client.get("/health/ready")
        assert ready.status_code == 503
        assert ready.get_json()["checks"]["policy"] == (
            f"version {broken.id} could not be loaded here; version 1 runs")
    assert decide("discount")["policy"]["version_id"] == 1  # and still decides
    # Publishing a good version again makes it ready again.
    assert publish(client, admin, 1).status_code == 200
    assert client.get("/health/ready").status_code == 200
    other.extensions["dealguard.db_engine"].dispose()


def test_reload_imports_the_file_as_a_new_version(client, settings, admin):
    path = Path(settings.policy_path)
    path.write_text(changed(path.read_text(encoding="utf-8")), encoding="utf-8")
    response = client.post("/v1/policy/reload", headers=admin)
    assert response.status_code == 200
    assert (response.get_json()["version_id"], response.get_json()["version"]) == (
        2, "2026.12.0")
    again = client.post("/v1/policy/reload", headers=admin)  # the same text: no new version
    assert again.get_json()["version_id"] == 2
    items = client.get("/v1/policy/versions", headers=admin).get_json()["items"]
    assert [(v["version_id"], v["status"]) for v in items] == [(2, "active"), (1, "retired")]


def test_the_versions_table_holds_one_active_version(db_engine, client, propose, admin):
    propose()
    propose()
    publish(client, admin, 2)
    publish(client, admin, 3)
    with db_engine.connect() as connection:
        active = connection.execute(select(PolicyVersion.id).where(
            PolicyVersion.status == "active")).scalars().all()
    assert active == [3]

