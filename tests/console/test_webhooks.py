"""Webhooks in the console (CONTRACT §10, §11): an admin registers one with the API's
rules, sees its deliveries, deletes it; the secret is never shown."""

from __future__ import annotations

import re

import pytest

from app.webhooks.worker import Worker

pytestmark = pytest.mark.usefixtures("backend")

SECRET = "a-receiver-secret-01"


def _register(console, **changes):
    form = {"url": "https://crm.example/hooks/dealguard",
            "events": ["decision.denied", "approval.declined"], "secret": SECRET, **changes}
    return console.post_form("/console/webhooks", form)


def test_an_admin_registers_a_webhook_and_sees_its_deliveries(
        sign_in, decide, client, make_key, db_engine, settings):
    console = sign_in("admin")
    made = _register(console)
    page = made.get_data(as_text=True)
    assert made.status_code == 200, page
    assert "Registered: https://crm.example/hooks/dealguard." in page
    assert SECRET not in page and SECRET not in console.get("/console/webhooks").get_data(
        as_text=True)
    [hook] = client.get("/v1/webhooks", headers=make_key("admin")).get_json()["items"]
    assert hook["events"] == ["decision.denied", "approval.declined"]
    assert decide("discount", discount={"percent": 40})["outcome"] == "deny"
    Worker(db_engine, settings.secret_key, sender=object()).fan_out()  # no POST made
    deliveries = console.get(f"/console/webhooks/{hook['id']}").get_data(as_text=True)
    assert "A decision is denied" in deliveries and "Pending" in deliveries
    russian = console.get(f"/console/webhooks/{hook['id']}", headers={"Accept-Language": "ru"})
    assert "Ожидает" in russian.get_data(as_text=True)


def test_a_webhook_the_api_would_refuse_is_refused_field_by_field(sign_in, client, make_key):
    console = sign_in("admin")
    refused = _register(console, url="ftp://crm.example/x", events=[], secret="short")
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert "An http or https address with a host" in page
    assert "Choose at least one event." in page
    assert "From 16 to 256 visible characters." in page
    assert 'value="ftp://crm.example/x"' in page and 'value="short"' not in page
    assert client.get("/v1/webhooks", headers=make_key("admin")).get_json()["items"] == []


def test_deleting_a_webhook_stops_it(sign_in, client, make_key):
    console = sign_in("admin")
    _register(console)
    page = console.get("/console/webhooks").get_data(as_text=True)
    action = re.search(r'action="(/console/webhooks/[0-9a-f-]+/delete)"', page).group(1)
    done = console.post_form(action, {}, token_from="/console/webhooks")
    assert done.status_code == 302
    assert client.get("/v1/webhooks", headers=make_key("admin")).get_json()["items"] == []
    again = console.post_form(action, {}, token_from="/console/webhooks")
    assert again.status_code == 404
    assert console.get("/console/webhooks/not-an-id").status_code == 404


def test_webhooks_are_for_admins(sign_in):
    assert sign_in("compliance").get("/console/webhooks").status_code == 403
    assert sign_in("manager").get("/console/webhooks").status_code == 403
