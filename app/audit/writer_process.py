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
If the child dies or stops answering, the group fails (503) and the next group starts
a new child. The child ends when the worker's end of the pipe closes.

    frame = 4-byte big-endian length + pickle    (parent and child are one program)
    first frame: {"url": ..., "sqlite_synchronous": ...}; then groups of entries
"""

from __future__ import annotations

import logging
import os
import pickle
import select
import signal
import struct
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any, BinaryIO

from app.audit.writer import DuplicateRequestId, Entry, LogWriteError

log = logging.getLogger(__name__)

_LENGTH = struct.Struct(">I")
# A child that has not answered a group in this long is taken for hung and killed.
# Longer than the database's own waits (PostgreSQL's lock timeout 10 s, SQLite's busy
# timeout 30 s, app/db.py), so a slow but live write ends with its real outcome.
ANSWER_SECONDS = 60.0
_PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])


class WriterProcess:
    """write(entries) -> outcomes, done by a child process (started on first use)."""

    def __init__(self, url: str, sqlite_synchronous: str = "FULL",
                 answer_seconds: float = ANSWER_SECONDS) -> None:
        self._config = {"url": url, "sqlite_synchronous": sqlite_synchronous}
        self.answer_seconds = answer_seconds
        self._child: subprocess.Popen | None = None
        self._pid = os.getpid()
        self._lock = threading.Lock()

    def start(self) -> None:
        """Start the child now rather than on the first decision."""
        with self._lock:
            self._running()

    def write(self, entries: list[Entry]) -> list[Exception | None]:
        with self._lock:
            try:
                child = self._running()
                _send(child.stdin, [entry.for_transport() for entry in entries])
                answer = _receive(child.stdout, self.answer_seconds)
                if not isinstance(answer, list) or len(answer) != len(entries):
                    raise ValueError("an answer that is not this group's")
            except Exception as error:  # noqa: BLE001 - whatever it was, the pipe is suspect
                # The child may still be writing this group, or its answer may still be in
                # the pipe, to be read as the next group's: it is stopped, and the next
                # group starts a new one. Its entries may be in the log all the same (a
                # retry with the same request_id is answered as logged); nobody is told so.
                log.error("log writer process lost: %s", type(error).__name__)
                self._stop()
                return [LogWriteError("writer process lost")] * len(entries)
        return [_outcome(name) for name in answer]

    def ping(self, timeout: float = 5.0) -> bool:
        """True when the child answers an empty group (it is started if it is not)."""
        with self._lock:
            try:
                child = self._running()
                _send(child.stdin, [])
                return _receive(child.stdout, timeout) == []
            except Exception as error:  # noqa: BLE001 - not answering, whatever the cause
                log.error("log writer process not answering: %s", type(error).__name__)
                self._stop()
                return False

    def close(self) -> None:
        with self._lock:
            self._stop()

    def _running(self) -> subprocess.Popen:
        if self._pid != os.getpid():
            # A forked copy of a worker: the child belongs to the parent, not to us.
            self._child, self._pid = None, os.getpid()
        if self._child is not None and self._child.poll() is None:
            return self._child
        self._stop()
        env = dict(os.environ)
        # The child's metrics would be files nobody reads: it counts nothing itself.
        env.pop("PROMETHEUS_MULTIPROC_DIR", None)
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (_PACKAGE_ROOT, env.get("PYTHONPATH")) if p)
        self._child = subprocess.Popen(
            [sys.executable, "-c", "from app.audit.writer_process import main; main()"], env=env,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0, close_fds=True)
        _send(self._child.stdin, self._config)  # the URL may hold a password: not argv
        return self._child

    def _stop(self) -> None:
        child, self._child = self._child, None
        if child is None:
            return
        for stream in (child.stdin, child.stdout):
            try:
                stream.close()
            except OSError:
                pass
        try:
            child.wait(timeout=2)  # EOF on its stdin ends it
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()

    def __del__(self) -> None:
        if self._child is not None and self._pid == os.getpid():
            self._stop()


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


def _send(stream: BinaryIO, value: Any) -> None:
    data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    frame = memoryview(_LENGTH.pack(len(data)) + data)
    while frame:  # an unbuffered pipe may take part of a frame at a time
        frame = frame[stream.write(frame):]


def _receive(stream: BinaryIO, timeout: float | None = None) -> Any:
    (length,) = _LENGTH.unpack(_read_exactly(stream, _LENGTH.size, timeout))
    return pickle.loads(_read_exactly(stream, length, timeout))


def _read_exactly(stream: BinaryIO, size: int, timeout: float | None) -> bytes:
    chunks, left = [], size
    poller = None
    if timeout is not None:
        # poll, not select: a worker with many connections has file numbers over 1024.
        poller = select.poll()
        poller.register(stream, select.POLLIN)
    while left:
        if poller is not None and not poller.poll(timeout * 1000):
            raise TimeoutError("no answer from the log writer process")
        chunk = stream.read(left)
        if not chunk:
            raise EOFError("the other end of the pipe is closed")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def main() -> None:
    """The child: write each group it is sent, answer its outcomes, until EOF."""
    from app.audit.group_commit import write_group
    from app.db import make_engine

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
    engine = make_engine(config["url"], config["sqlite_synchronous"])
    while True:
        try:
            entries = _receive(requests)
        except EOFError:
            break
        try:
            outcomes = write_group(engine, [Entry.from_transport(e) for e in entries])
        except Exception as error:  # noqa: BLE001 - answer it, the worker fails the group
            outcomes = [LogWriteError(type(error).__name__)] * len(entries)
        _send(answers, [_name(outcome) for outcome in outcomes])
    engine.dispose()
