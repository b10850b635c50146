"""Helpers of the policy versions' tests: a changed rules.yaml, publish, the running id."""

from __future__ import annotations

from pathlib import Path

RULES = Path(__file__).resolve().parents[2] / "policies" / "rules.yaml"
WHOLESALE = "wholesale:   [10, 15, 20]"
VERSION = 'version: "2026.11.1"'


def changed(text: str, row: str = "wholesale:   [10, 12, 12]", version: str = "2026.12.0"):
    """The running rules.yaml with the wholesale row of discount_limits changed."""
    assert WHOLESALE in text and VERSION in text
    return text.replace(WHOLESALE, row).replace(VERSION, f'version: "{version}"')


def publish(client, headers, version_id: int):
    return client.post(f"/v1/policy/versions/{version_id}/publish", headers=headers)


def running_id(client, headers) -> int:
    return client.get("/v1/policy", headers=headers).get_json()["version_id"]
