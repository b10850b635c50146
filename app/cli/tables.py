"""Tab-separated listings of the command line (one row per record, a header first)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import click


def _moment(value: datetime | None) -> str:
    return value.isoformat(timespec="seconds") if value else "-"


def echo_principals(rows: Iterable[Any], ended: str) -> None:
    """Keys and users alike: name, role, person, job role, created, and when it ended.

    `ended` names the column that ends the record (`revoked_at`, `disabled_at`); the
    secret (a key's hash, a password's) is never among the columns.
    """
    click.echo(f"name\trole\tperson_id\tjob_role\tcreated_at\t{ended}")
    for row in rows:
        click.echo("\t".join([row.name, row.role, row.person_id or "-", row.job_role or "-",
                              _moment(row.created_at), _moment(getattr(row, ended))]))
