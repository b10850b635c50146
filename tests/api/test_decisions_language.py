"""reasons[].message follows Accept-Language (English when absent); the log keeps English."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.usefixtures("backend")

ENGLISH = "Discount 12% exceeds the manager's 10% limit for wholesale clients."
RUSSIAN = "Скидка 12% превышает лимит менеджера 10% для клиентов сегмента wholesale."


def test_the_answer_speaks_the_callers_language_and_the_log_english(client, crm, compliance,
                                                                    body):
    request = body("discount", discount={"percent": 12}, request_id="lang-1")
    russian = client.post("/v1/decisions", json=request,
                          headers={**crm, "Accept-Language": "ru-RU,ru;q=0.9,en;q=0.5"})
    assert russian.status_code == 200
    assert [r["message"] for r in russian.get_json()["reasons"]] == [RUSSIAN]
    logged = client.get(f"/v1/decisions/{russian.get_json()['decision_id']}", headers=compliance)
    assert [r["message"] for r in logged.get_json()["reasons"]] == [ENGLISH]
    # The retry is answered as first logged, in the language asked now.
    again = client.post("/v1/decisions", json=request, headers=crm)
    assert again.get_json()["decision_id"] == russian.get_json()["decision_id"]
    assert [r["message"] for r in again.get_json()["reasons"]] == [ENGLISH]
    again_ru = client.post("/v1/decisions", json=request, headers={**crm, "Accept-Language": "ru"})
    assert [r["message"] for r in again_ru.get_json()["reasons"]] == [RUSSIAN]


@pytest.mark.parametrize("header", [None, "de-DE", "en-GB,en;q=0.8"])
def test_without_russian_asked_the_reasons_are_english(client, crm, body, header):
    headers = {**crm, **({"Accept-Language": header} if header else {})}
    answer = client.post("/v1/decisions", json=body("discount", discount={"percent": 12}),
                         headers=headers)
    assert [r["message"] for r in answer.get_json()["reasons"]] == [ENGLISH]


def test_a_batch_follows_the_language_too(client, crm, body):
    answer = client.post("/v1/decisions/batch", headers={**crm, "Accept-Language": "ru"},
                         json={"requests": [body("discount", discount={"percent": 12}),
                                            {"action": "discount"}]})
    first, refused = answer.get_json()["decisions"]
    assert [r["message"] for r in first["reasons"]] == [RUSSIAN]
    assert refused["status"] == 422
