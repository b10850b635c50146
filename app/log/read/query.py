"""Filters and keyset pagination over the decision log (CONTRACT §5).

Pages are cut on `seq`, newest first: a cursor says "records older than seq N", so a
decision logged between two pages (it always gets a higher seq) can neither push a
record onto the next page twice nor make one fall between pages. Writers commit in
seq order (they serialise on the chain head), so no lower seq appears later either.

Every filter is an equality on an indexed column, ANDed with `seq < cursor` and
ordered by `seq DESC`: each has an index that ends in seq (app.log.read.indexes), so a
page is one short backward index scan, however large the log. A rule or principle
is read through the reasons index (`matching`), a time window is first narrowed to
seq bounds (app.log.read.plan). bench/LOG.md has the figures on a million records.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, fields, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine, Select, and_, exists, false, func, or_, select
from sqlalchemy.orm import aliased

import app.log.read.indexes  # noqa: F401 - the indexes these query shapes rely on
from app.log.models import ApprovalRequest, Decision, DecisionReason
from app.log.read import plan
from app.schemas.strict import has_invisible
from app.vocabulary import ACTIONS, OUTCOMES

MAX_VALUE = 128
MIN_YEAR, MAX_YEAR = 1900, 9000
_LOST_PLUS = re.compile(r"^(.*T[0-9:.]+) ([0-9]{2}:?[0-9]{2})$")


@dataclass(frozen=True)
class Filters:
    """What to select from the log; None means "any"."""

    action: str | None = None
    outcome: str | None = None
    principle: str | None = None
    rule: str | None = None
    actor_id: str | None = None
    client_id: str | None = None
    subject_id: str | None = None
    since: datetime | None = None  # inclusive, aware UTC
    until: datetime | None = None  # exclusive, aware UTC
    match_nothing: bool = False
    # An approver key's view: its person's own decisions and those asked of its job
    # role's inbox (models.ApprovalRequest). Not a filter anybody sends.
    seen_by: tuple[str, str] | None = None  # (person id, job role)

    def restricted_to_actor(self, actor_id: str) -> Filters:
        """The same filters, limited to one actor's decisions (a manager key, CONTRACT §6).

        A manager asking for another actor gets nothing rather than an error, so the
        answer says nothing about whether that actor has decisions.
        """
        if self.actor_id is not None and self.actor_id != actor_id:
            return replace(self, match_nothing=True)
        return replace(self, actor_id=actor_id)

    def seen_by_approver(self, person_id: str, job_role: str) -> Filters:
        """The same filters, limited to what an approver key reads (CONTRACT §6): its
        own decisions and those its job role was asked to approve."""
        return replace(self, seen_by=(person_id, job_role))


FILTER_NAMES = tuple(f.name for f in fields(Filters)
                     if f.name not in ("match_nothing", "seen_by"))


class InvalidFilters(ValueError):
    """Filters that cannot be read; `errors` holds the messages by filter name."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__("Some filters are not valid.")
        self.detail = "Some filters are not valid."
        self.errors = errors


def parse_filters(args: Mapping[str, str], timezone: str,
                  allowed_extra: tuple[str, ...] = ()) -> Filters:
    """Filters from query parameters (or command options); InvalidFilters naming every
    bad field.

    Unknown parameters are refused: a misspelt filter (`outcom=deny`) would otherwise
    silently answer with the whole log.
    """
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = {}
    for name in args:
        if name not in FILTER_NAMES and name not in allowed_extra:
            errors[name] = ["Unknown parameter."]
    for name in ("action", "outcome", "principle", "rule", "actor_id", "client_id",
                 "subject_id"):
        raw = args.get(name)
        if raw is None:
            continue
        # Refused as in a request's ids: such a value matches nothing, and PostgreSQL
        # refuses NUL outright.
        if raw == "" or len(raw) > MAX_VALUE or has_invisible(raw):
            errors[name] = [f"Must be 1 to {MAX_VALUE} printable characters."]
        elif name == "action" and raw not in ACTIONS:
            errors[name] = [f"Must be one of: {', '.join(ACTIONS)}."]
        elif name == "outcome" and raw not in OUTCOMES:
            errors[name] = [f"Must be one of: {', '.join(OUTCOMES)}."]
        else:
            values[name] = raw
    for name, end in (("since", False), ("until", True)):
        raw = args.get(name)
        if raw is None:
            continue
        try:
            values[name] = parse_instant(raw, timezone, end_of_day=end)
        except (ValueError, OverflowError):
            errors[name] = ["Must be an ISO date (2026-11-27) or date-time."]
    if "since" in values and "until" in values and values["since"] >= values["until"]:
        errors["until"] = ["Must be later than since."]
    if errors:
        raise InvalidFilters(errors)
    return Filters(**values)


def parse_instant(text: str, timezone: str, end_of_day: bool) -> datetime:
    """An ISO date or date-time as an aware UTC instant.

    A date means the whole day in the service's time zone: as `since` its first
    instant, as `until` the first instant of the next day (exclusive), so
    since=until=2026-11-27 is that one day. A date-time without an offset is read in
    the service's time zone, like `as_of` in a request; `until` as a date-time is
    inclusive (the bound is moved one microsecond on).
    """
    # An unencoded "+03:00" arrives as " 03:00" (a + in a query string is a space).
    text = _LOST_PLUS.sub(r"\1+\2", text.strip())
    if len(text) > 40 or not text[:4].isascii() or not text[:4].isdigit() or not (
            MIN_YEAR <= int(text[:4]) <= MAX_YEAR):
        # Years far off would overflow the arithmetic on the bounds (app.log.read.window).
        raise ValueError("not a date of this era")
    zone = ZoneInfo(timezone)
    if "T" not in text and " " not in text and ":" not in text:  # 2026-11-27 or 20261127
        day = date.fromisoformat(text)
        if end_of_day:
            day += timedelta(days=1)
        return datetime.combine(day, time(0), zone).astimezone(UTC)
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    if end_of_day:
        moment += timedelta(microseconds=1)
    return moment.astimezone(UTC)


def seen_by(person_id: str, job_role: str | None = None) -> Any:
    """The decisions a person reads (CONTRACT §6): their own, and for an approver (who
    has a `job_role`) those their job role was asked to approve."""
    mine = Decision.actor_id == person_id
    if job_role is None:
        return mine
    return or_(mine, exists().where(ApprovalRequest.decision_seq == Decision.seq,
                                    ApprovalRequest.audience == job_role))


def where(filters: Filters, skip: str | None = None) -> list[Any]:
    """The WHERE terms of `filters` on the decisions table (but the one named `skip`)."""
    terms: list[Any] = [false()] if filters.match_nothing else []
    for name in ("action", "outcome", "actor_id", "client_id"):
        value = getattr(filters, name)
        if value is not None:
            terms.append(getattr(Decision, name) == value)
    if filters.seen_by is not None:
        terms.append(seen_by(*filters.seen_by))
    if filters.subject_id is not None:
        # A shipment or claim is also found by its order's id.
        terms.append(or_(Decision.subject_id == filters.subject_id,
                         Decision.order_id == filters.subject_id))
    # The window is checked on each row, but never through the decided_at index: the
    # plan's seq bounds already narrow it, and PostgreSQL would otherwise read and
    # sort the whole window to show fifty rows (app.log.read.plan).
    decided_at = func.coalesce(Decision.decided_at, Decision.decided_at)
    if filters.since is not None:
        terms.append(decided_at >= filters.since)
    if filters.until is not None:
        terms.append(decided_at < filters.until)
    for name in ("rule", "principle"):
        value = getattr(filters, name)
        if value is not None and name != skip:
            # An alias: the outer query may read decision_reasons itself (matching).
            reason = aliased(DecisionReason)
            terms.append(exists().where(and_(reason.decision_seq == Decision.seq,
                                             getattr(reason, name) == value)))
    return terms


def matching(filters: Filters, columns: tuple[Any, ...] | None, newest_first: bool,
             before_seq: int | None = None, how: plan.Plan | None = None,
             after_seq: int | None = None) -> Select:
    """Matching rows in seq order; `columns` must hold Decision.seq (None: the seq alone).

    `how` (app.log.read.plan) says where in seq to start and stop and which index
    leads. When the reasons index leads, the rule's decisions are walked in seq
    order and each is joined to its row; a decision whose rule matched two offer
    lines then comes twice, one after the other: read it through `distinct` (or
    `fetch_page`, which does). Otherwise the decisions side leads and an EXISTS
    probes each row's reasons.
    """
    how = how or plan.default(filters)
    if how.driver is None:
        seq = Decision.seq
        statement = select(*(columns or (seq,))).where(*where(filters))
    else:
        seq = DecisionReason.decision_seq
        statement = (select(*(columns or (seq,))).select_from(DecisionReason)
                     .join(Decision, Decision.seq == DecisionReason.decision_seq)
                     .where(getattr(DecisionReason, how.driver) == getattr(filters, how.driver),
                            *where(filters, skip=how.driver)))
    if how.above is not None:
        after_seq = how.above if after_seq is None else max(after_seq, how.above)
    if after_seq is not None:
        statement = statement.where(seq > after_seq)
    if how.below is not None:
        before_seq = how.below if before_seq is None else min(before_seq, how.below)
    if before_seq is not None:
        statement = statement.where(seq < before_seq)
    return statement.order_by(seq.desc() if newest_first else seq.asc())


def batches(db_engine: Engine, filters: Filters, columns: tuple[Any, ...], newest_first: bool,
            size: int, limit: int | None = None) -> Iterator[list[Any]]:
    """Every matching record (at most `limit`), `size` at a time, each a short read.

    Keyset on seq, like the pages: no transaction, cursor or snapshot is held while
    the caller works on a batch or a slow client reads an export, so nothing waits
    on it, PostgreSQL's idle-in-transaction timeout (app.db) cannot end it half-way,
    and SQLite can checkpoint meanwhile. Records are never changed, and ones logged
    during the read come after it in seq; so the batches add up to the log as it was
    at the start plus, oldest-first, what was appended meanwhile.
    """
    with db_engine.connect() as connection:
        how = plan.make(connection, filters)
        last: int | None = None
        left = limit
        while left is None or left > 0:
            want = size if left is None else min(size, left)
            bound = {"before_seq": last} if newest_first else {"after_seq": last}
            rows = list(distinct(connection.execute(
                matching(filters, columns, newest_first, how=how, **bound).limit(want))))
            connection.rollback()  # end the read: hold nothing between batches
            if not rows:
                return
            # Repeats (see matching) may make a batch short: only an empty read ends.
            yield rows
            if left is not None:
                left -= len(rows)
            last = rows[-1].seq


def distinct(rows: Iterable[Any]) -> Iterator[Any]:
    """Rows in seq order without the repeats a reason-driven read gives."""
    last = None
    for row in rows:
        if row.seq != last:
            last = row.seq
            yield row


def fetch_page(connection: Connection, filters: Filters, limit: int, before_seq: int | None,
               columns: tuple[Any, ...]) -> tuple[list[Any], bool]:
    """One page, newest first, and whether another follows (one row more was found).

    Two short reads: the page's seqs first, then their rows. The first can then be
    answered from indexes alone (every index ends in seq), and where a database must
    sort matches (a time window read through the decided_at index) it sorts bare
    seqs, not rows that carry a document of a few kilobytes each.
    """
    want = limit + 1
    seqs: list[int] = []
    how = plan.make(connection, filters)
    while True:
        batch = connection.execute(matching(filters, None, True, before_seq=before_seq,
                                            how=how).limit(want)).scalars().all()
        for seq in batch:
            if not seqs or seqs[-1] != seq:
                seqs.append(seq)
        # Only repeats can leave the page short while rows remain: read on past them.
        if len(seqs) >= want or len(batch) < want:
            break
        before_seq = batch[-1]
    page = seqs[:limit]
    if not page:
        return [], False
    rows = connection.execute(select(*columns).where(Decision.seq.in_(page))
                              .order_by(Decision.seq.desc())).all()
    return rows, len(seqs) > limit
