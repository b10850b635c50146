"""The log as CSV or JSON lines, streamed in constant memory (CONTRACT §5).

Rows are read a batch at a time by short keyset reads (query.batches) and leave
as text chunks: memory stays flat whatever the size, and a slow reader holds no
transaction open.
The export is in seq order, oldest first, so an auditor can replay the hash chain
over a complete JSONL export: an unfiltered JSONL export holds the approval records
too (app.log.write.approval), the other links of the chain, each in its place.
"""

from __future__ import annotations

import csv
import heapq
import io
import itertools
import json
from collections.abc import Iterator
from typing import Any

from sqlalchemy import Engine

from app.log.read.approvals import approval_links
from app.log.read.query import Filters, batches
from app.log.read.records import COLUMNS, head, jsonl_line

FORMATS = ("csv", "jsonl")
MEDIA_TYPES = {"csv": "text/csv", "jsonl": "application/x-ndjson"}  # Flask adds the charset
BATCH = 1000
CSV_COLUMNS = ("decision_id", "seq", "decided_at", "action", "outcome", "actor_id",
               "client_id", "subject_id", "rules", "required_approvals", "policy_version",
               "as_of", "key_name", "hash")
# A cell starting with one of these is run as a formula by spreadsheet programs,
# and ids come from the CRM: such a cell gets a leading quote (OWASP CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def stream(db_engine: Engine, filters: Filters, fmt: str, batch: int = BATCH) -> Iterator[str]:
    """Text chunks of the export, one per batch of rows; the CSV starts with its header."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}")
    rows = batches(db_engine, filters, COLUMNS, newest_first=False, size=batch)
    if fmt == "jsonl":
        if filters != Filters():
            for part in rows:
                yield "".join(jsonl_line(row) for row in part)
            return
        links = heapq.merge((row for part in rows for row in part),
                            approval_links(db_engine, batch), key=lambda row: row.seq)
        while part := list(itertools.islice(links, batch)):
            yield "".join(jsonl_line(row) for row in part)
        return
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for part in rows:
        writer.writerows(csv_row(row) for row in part)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()  # the header alone when nothing matched


def csv_row(row: Any) -> list[Any]:
    """The flat columns of one record (CSV_COLUMNS), from the masked document."""
    # Plain json: no column holds money, and the C parser keeps millions of rows fast.
    document = head(row.document, json.loads)
    rules = dict.fromkeys(str(reason.get("rule")) for reason in document.get("reasons") or ())
    return [
        _cell(document.get("decision_id")),
        row.seq,
        _cell(document.get("decided_at")),
        _cell(document.get("action")),
        _cell(document.get("outcome")),
        _cell(row.actor_id),
        _cell(row.client_id),
        _cell(row.subject_id),
        _cell(";".join(rules)),
        _cell(";".join(str(role) for role in document.get("required_approvals") or ())),
        _cell((document.get("policy") or {}).get("version")),
        _cell(document.get("as_of")),
        _cell(row.key_name),
        row.hash,
    ]


def _cell(value: Any) -> str:
    if value is None:
        return ""
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text
