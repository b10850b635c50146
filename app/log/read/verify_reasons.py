"""verify's look at decision_reasons: the rows the rule and principle filters read.

They are copies of each record's `reasons`, outside the hash. Whoever deletes or
edits one hides a decision from `rule=...` while the chain still holds, so verify
reads them beside the records (a second cursor in the same snapshot, both in seq
order) and compares each record's rows with its document.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from typing import Any

from sqlalchemy import Connection, select

from app.log.models import DecisionReason
from app.log.read.records import head

_quote = json.JSONEncoder(ensure_ascii=False).encode


@functools.lru_cache(maxsize=4096)
def _fragment(outcome: str, principle: str, rule: str) -> str:
    # A policy has a few dozen rules: the text of each is made once, not per record.
    return f'"outcome":{_quote(outcome)},"principle":{_quote(principle)},"rule":{_quote(rule)}'


class ReasonRows:
    """decision_reasons in (decision_seq, id) order, handed out record by record."""

    def __init__(self, connection: Connection, batch: int) -> None:
        result = connection.execution_options(stream_results=True, yield_per=batch).execute(
            select(DecisionReason.decision_seq, DecisionReason.rule, DecisionReason.principle,
                   DecisionReason.outcome)
            .order_by(DecisionReason.decision_seq, DecisionReason.id))
        self._rows: Iterator[Any] = (row for part in result.partitions() for row in part)
        self._next = next(self._rows, None)

    def take(self, seq: int) -> tuple[list[Any], bool]:
        """The rows of record `seq`, and whether rows of no record came before them."""
        stray, mine = False, []
        while self._next is not None and self._next.decision_seq <= seq:
            if self._next.decision_seq < seq:
                stray = True
            else:
                mine.append(self._next)
            self._next = next(self._rows, None)
        return mine, stray

    def left_over(self) -> int | None:
        """The seq of a row beyond the last record, if any."""
        return None if self._next is None else self._next.decision_seq


def differ(document: str, rows: list[Any]) -> str | None:
    """Why `rows` are not the document's reasons, or None."""
    if _match_quickly(document, rows):
        return None
    reasons = head(document, json.loads).get("reasons") or []
    if len(reasons) != len(rows):
        return "reason rows differ from the document (a row removed or added)"
    for reason, row in zip(reasons, rows, strict=True):
        for name in ("rule", "principle", "outcome"):
            logged = str(reason.get(name, ""))
            # Records written before the reason rows were made from the masked document
            # kept in clear in their row a rule id that the document masks: a masking
            # artefact of those records, not tampering.
            if logged != getattr(row, name) and "hmac:" not in logged:
                return f"reason rows differ from the document ({name})"
    return None


def _match_quickly(document: str, rows: list[Any]) -> bool:
    # Canonical text: a reason reads ..."outcome":..,"principle":..,"rule":..; only
    # reasons have a principle. A miss is settled by parsing, never reported as is.
    if document.count('"principle":') != len(rows):
        return False
    position = 0
    for row in rows:
        fragment = _fragment(row.outcome, row.principle, row.rule)
        position = document.find(fragment, position)
        if position < 0:
            return False
        position += len(fragment)
    return True
