"""Group commit: the decisions that wait at the same moment share one transaction, one fsync.

Each decision must be committed before it is answered, and a commit costs an fsync
(about a millisecond or more) on the one chain head. Paid per decision, that fsync caps
a process at a few hundred decisions a second however many threads it has. Here the
request threads of one process queue their prepared entries, and one of them, the
leader, has everything queued so far appended as one transaction under the chain-head
lock (so the chain stays one chain across workers and hosts), by the worker's writer
process or by writer.write_group in this one; then it wakes each waiting thread with
its result and, if more entries queued meanwhile, makes the first of them the next
leader. A decision that finds no leader leads itself, so a lone decision is written by
its own thread with no hand-off at all: measured, a committer thread of its own cost
every decision two thread wake-ups (queue to committer, committer back) and some
150 µs of CPU in all (bench/LOG.md). Nothing is answered before its transaction
committed; the durability of a decision is exactly that of a single append.

Groups form by themselves only while a group is being written: measured under load they
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

With a write timeout (the service's writer process), a decision waits at most that
long: one still queued then is taken out and answered 503 (it was never sent, so it is
surely not logged); one already in a group is answered when its writer is, whose
deadline is the group's earliest (writer_process.py kills a writer that misses it and
settles what it wrote). The committer also keeps the outcome of the last write, for
/health/ready (writable()), which probes when nothing was written lately and no leader
is at work.
"""

from __future__ import annotations

import itertools
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy import Engine

from app import telemetry
from app.log.write.probe import probe_write
from app.log.write.writer import Entry, LogWriteError, Outcome, write_group

log = logging.getLogger(__name__)

# More entries per transaction buy nothing once the fsync is shared; a cap keeps one
# transaction (and the chain lock other workers wait for) short.
MAX_GROUP = 128
# /health/ready: a write outcome this recent answers it without a probe (under load
# there is always one); a probe or a write under way must answer within READY_WAIT.
FRESH_SECONDS = 2.0
READY_WAIT = 1.0


@dataclass(eq=False)
class _Slot:
    """One waiting decision: its entry, then done, with the error that applies to it if any."""

    entry: Entry
    deadline: float | None = None  # time.monotonic() by which it is answered, if bounded
    done: threading.Event = field(default_factory=threading.Event)
    error: Exception | None = None
    lead: bool = False  # woken to lead: to write the queue, its own entry first

    def resolve(self) -> None:
        self.done.set()

    def promote(self) -> None:
        self.lead = True
        self.done.set()

    def fail(self, error: Exception) -> None:
        self.error = error
        self.done.set()


class GroupCommitter:
    """append(entry) logs one entry; calls made at the same moment share a commit."""

    def __init__(self, db_engine: Engine, max_group: int = MAX_GROUP,
                 write: Callable[[list[Entry], float | None], list[Outcome]] | None = None,
                 gather_seconds: float = 0.0,
                 probe: Callable[[float | None], Exception | None] | None = None,
                 write_timeout: float | None = None) -> None:
        self.db_engine = db_engine
        # Where a group goes: by default this process writes it (write_group); the
        # service hands it to a writer process instead (app/log/write/writer_process.py).
        # write(entries, deadline) -> outcomes; probe(deadline) -> None or the error.
        self.write = write or (lambda entries, deadline: write_group(db_engine, entries))
        self.probe = probe or (lambda deadline: _probe_here(db_engine))
        self.max_group = max_group
        # The service passes Settings.log_gather_ms; 0 never waits for requests under way.
        self.gather_seconds = gather_seconds
        # Settings.log_write_timeout with a writer process, which can be killed when it
        # hangs. None (writes in this process, which cannot be stopped halfway): a
        # decision waits for its write, bounded by the database's own timeouts.
        self.write_timeout = write_timeout
        self.fresh_seconds = FRESH_SECONDS
        self._reset()

    def _reset(self) -> None:
        self._pid = os.getpid()
        self._cond = threading.Condition()
        self._queue: list[_Slot] = []
        # A thread leads: it gathers and writes a group, or probes. Others queue behind.
        self._leading = False
        self._in_flight = 0  # decision requests of this process under way (in_flight())
        # The last write's outcome (writes and probes alike), for writable().
        self._health = threading.Condition()
        self._last_at = float("-inf")  # time.monotonic() when it ended
        self._last_error: str | None = "nothing written yet"
        self._writes: dict[int, float] = {}  # writes under way: token -> start
        self._tokens = itertools.count()

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
        timeout = self.write_timeout
        slot = _Slot(entry, None if timeout is None else time.monotonic() + timeout)
        if self._pid != os.getpid():
            # A forked child has the parent's queue and leader, not their threads.
            self._reset()
        with self._cond:
            self._queue.append(slot)
            lead = not self._leading
            if lead:
                self._leading = True
            elif self._in_flight <= len(self._queue) or len(self._queue) >= self.max_group:
                # Wake a gathering leader only when it may act: each needless wake-up
                # costs a switch of the GIL.
                self._cond.notify()
        if not lead:
            lead = self._follow(slot, timeout)
        if lead:
            self._lead()
        if slot.error is not None:
            raise slot.error

    def _follow(self, slot: _Slot, timeout: float | None) -> bool:
        """Wait until the slot is written (False) or made the next leader (True)."""
        if timeout is not None and not slot.done.wait(timeout):
            with self._cond:
                if slot in self._queue and not slot.lead:
                    # Never sent to a writer: surely not logged.
                    self._queue.remove(slot)
                    slot.fail(LogWriteError("no log write within the timeout"))
        # A leader resolves every slot it takes, whatever happens (see _commit), so this
        # wait ends: by the group's deadline (and the settling of a lost writer
        # process), or in this process by the database's own lock timeouts.
        slot.done.wait()
        return slot.lead

    def _lead(self) -> None:
        """Gather and write one group (this thread's own entry first), then hand over."""
        group: list[_Slot] = []
        try:
            with self._cond:
                self._gather()
                group = self._queue[: self.max_group]
                del self._queue[: self.max_group]
            self._commit(group)
        finally:
            # _commit resolves every slot it takes; if something escaped it anyway, no
            # thread of the group may wait for ever.
            for slot in group:
                if not slot.done.is_set():
                    slot.fail(LogWriteError("log write interrupted"))
            self._hand_over()

    def _hand_over(self) -> None:
        """Make the first queued entry's thread the next leader, or leave nobody leading."""
        with self._cond:
            if self._queue:
                self._queue[0].promote()
            else:
                self._leading = False

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

    def write_now(self, entries: list[Entry], deadline: float | None = None) -> list[Outcome]:
        """Write `entries` as one group in the calling thread (a batch); never raises.

        The outcome of each, in order, as write_group gives them. `deadline`
        (time.monotonic()) defaults to now + write_timeout.
        """
        if not entries:
            return []
        if deadline is None and self.write_timeout is not None:
            deadline = time.monotonic() + self.write_timeout
        token = self._writing()
        try:
            outcomes = self.write(entries, deadline)
            if len(outcomes) != len(entries):
                raise ValueError("not one outcome per entry")
        except Exception as error:  # noqa: BLE001 - every entry gets an outcome
            log.error("log write failed: %s", type(error).__name__)
            outcomes = [LogWriteError(type(error).__name__)] * len(entries)
        # Written if the database took any of them (a taken request_id is its answer too).
        failures = [o for o in outcomes if isinstance(o, LogWriteError)]
        self._wrote(token, str(failures[0]) if failures and len(failures) == len(outcomes)
                    else None)
        return outcomes

    def _commit(self, group: list[_Slot]) -> None:
        if self.write_timeout is not None:
            # A decision is sent only while half its timeout is left; with less, its
            # writer would be killed for the time the decision spent queued (behind a
            # slow group, say). Not sent, it is surely not logged: 503 now.
            send_by = time.monotonic() + self.write_timeout / 2
            late = [slot for slot in group if slot.deadline < send_by]
            for slot in late:
                slot.fail(LogWriteError("no log write within the timeout"))
            group = [slot for slot in group if slot.deadline >= send_by]
            if not group:
                return
        telemetry.LOG_GROUP_SIZE.observe(len(group))
        deadline = None if self.write_timeout is None else min(s.deadline for s in group)
        outcomes = self.write_now([slot.entry for slot in group], deadline)
        for slot, outcome in zip(group, outcomes, strict=True):
            if outcome is None:
                slot.resolve()
            else:
                slot.fail(outcome)

    def writable(self, wait: float = READY_WAIT) -> str | None:
        """None when the log can be written now; else why not, in a few words.

        The last write of this process answers if it ended less than fresh_seconds ago
        and none has been under way longer than `wait`; else a probe (probe(): a write
        that leaves the log as it was) is started unless a leader is writing, and this
        waits up to `wait` seconds for that, or any, write to end.
        """
        if self._pid != os.getpid():
            self._reset()
        asked = time.monotonic()
        with self._health:
            oldest = min(self._writes.values(), default=asked)
            if asked - oldest > wait:
                return f"a log write has been under way for {asked - oldest:.0f} s"
            if asked - self._last_at <= self.fresh_seconds:
                return self._last_error
        with self._cond:
            lead = not self._leading
            if lead:
                self._leading = True
        if lead:
            # In a thread of its own, so that a hung probe (up to the write timeout) does
            # not hold the readiness answer past `wait`. Only an idle log is probed.
            threading.Thread(target=self._probe_and_hand_over, name="dealguard-log-probe",
                             daemon=True).start()
        with self._health:
            if not self._health.wait_for(lambda: self._last_at >= asked, wait):
                return f"no log write ended within {wait:g} s"
            return self._last_error

    def _probe_and_hand_over(self) -> None:
        try:
            self._run_probe()
        finally:
            self._hand_over()

    def _run_probe(self) -> None:
        deadline = None if self.write_timeout is None else time.monotonic() + self.write_timeout
        token = self._writing()
        try:
            error = self.probe(deadline)
        except Exception as unexpected:  # noqa: BLE001 - a probe that fails says so
            error = unexpected
        if error is not None:
            log.error("log write probe failed: %s", error)
        self._wrote(token, None if error is None else str(error) or type(error).__name__)

    def _writing(self) -> int:
        """Note a write (or probe) under way; its token for _wrote."""
        token = next(self._tokens)
        with self._health:
            self._writes[token] = time.monotonic()
        return token

    def _wrote(self, token: int, error: str | None) -> None:
        """Note the end of a write: None if it wrote, else why it did not."""
        with self._health:
            self._writes.pop(token, None)
            self._last_at, self._last_error = time.monotonic(), error
            self._health.notify_all()


def _probe_here(db_engine: Engine) -> Exception | None:
    try:
        probe_write(db_engine)
    except LogWriteError as error:
        return error
    return None
