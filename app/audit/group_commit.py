"""Group commit: the decisions that wait at the same moment share one transaction, one fsync.

Each decision must be committed before it is answered, and a commit costs an fsync
(about a millisecond or more) on the one chain head. Paid per decision, that fsync caps
a process at a few hundred decisions a second however many threads it has. Here the
request threads of one process hand their prepared entries to one committer thread,
which appends everything queued so far with `append_many` (one transaction under the
chain-head lock, so the chain stays one chain across workers and hosts) and then wakes
each waiting thread with its own result. Nothing is answered before its transaction
committed; the durability of a decision is exactly that of a single append.

A failed group fails every entry in it (the transaction is all or none), except a
request_id that is already taken: that entry alone gets DuplicateRequestId, and the
others are written without it, so one retry never fails its neighbours.
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass, field

from sqlalchemy import Engine, select
from sqlalchemy.exc import SQLAlchemyError

from app import metrics
from app.audit.models import Decision
from app.audit.writer import DuplicateRequestId, Entry, LogWriteError, Written, append_many

log = logging.getLogger(__name__)

# More entries per transaction buy nothing once the fsync is shared; a cap keeps one
# transaction (and the chain lock other workers wait for) short.
MAX_GROUP = 128
# A committer with nothing to do ends; the next decision starts a new one. So an app
# that is created and dropped (tests, the CLI) leaves no thread behind for long.
IDLE_SECONDS = 10.0


@dataclass(eq=False)
class _Slot:
    """One waiting decision: its entry, then its Written or the error that applies to it."""

    entry: Entry
    done: threading.Event = field(default_factory=threading.Event)
    written: Written | None = None
    error: Exception | None = None

    def resolve(self, written: Written) -> None:
        self.written = written
        self.done.set()

    def fail(self, error: Exception) -> None:
        self.error = error
        self.done.set()


class GroupCommitter:
    """append(entry) -> Written, like writer.append, but concurrent calls share a commit."""

    def __init__(self, engine: Engine, max_group: int = MAX_GROUP,
                 idle_seconds: float = IDLE_SECONDS) -> None:
        self.engine = engine
        self.max_group = max_group
        self.idle_seconds = idle_seconds
        self._reset()

    def _reset(self) -> None:
        self._pid = os.getpid()
        self._cond = threading.Condition()
        self._queue: list[_Slot] = []
        self._thread: threading.Thread | None = None

    @property
    def waiting(self) -> int:
        """Entries queued for the next group (not those being written now)."""
        with self._cond:
            return len(self._queue)

    def append(self, entry: Entry) -> Written:
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
            self._cond.notify()
        # The committer resolves every slot it takes, whatever happens (see _commit), so
        # this wait ends; the database's own lock timeouts bound how long it takes.
        slot.done.wait()
        if slot.error is not None:
            raise slot.error
        assert slot.written is not None
        return slot.written

    def _run(self) -> None:
        try:
            while True:
                with self._cond:
                    while not self._queue:
                        if not self._cond.wait(self.idle_seconds) and not self._queue:
                            self._thread = None  # under the lock: append() starts a new one
                            return
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

    def _commit(self, group: list[_Slot]) -> None:
        try:
            metrics.LOG_GROUP_SIZE.observe(len(group))
            self._write(group)
        except Exception as error:  # noqa: BLE001 - no waiter may be left hanging
            log.error("log committer failed: %s", type(error).__name__)
            failure = LogWriteError(type(error).__name__)
            for slot in group:
                if not slot.done.is_set():
                    slot.fail(failure)

    def _write(self, group: list[_Slot]) -> None:
        try:
            written = append_many(self.engine, [slot.entry for slot in group])
        except DuplicateRequestId as duplicate:
            if len(group) == 1:
                group[0].fail(duplicate)
                return
            self._write_without_duplicates(group)
            return
        except LogWriteError as error:
            # All or none: nothing of this group is in the log, so nobody is answered.
            for slot in group:
                slot.fail(error)
            return
        for slot, record in zip(group, written, strict=True):
            slot.resolve(record)

    def _write_without_duplicates(self, group: list[_Slot]) -> None:
        """Fail only the entries whose request_id is taken (in the log or earlier in the
        group); write the rest together. A request_id taken meanwhile by another process
        makes this run again on the smaller group."""
        try:
            taken = _logged_request_ids(self.engine, [s.entry.request_id for s in group])
        except SQLAlchemyError as error:
            for slot in group:
                slot.fail(LogWriteError(type(error).__name__))
            return
        rest: list[_Slot] = []
        duplicates: list[_Slot] = []
        for slot in group:
            request_id = slot.entry.request_id
            if request_id is not None and request_id in taken:
                duplicates.append(slot)
            else:
                rest.append(slot)
                if request_id is not None:
                    taken.add(request_id)
        if not duplicates:
            # The conflict is gone from view (another writer rolled back?): one at a time.
            for slot in group:
                self._write([slot])
            return
        if rest:
            self._write(rest)
        # Only now: a duplicate's thread reads the first decision back to replay it, and
        # when that first one is in this group it must be committed (or have failed) first.
        for slot in duplicates:
            slot.fail(DuplicateRequestId())


def _logged_request_ids(engine: Engine, request_ids: list[str | None]) -> set[str]:
    wanted = sorted({r for r in request_ids if r is not None})
    if not wanted:
        return set()
    with engine.connect() as connection:
        return set(connection.execute(
            select(Decision.request_id).where(Decision.request_id.in_(wanted))).scalars())

