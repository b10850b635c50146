"""Group commit: the decisions that wait at the same moment share one transaction, one fsync.

Each decision must be committed before it is answered, and a commit costs an fsync
(about a millisecond or more) on the one chain head. Paid per decision, that fsync caps
a process at a few hundred decisions a second however many threads it has. Here the
request threads of one process hand their prepared entries to one committer thread,
which has everything queued so far appended as one transaction under the chain-head
lock (so the chain stays one chain across workers and hosts), by the worker's writer
process or by write_group here, and then wakes each waiting thread with its result.
Nothing is answered before its transaction committed; the durability of a decision is
exactly that of a single append.

Groups form by themselves only while the committer is busy: measured under load they
held two or three decisions, and the per-transaction cost (lock, fsync, the hand-off to
the writer process) was paid that often. So, like PostgreSQL's commit_delay, the
committer waits a little, up to `gather_seconds`, while other decision requests of this
process are under way (`in_flight()`, from the start of a request to its answer): a few
milliseconds of waiting cost no CPU, and the larger groups save it. A decision with no
other request under way is written at once.

A failed group fails every entry in it (the transaction is all or none), except where
one entry is at fault: a request_id that is already taken (that entry alone gets
DuplicateRequestId), or a value the database refuses (a NUL in a string, for
PostgreSQL; RefusedEntry). Then the others are written without it, so one entry never
fails its neighbours.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy import Engine, select
from sqlalchemy.exc import SQLAlchemyError

from app import metrics
from app.audit.models import Decision
from app.audit.writer import (
    DuplicateRequestId,
    Entry,
    LogWriteError,
    RefusedEntry,
    append_many,
)

log = logging.getLogger(__name__)

# More entries per transaction buy nothing once the fsync is shared; a cap keeps one
# transaction (and the chain lock other workers wait for) short.
MAX_GROUP = 128
# A committer with nothing to do ends; the next decision starts a new one. So an app
# that is created and dropped (tests, the CLI) leaves no thread behind for long.
IDLE_SECONDS = 10.0


@dataclass(eq=False)
class _Slot:
    """One waiting decision: its entry, then done, with the error that applies to it if any."""

    entry: Entry
    done: threading.Event = field(default_factory=threading.Event)
    error: Exception | None = None

    def resolve(self) -> None:
        self.done.set()

    def fail(self, error: Exception) -> None:
        self.error = error
        self.done.set()


class GroupCommitter:
    """append(entry) logs one entry; calls made at the same moment share a commit."""

    def __init__(self, engine: Engine, max_group: int = MAX_GROUP,
                 idle_seconds: float = IDLE_SECONDS,
                 write: Callable[[list[Entry]], list[Outcome]] | None = None,
                 gather_seconds: float = 0.0) -> None:
        self.engine = engine
        # Where a group goes: by default this process writes it (write_group); the
        # service hands it to a writer process instead (app/audit/writer_process.py).
        self.write = write or (lambda entries: write_group(engine, entries))
        self.max_group = max_group
        self.idle_seconds = idle_seconds
        # The service passes Settings.log_gather_ms; 0 never waits for requests under way.
        self.gather_seconds = gather_seconds
        self._reset()

    def _reset(self) -> None:
        self._pid = os.getpid()
        self._cond = threading.Condition()
        self._queue: list[_Slot] = []
        self._thread: threading.Thread | None = None
        self._in_flight = 0  # decision requests of this process under way (in_flight())

    @contextmanager
    def in_flight(self) -> Iterator[None]:
        """Count a decision request as under way, from its start to its answer.

        While more requests are under way than entries queued, a group waits for them
        (up to gather_seconds) instead of being written without them.
        """
        if self._pid != os.getpid():
            self._reset()
        with self._cond:
            self._in_flight += 1
        try:
            yield
        finally:
            with self._cond:
                self._in_flight -= 1
                if self._queue and self._in_flight <= len(self._queue):
                    self._cond.notify()  # a gathering group need not wait any longer

    @property
    def under_way(self) -> int:
        """Decision requests counted by in_flight() now."""
        with self._cond:
            return self._in_flight

    @property
    def waiting(self) -> int:
        """Entries queued for the next group (not those being written now)."""
        with self._cond:
            return len(self._queue)

    def append(self, entry: Entry) -> None:
        """Log `entry`; return once its transaction committed, or raise its error.

        Raises LogWriteError (the caller answers 503) or DuplicateRequestId.
        """
        slot = _Slot(entry)
        if self._pid != os.getpid():
            # A forked child has the parent's queue but not its thread: start afresh.
            self._reset()
        with self._cond:
            self._queue.append(slot)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="dealguard-log-committer",
                                                daemon=True)
                self._thread.start()
            # Wake the committer only when it may act: it sleeps with an empty queue, or
            # gathers until every request under way is queued or the group is full. Each
            # needless wake-up costs a switch of the GIL.
            if (len(self._queue) == 1 or self._in_flight <= len(self._queue)
                    or len(self._queue) >= self.max_group):
                self._cond.notify()
        # The committer resolves every slot it takes, whatever happens (see _commit), so
        # this wait ends; the database's own lock timeouts bound how long it takes.
        slot.done.wait()
        if slot.error is not None:
            raise slot.error

    def _run(self) -> None:
        try:
            while True:
                with self._cond:
                    while not self._queue:
                        if not self._cond.wait(self.idle_seconds) and not self._queue:
                            self._thread = None  # under the lock: append() starts a new one
                            return
                    self._gather()
                    group = self._queue[: self.max_group]
                    del self._queue[: self.max_group]
                self._commit(group)
        except BaseException:
            # Should never happen (_commit catches everything); if it does, nobody waits
            # forever: the queued decisions are refused and the next one starts a thread.
            with self._cond:
                left, self._queue, self._thread = self._queue, [], None
            for slot in left:
                slot.fail(LogWriteError("committer stopped"))
            raise

    def _gather(self) -> None:
        """Wait (with self._cond held) while other requests are under way, up to
        gather_seconds."""
        deadline = None
        while self._in_flight > len(self._queue) and len(self._queue) < self.max_group:
            now = time.monotonic()
            if deadline is None:
                deadline = now + self.gather_seconds
            if now >= deadline:
                return
            self._cond.wait(deadline - now)

    def write_now(self, entries: list[Entry]) -> list[Outcome]:
        """Write `entries` as one group in the calling thread (a batch); never raises.

        The outcome of each, in order, as write_group gives them.
        """
        try:
            outcomes = self.write(entries)
            if len(outcomes) != len(entries):
                raise ValueError("not one outcome per entry")
            return outcomes
        except Exception as error:  # noqa: BLE001 - every entry gets an outcome
            log.error("log write failed: %s", type(error).__name__)
            return [LogWriteError(type(error).__name__)] * len(entries)

    def _commit(self, group: list[_Slot]) -> None:
        metrics.LOG_GROUP_SIZE.observe(len(group))
        outcomes = self.write_now([slot.entry for slot in group])
        for slot, outcome in zip(group, outcomes, strict=True):
            if outcome is None:
                slot.resolve()
            else:
                slot.fail(outcome)


Outcome = Exception | None  # None: written; else LogWriteError or DuplicateRequestId


def write_group(engine: Engine, entries: list[Entry]) -> list[Outcome]:
    """Write `entries` in one transaction if possible; the outcome of each, in order.

    A failed group fails every entry in it (the transaction is all or none), except a
    request_id that is already taken: that entry alone gets DuplicateRequestId and the
    others are written without it; and except an entry whose values are refused
    (RefusedEntry): the group is written again in halves, and halves of the half that
    fails, until that entry is alone. A refused group was rolled back whole, so the
    chain has no gap and no hash over it; the halves are written in order, a
    transaction each (a few more transactions, on this rare path only: the common one
    pays nothing for it). Every outcome is final when this returns: a duplicate's
    caller reads the first decision back, which is committed by then.
    """
    try:
        append_many(engine, entries)
    except DuplicateRequestId as duplicate:
        if len(entries) == 1:
            return [duplicate]
        return _write_without_duplicates(engine, entries)
    except RefusedEntry as refused:
        if len(entries) == 1:
            return [refused]
        half = len(entries) // 2
        return write_group(engine, entries[:half]) + write_group(engine, entries[half:])
    except LogWriteError as error:
        return [error] * len(entries)
    return [None] * len(entries)


def _write_without_duplicates(engine: Engine, entries: list[Entry]) -> list[Outcome]:
    """Fail only the entries whose request_id is taken (in the log or earlier in the
    group); write the rest together. A request_id taken meanwhile by another process
    makes this run again on the smaller group."""
    try:
        taken = _logged_request_ids(engine, [entry.request_id for entry in entries])
    except SQLAlchemyError as error:
        return [LogWriteError(type(error).__name__)] * len(entries)
    outcomes: list[Outcome] = [None] * len(entries)
    rest: list[int] = []
    for index, entry in enumerate(entries):
        if entry.request_id is not None and entry.request_id in taken:
            outcomes[index] = DuplicateRequestId()
        else:
            rest.append(index)
            if entry.request_id is not None:
                taken.add(entry.request_id)
    if len(rest) == len(entries):
        # The conflict is gone from view (another writer rolled back?): one at a time.
        return [write_group(engine, [entry])[0] for entry in entries]
    if rest:
        for index, outcome in zip(rest, write_group(engine, [entries[i] for i in rest]),
                                  strict=True):
            outcomes[index] = outcome
    return outcomes


def _logged_request_ids(engine: Engine, request_ids: list[str | None]) -> set[str]:
    wanted = sorted({r for r in request_ids if r is not None})
    if not wanted:
        return set()
    with engine.connect() as connection:
        return set(connection.execute(
            select(Decision.request_id).where(Decision.request_id.in_(wanted))).scalars())

