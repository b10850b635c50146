"""A log writer child (app/log/write/writer_process.py) that freezes once, at a chosen moment.

WriterProcess(command=COMMAND) runs it. The file named by DEALGUARD_TEST_FREEZE says
when: "before-commit" (the group inserted, the chain head locked, COMMIT not yet sent)
or "after-commit" (committed, not yet answered). The first child to take the file
(it renames it away) stops itself with SIGSTOP at that moment of its next group, as a
process stopped by a debugger or starved by the kernel would; every other child, and
that one's replacement, writes normally.
"""

from __future__ import annotations

import os
import signal
import sys

from app.log.write.writer import write_group
from app.log.write.writer_process import main

COMMAND = (sys.executable, "-c", "from tests.log.write.frozen_writer import run; run()")
VARIABLE = "DEALGUARD_TEST_FREEZE"


def _moment() -> str | None:
    path = os.environ.get(VARIABLE)
    if not path:
        return None
    taken = f"{path}.{os.getpid()}"
    try:
        os.rename(path, taken)
    except FileNotFoundError:
        return None
    with open(taken) as file:
        return file.read().strip()


def _freeze() -> None:
    os.kill(os.getpid(), signal.SIGSTOP)


class _FreezeOnCommit:
    """A pooled driver connection whose commit() freezes the process first."""

    def __init__(self, raw) -> None:
        self._raw = raw

    def commit(self) -> None:
        _freeze()
        self._raw.commit()

    def __getattr__(self, name: str):
        return getattr(self._raw, name)


def _write(engine, entries):
    moment = _moment()
    if moment == "before-commit":
        real = engine.raw_connection
        engine.raw_connection = lambda: _FreezeOnCommit(real())
        try:
            return write_group(engine, entries)
        finally:
            del engine.raw_connection
    outcomes = write_group(engine, entries)
    if moment == "after-commit":
        _freeze()
    return outcomes


def run() -> None:
    main(write=_write)
