"""The check forms: prefill by §3 paths, decide and log as the person, plain words (§11)."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.usefixtures("backend")

LINK = ("/console/check/discount?client.id=c-1&client.segment=wholesale&deal.id=d-1"
        "&deal.list_amount=100000&discount.percent=12")


def _fields(page: str) -> dict[str, str]:
    return dict(re.findall(r'<input id="f-[^"]+" name="([^"]+)" value="([^"]*)"', page))


def test_a_link_prefills_the_form_after_sign_in(console, make_user):
    name, password = make_user("manager")
    first = console.get(LINK)
    assert first.status_code == 302 and "/console/sign-in" in first.headers["Location"]
    sign_in_page = console.get(first.headers["Location"]).get_data(as_text=True)
    next_value = re.search(r'name="next" type="hidden" value="([^"]*)"', sign_in_page).group(1)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', sign_in_page).group(1)
    signed = console.client.post("/console/sign-in", data={
        "name": name, "password": password, "csrf_token": token,
        "next": next_value.replace("&amp;", "&")})
    assert signed.status_code == 302
    changed = console.post_form(signed.headers["Location"], {
        "current": password, "new": "a-long-new-password-1",
        "repeat": "a-long-new-password-1"})
    assert changed.status_code == 302
    assert changed.headers["Location"] == LINK
    page = console.get(LINK).get_data(as_text=True)
    fields = _fields(page)
    assert fields["client.id"] == "c-1" and fields["discount.percent"] == "12"
    assert fields["deal.list_amount"] == "100000"
    assert 'value="wholesale" selected' in page


def test_a_manager_checks_a_discount_and_it_is_logged_as_them(sign_in, client, compliance):
    console = sign_in("manager", person_id="m-7")
    values = {"client.id": "c-1", "client.segment": "wholesale", "deal.id": "d-1",
              "deal.currency": "RUB", "deal.list_amount": "100 000", "discount.percent": "12,5"}
    answer = console.post_form("/console/check/discount", values, token_from=LINK)
    page = answer.get_data(as_text=True)
    assert answer.status_code == 200, page
    assert "require_approval" in page
    assert "Discount 12.5% exceeds the manager&#39;s 10% limit for wholesale clients." in page
    assert "Head of sales" in page
    assert "The highest discount you may grant alone for this client and deal: 10 %." in page
    logged = client.get("/v1/decisions", query_string={"actor_id": "m-7"},
                        headers=compliance).get_json()["items"]
    assert len(logged) == 1 and logged[0]["outcome"] == "require_approval"
    record = client.get(f"/v1/decisions/{logged[0]['decision_id']}",
                        headers=compliance).get_json()
    assert record["key_name"] == f"console:{console.name}"
    assert record["user"] == console.name
    assert record["request"]["actor"] == {"id": "m-7", "role": "manager"}


def test_the_reason_is_in_russian_for_a_russian_browser(sign_in):
    console = sign_in("manager")
    values = {"client.id": "c-1", "client.segment": "wholesale", "deal.id": "d-1",
              "deal.currency": "RUB", "deal.list_amount": "100000", "discount.percent": "12"}
    answer = console.post_form("/console/check/discount", values,
                               headers={"Accept-Language": "ru-RU,ru;q=0.9"})
    page = answer.get_data(as_text=True)
    assert "Скидка 12% превышает лимит менеджера 10% для клиентов сегмента wholesale." in page


def test_field_errors_land_beside_their_field_and_nothing_is_logged(sign_in, client,
                                                                   compliance):
    console = sign_in("manager")
    answer = console.post_form("/console/check/discount", {
        "client.id": "c-1", "client.segment": "wholesale", "deal.id": "d-1",
        "deal.currency": "RUB", "deal.list_amount": "lots", "discount.percent": "12"})
    assert answer.status_code == 422
    page = answer.get_data(as_text=True)
    assert 'id="f-deal.list_amount-err"' in page
    assert client.get("/v1/decisions", headers=compliance).get_json()["items"] == []


def test_offer_lines_are_added_and_removed_without_deciding(sign_in, client, compliance):
    console = sign_in("manager")
    base = {"client.id": "c-1", "client.segment": "retail", "client.needs": "pumps, valves",
            "offer.id": "of-1", "offer.currency": "RUB",
            "offer.promised_delivery_date": "2026-12-20", "as_of": "2026-11-27",
            "offer.items.0.sku": "P-100", "offer.items.0.quantity": "2",
            "offer.items.0.available_quantity": "5", "offer.items.0.lead_time_days": "3",
            "offer.items.0.need": "pumps", "offer.items.0.list_price": "5000"}
    added = console.post_form("/console/check/offer", {**base, "edit": "add-item"})
    assert 'name="offer.items.1.sku"' in added.get_data(as_text=True)
    two = {**base, "offer.items.1.sku": "V-1", "offer.items.1.quantity": "1",
           "offer.items.1.available_quantity": "0", "offer.items.1.lead_time_days": "900",
           "offer.items.1.need": "valves", "offer.items.1.list_price": "100"}
    removed = console.post_form("/console/check/offer", {**two, "edit": "remove-item:0"})
    page = removed.get_data(as_text=True)
    assert 'name="offer.items.1.sku"' not in page and 'value="V-1"' in page
    assert client.get("/v1/decisions", headers=compliance).get_json()["items"] == []
    decided = console.post_form("/console/check/offer", two).get_data(as_text=True)
    assert "deny" in decided and "promises.lead-time" in decided
    (item,) = client.get("/v1/decisions", headers=compliance).get_json()["items"]
    assert item["action"] == "offer"


def test_compliance_may_not_decide(sign_in):
    console = sign_in("compliance")
    assert console.get("/console/check/discount").status_code == 403
