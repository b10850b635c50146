"""On PostgreSQL a publish is heard at once (LISTEN/NOTIFY), not at the next poll."""

from __future__ import annotations

import time

import pytest

from app import create_app
from tests.api.versions_helpers import changed, publish, running_id

pytestmark = pytest.mark.postgres


def test_a_notify_switches_a_process_that_does_not_poll(app, client, settings, make_key,
                                                        candidate_text):
    admin = make_key("admin")
    other = create_app(settings)
    other_client = other.test_client()
    assert running_id(other_client, admin) == 1
    other.extensions["dealguard.policy"].check_interval = 3600  # no polling: LISTEN only
    client.post("/v1/policy/versions", data=changed(candidate_text), content_type="text/yaml",
                headers=admin)
    published_at = time.monotonic()
    assert publish(client, admin, 2).status_code == 200
    while running_id(other_client, admin) != 2:
        assert time.monotonic() - published_at < 2.0, "the NOTIFY was not heard within 2 s"
        time.sleep(0.02)
    other.extensions["dealguard.policy"].close()
    other.extensions["dealguard.db_engine"].dispose()
