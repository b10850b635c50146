"""POST /v1/policy/impact with no body: "empty body", not the loader's missing fields.

`curl --data-binary @candidate.yaml` on a file that is not there sends an empty body.
"""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("text", ["", "  \n\t\n"])
def test_an_empty_body_is_named(client, compliance, text):
    response = client.post("/v1/policy/impact", data=text,
                           headers={**compliance, "Content-Type": "text/yaml"})
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["detail"].startswith("Empty body")
    assert not body["errors"]
