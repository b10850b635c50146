"""The policy as people read it, a candidate's impact, keys and users, the statistics."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.usefixtures("backend")


def test_the_policy_reads_as_tables_and_cases(sign_in):
    console = sign_in("manager")
    page = console.get("/console/policy").get_data(as_text=True)
    assert "discount_limits" in page and "wholesale" in page
    assert "pricing.segment-limit" in page
    assert "line.discount_percent &gt; the manager column of discount_limits" in page
    russian = console.get("/console/policy", headers={"Accept-Language": "ru"})
    assert "Скидка {line.discount_percent}% превышает лимит менеджера" in russian.get_data(
        as_text=True)


def test_the_impact_of_a_candidate_with_line_numbered_errors(sign_in, decide, candidate_text):
    decide("discount", discount={"percent": 12})
    console = sign_in("compliance")
    broken = candidate_text.replace("margin_floor: 10 ", "margin_floor: ten ", 1)
    answer = console.post_form("/console/impact", {"text": broken, "since": "", "until": ""})
    assert answer.status_code == 422
    line = next(n for n, text in enumerate(broken.splitlines(), 1) if "margin_floor: ten" in text)
    assert f"line {line}:" in answer.get_data(as_text=True)
    looser = candidate_text.replace("wholesale:   [10, 15, 20]", "wholesale:   [15, 15, 20]")
    assert looser != candidate_text
    answer = console.post_form("/console/impact", {"text": looser})
    page = answer.get_data(as_text=True)
    assert answer.status_code == 200, page
    assert re.search(r"Would change</dt><dd>1</dd>", page)


def test_impact_is_for_compliance_and_admin(sign_in):
    assert sign_in("manager").get("/console/impact").status_code == 403


def test_an_admin_makes_a_key_and_a_user_and_sees_them_once(sign_in, client):
    console = sign_in("admin")
    made = console.post_form("/console/keys", {"name": "crm-2", "role": "crm"})
    key = re.search(r"<pre>(dg_[^<]+)</pre>", made.get_data(as_text=True)).group(1)
    assert client.get("/v1/policy", headers={"Authorization": f"Bearer {key}"}).status_code == 200
    assert key not in console.get("/console/keys").get_data(as_text=True)
    console.post_form("/console/keys/crm-2/revoke", {}, token_from="/console/keys")
    assert client.get("/v1/policy", headers={"Authorization": f"Bearer {key}"}).status_code == 401
    refused = console.post_form("/console/users", {"name": "anna", "role": "manager"})
    assert refused.status_code == 422 and "--manager-id" in refused.get_data(as_text=True)
    user = console.post_form("/console/users", {"name": "anna", "role": "manager",
                                                "person_id": "m-9", "full_name": "Анна"})
    assert user.status_code == 200
    assert re.search(r"<pre>([^<]{16})</pre>", user.get_data(as_text=True))


def test_a_manager_sees_their_week_and_only_their_own_chart(sign_in, decide):
    decide("discount", actor="m-1")
    console = sign_in("manager", person_id="m-1")
    page = console.get("/console/week").get_data(as_text=True)
    assert "Decisions" in page and 'src="/console/chart.svg?metric=decisions"' in page
    chart = console.get("/console/chart.svg?metric=decisions")
    assert chart.status_code == 200 and chart.mimetype == "image/svg+xml"
    assert console.get("/console/chart.svg?metric=decisions&manager_id=m-2").status_code == 403
    assert console.get("/console/team").status_code == 403


def test_the_head_of_sales_sees_every_manager_sorted(sign_in, make_user, decide):
    make_user("manager", person_id="m-1")
    make_user("manager", person_id="m-2")
    for _ in range(3):
        decide("discount", actor="m-2")
    decide("discount", actor="m-1")
    console = sign_in("approver", job_role="head_of_sales")
    page = console.get("/console/team?sort=decisions&dir=desc").get_data(as_text=True)
    rows = re.findall(r'<tr><th scope="row">(m-\d)</th>', page)
    assert rows == ["m-2", "m-1"]
    ascending = console.get("/console/team?sort=decisions&dir=asc").get_data(as_text=True)
    assert re.findall(r'<tr><th scope="row">(m-\d)</th>', ascending) == ["m-1", "m-2"]
    cfo = sign_in("approver", person_id="a-2", job_role="cfo")
    assert cfo.get("/console/team").status_code == 403
