"""The log writer of one worker, run as a child process with an interpreter of its own.

Every worker serialises its log writes on the one chain head (a row lock, or SQLite's
write lock), so the time a transaction holds that lock caps the whole service. Run in
a worker's committer thread, that transaction needs the worker's GIL again after every
statement and every fsync, and waits for it behind the request threads: measured under
load, the lock was held about 4 ms for about 1 ms of work. A child process has no
other thread to wait for, so the lock is held for the work alone.

The worker's committer sends each group to its child over a pipe and waits for one
outcome per entry: None (committed), or the name of the error. Nothing is answered
before the child says it committed, so durability is that of a write in the worker.

Every group carries a deadline (Settings.log_write_timeout from the first decision's
arrival). A child that has not answered by then is taken for hung: it is killed, and
what it did is settled from the log (app/log/write/settle.py), so an entry is answered 503
only when it is not in the log and never will be, and one that was committed is
answered as logged. A replacement is started at once. A child that dies is treated the
same way. The child ends when the worker's end of the pipe closes.

    frame = 4-byte big-endian length + pickle    (parent and child are one program)
    parent: {"url", "sqlite_synchronous", "application_name"}; then groups of entries,
            or PROBE (commit a write that leaves the log as it was: /health/ready)
    child:  READY once it can take work; then a list of outcomes per group, or
            None / an error name per probe
"""

from __future__ import annotations

import logging
import os
import pickle
import secrets
import select
import signal
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy.engine import make_url

from app import telemetry
from app.db import is_postgresql
from app.log.write.settle import SETTLE_SECONDS, Unsettled, logged_decisions
from app.log.write.writer import DuplicateRequestId, Entry, LogWriteError, Outcome, write_group

log = logging.getLogger(__name__)

_LENGTH = struct.Struct(">I")
_PAGE = select.PIPE_BUF
PROBE = "probe"
READY = "ready"
WRITE_TIMEOUT = 6.0  # Settings.log_write_timeout
# A child that has not said READY in this long (its imports take about a second) is
# taken for broken and replaced; meanwhile decisions are answered 503 without waiting.
STARTUP_SECONDS = 60.0
# A SIGKILLed process ends at once unless it is stuck in the kernel (a dying disk).
KILL_WAIT_SECONDS = 1.0
_PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])
_COMMAND = (sys.executable, "-c", "from app.log.write.writer_process import main; main()")



class _Unsent(Exception):
    """Nothing was sent to a child (none ready in time): the entries are surely not logged."""


class _Lost(Exception):
    """A child took the work and did not answer it: it is dead now, the work unsettled."""

    def __init__(self, child: _Child) -> None:
        super().__init__("log writer process lost")
        self.child = child


@dataclass(eq=False)
class _Child:
    process: subprocess.Popen
    started: float
    application_name: str | None
    ready: bool = False


class WriterProcess:
    """write(entries, deadline) -> outcomes, done by a child process (started on first use)."""

    def __init__(self, url: str, sqlite_synchronous: str = "FULL",
                 timeout: float = WRITE_TIMEOUT, command: tuple[str, ...] = _COMMAND) -> None:
        self._url = url
        self._sqlite_synchronous = sqlite_synchronous
        # The deadline of a write or probe given none (a batch, a probe): now + timeout.
        self.timeout = timeout
        self.command = command  # the child's program (tests give one that misbehaves)
        self._child: _Child | None = None
        self._pid = os.getpid()
        self._lock = threading.Lock()

    def start(self, wait: float = 0.0) -> bool:
        """Start the child now rather than on the first decision; True once it is ready.

        Waits up to `wait` seconds for it to say it is ready.
        """
        with self._lock:
            try:
                self._ready(time.monotonic() + wait)
            except _Unsent:
                return False
            return True

    @property
    def pid(self) -> int | None:
        """The running child's process id (None when there is none)."""
        child = self._child
        return child.process.pid if child is not None and self._pid == os.getpid() else None

    def write(self, entries: list[Entry], deadline: float | None = None) -> list[Outcome]:
        """Write `entries` as one group: the outcome of each (None: committed).

        Answers by `deadline` (time.monotonic()), plus at most SETTLE_SECONDS when the
        child had to be killed.
        """
        if not entries:
            return []
        deadline = self._deadline(deadline)

        def valid(answer: Any) -> bool:
            return isinstance(answer, list) and len(answer) == len(entries)

        try:
            answer = self._call([entry.for_transport() for entry in entries], deadline, valid)
        except _Unsent as unsent:
            return [LogWriteError(str(unsent))] * len(entries)
        except _Lost as lost:
            return _settle(self._url, lost.child, entries)
        return [_outcome(name) for name in answer]

    def probe(self, deadline: float | None = None) -> Exception | None:
        """Have the child commit a write that leaves the log as it was (app/log/write/probe.py).

        None if it did; else the LogWriteError that says why not.
        """
        try:
            answer = self._call(PROBE, self._deadline(deadline),
                                lambda answer: answer is None or isinstance(answer, str))
        except (_Unsent, _Lost) as error:
            return LogWriteError(str(error))
        return None if answer is None else LogWriteError(answer)

    def close(self) -> None:
        with self._lock:
            child, self._child = self._child, None
            if child is not None and self._pid == os.getpid():
                _stop(child)

    def _deadline(self, deadline: float | None) -> float:
        return time.monotonic() + self.timeout if deadline is None else deadline

    def _call(self, message: Any, deadline: float, valid: Callable[[Any], bool]) -> Any:
        """Send `message` to a ready child, return its answer. Raises _Unsent or _Lost."""
        # A group is sent only while a quarter of the timeout is left: with less, a
        # healthy child would be killed for the time spent waiting before it.
        send_by = deadline - self.timeout / 4
        if not self._lock.acquire(timeout=max(0.0, send_by - time.monotonic())):
            raise _Unsent("log writer busy")
        try:
            child = self._ready(send_by)
            if time.monotonic() > send_by:
                raise _Unsent("no time left to write")
            try:
                _send(child.process.stdin, message, deadline)
                answer = _receive(child.process.stdout, max(0.0, deadline - time.monotonic()))
                if not valid(answer):
                    raise ValueError("an answer that is not this message's")
            except Exception as error:  # noqa: BLE001 - whatever it was, the child is suspect
                # It may still be writing, or its answer may come later and be read as
                # the next group's: it is killed, and a new one is started at once.
                log.error("log writer process %d lost: %s", child.process.pid,
                          type(error).__name__)
                telemetry.LOG_WRITERS_LOST.inc()
                self._child = None
                _kill(child)
                self._replace()
                raise _Lost(child) from None
            return answer
        finally:
            self._lock.release()

    def _ready(self, send_by: float) -> _Child:
        """The running child, started if need be, once it said READY. Raises _Unsent."""
        if self._pid != os.getpid():
            # A forked copy of a worker: the child belongs to the parent, not to us.
            self._child, self._pid = None, os.getpid()
        child = self._child
        if child is not None and child.process.poll() is not None:
            log.error("log writer process %d ended", child.process.pid)
            self._child = None
            _kill(child)  # reaps it, closes its pipes
            child = None
        if child is None:
            try:
                child = self._child = self._spawn()
            except OSError as error:
                raise _Unsent(f"log writer process cannot start: {type(error).__name__}") \
                    from None
        if child.ready:
            return child
        try:
            if _receive(child.process.stdout, max(0.0, send_by - time.monotonic())) != READY:
                raise ValueError("not READY")
        except TimeoutError:
            if time.monotonic() - child.started > STARTUP_SECONDS:
                self._child = None
                _kill(child)
            raise _Unsent("log writer process starting") from None
        except Exception as error:  # noqa: BLE001 - it died or said something else
            self._child = None
            _kill(child)
            raise _Unsent(f"log writer process did not start: {type(error).__name__}") \
                from None
        child.ready = True
        return child

    def _replace(self) -> None:
        """Start the next child now, so that its start-up overlaps the settling."""
        try:
            self._child = self._spawn()
        except OSError:
            pass  # the next write tries again

    def _spawn(self) -> _Child:
        env = dict(os.environ)
        # The child's metrics would be files nobody reads: it counts nothing itself.
        env.pop("PROMETHEUS_MULTIPROC_DIR", None)
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (_PACKAGE_ROOT, env.get("PYTHONPATH")) if p)
        process = subprocess.Popen(list(self.command), env=env, stdin=subprocess.PIPE,
                                   stdout=subprocess.PIPE, bufsize=0, close_fds=True)
        child = _Child(process, time.monotonic(), application_name(self._url, process.pid))
        try:
            # The URL may hold a password: in the pipe, not in argv.
            _send(process.stdin, {"url": self._url,
                                  "sqlite_synchronous": self._sqlite_synchronous,
                                  "application_name": child.application_name})
        except OSError:
            _kill(child)
            raise
        return child

    def __del__(self) -> None:
        child = self._child
        if child is not None and self._pid == os.getpid():
            _stop(child)


def application_name(url: str, pid: int) -> str | None:
    """The PostgreSQL application_name of the writer process `pid`, for settling.

    It keeps the application_name the URL gives, if any, in front (an operator's filter
    on it still finds the writers); the pid and a random part make it unique among the
    writers of every host on the database (settling ends the sessions of that name).
    """
    parsed = make_url(url)
    if not is_postgresql(parsed):
        return None
    # PostgreSQL keeps 63 bytes of printable ASCII: the name must survive whole, or the
    # settling would look for a session that does not exist by that name.
    base = str(parsed.query.get("application_name") or "dealguard")
    base = "".join(c for c in base if " " <= c <= "~")[:24]
    return f"{base}-log-writer-{pid}-{secrets.token_hex(6)}"


def _settle(url: str, child: _Child, entries: list[Entry]) -> list[Outcome]:
    """The outcome of each entry a lost (and killed) child was given: see settle.py."""
    if child.process.returncode is not None:
        try:
            logged = logged_decisions(url, child.application_name,
                                      [entry.decision_id for entry in entries], SETTLE_SECONDS)
        except Unsettled as error:
            logged = None
            reason = str(error)
    else:
        logged, reason = None, "the process did not end"
    if logged is None:
        log.error("log writer process %d lost with %d decisions whose outcome is unknown"
                  " (%s): answered 503", child.process.pid, len(entries), reason)
        return [LogWriteError("writer process lost, outcome unknown")] * len(entries)
    if logged:
        log.warning("log writer process %d lost after logging %d of %d decisions:"
                    " those are answered as logged", child.process.pid, len(logged),
                    len(entries))
    return [None if entry.decision_id in logged else LogWriteError("writer process lost")
            for entry in entries]


def _kill(child: _Child) -> None:
    """SIGKILL the child (it may be frozen, mid-write) and reap it."""
    try:
        child.process.kill()
    except OSError:
        pass
    try:
        child.process.wait(timeout=KILL_WAIT_SECONDS)
    except subprocess.TimeoutExpired:
        pass  # stuck in the kernel: its outcome stays unknown (_settle)
    _close_pipes(child)


def _stop(child: _Child) -> None:
    """End the child by EOF on its stdin (it finishes the group it is writing)."""
    _close_pipes(child)
    try:
        child.process.wait(timeout=2)
    except subprocess.TimeoutExpired:
        child.process.kill()
        child.process.wait()


def _close_pipes(child: _Child) -> None:
    for stream in (child.process.stdin, child.process.stdout):
        try:
            stream.close()
        except OSError:
            pass


def _outcome(name: str | None) -> Exception | None:
    if name is None:
        return None
    if name == "DuplicateRequestId":
        return DuplicateRequestId()
    return LogWriteError(name)


def _name(outcome: Exception | None) -> str | None:
    if outcome is None:
        return None
    if isinstance(outcome, DuplicateRequestId):
        return "DuplicateRequestId"
    return str(outcome) if isinstance(outcome, LogWriteError) else type(outcome).__name__


def _send(stream: BinaryIO, value: Any, deadline: float | None = None) -> None:
    """Write one frame; with a deadline (time.monotonic()), raise TimeoutError at it.

    A child that reads nothing (frozen) leaves a group larger than the pipe's buffer
    (64 KiB) half-written: without the deadline, the worker would wait for it forever.
    """
    data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    frame = memoryview(_LENGTH.pack(len(data)) + data)
    poller = None
    if deadline is not None:
        poller = select.poll()
        poller.register(stream, select.POLLOUT)
    while frame:  # an unbuffered pipe may take part of a frame at a time
        if poller is None:
            frame = frame[stream.write(frame):]
            continue
        if not poller.poll(max(0.0, deadline - time.monotonic()) * 1000):
            raise TimeoutError("the log writer process takes nothing")
        # Writable means room for at least one page: so much never blocks.
        frame = frame[stream.write(frame[:_PAGE]):]


def _receive(stream: BinaryIO, timeout: float | None = None) -> Any:
    (length,) = _LENGTH.unpack(_read_exactly(stream, _LENGTH.size, timeout))
    return pickle.loads(_read_exactly(stream, length, timeout))


def _read_exactly(stream: BinaryIO, size: int, timeout: float | None) -> bytes:
    chunks, left = [], size
    poller = None
    deadline = None
    if timeout is not None:
        # poll, not select: a worker with many connections has file numbers over 1024.
        poller = select.poll()
        poller.register(stream, select.POLLIN)
        deadline = time.monotonic() + timeout
    while left:
        if poller is not None and not poller.poll(max(0.0, deadline - time.monotonic()) * 1000):
            raise TimeoutError("no answer from the log writer process")
        chunk = stream.read(left)
        if not chunk:
            raise EOFError("the other end of the pipe is closed")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def main(write: Callable[..., list] | None = None) -> None:
    """The child: write each group it is sent, answer its outcomes, until EOF.

    `write(db_engine, entries)` is writer.write_group unless a test gives another.
    """
    from app.db import make_engine

    write = write or write_group
    # Ctrl-C in a terminal reaches the whole process group; the child must not die in
    # the middle of a group for it: it ends when its worker closes the pipe.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    requests = open(sys.stdin.fileno(), "rb", buffering=0, closefd=False)  # noqa: SIM115
    answers = open(sys.stdout.fileno(), "wb", buffering=0, closefd=False)  # noqa: SIM115
    sys.stdout = sys.stderr  # a stray print must not corrupt the frames
    try:
        config = _receive(requests)
    except EOFError:
        return
    url = config["url"]
    if config.get("application_name"):
        # So that the worker can end this process's sessions if it is lost (settle.py).
        url = make_url(url).update_query_dict(
            {"application_name": config["application_name"]}).render_as_string(
            hide_password=False)
    db_engine = make_engine(url, config["sqlite_synchronous"])
    try:
        _send(answers, READY)
        while True:
            message = _receive(requests)
            _send(answers, _probe(db_engine) if message == PROBE
                  else _write(db_engine, message, write))
    except (EOFError, BrokenPipeError):
        pass  # the worker closed the pipe, or is gone: end
    db_engine.dispose()


def _probe(db_engine) -> str | None:
    from app.log.write.probe import probe_write

    try:
        probe_write(db_engine)
    except LogWriteError as error:
        return str(error)
    return None


def _write(db_engine, message: list, write: Callable[..., list]) -> list[str | None]:
    try:
        outcomes = write(db_engine, [Entry.from_transport(e) for e in message])
    except Exception as error:  # noqa: BLE001 - answer it, the worker fails the group
        outcomes = [LogWriteError(type(error).__name__)] * len(message)
    return [_name(outcome) for outcome in outcomes]
