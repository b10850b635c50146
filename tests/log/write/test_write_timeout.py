"""The committer's write timeout and its answer to /health/ready (app/log/write/group_commit.py).

The committer writes through fakes here: a write that blocks until the test lets it go
stands for a hung writer process. No assertion is about how long anything took; the
waits are bounds against a hang.
"""

from __future__ import annotations

import threading

import pytest

from app.config import Settings
from app.log.write.group_commit import GroupCommitter
from app.log.write.writer import Entry, LogWriteError
from tests.conftest import wait_until
from tests.log.write.helpers import entry


class HungWriter:
    """write(): the first group blocks until release(); every group is recorded."""

    def __init__(self) -> None:
        self.groups: list[list[str]] = []
        self.released = threading.Event()
        self.probes = 0
        self.probe_error: Exception | None = None

    def write(self, entries: list[Entry], deadline: float | None) -> list[None]:
        self.groups.append([e.request_id for e in entries])
        if len(self.groups) == 1:
            self.released.wait(60)
        return [None] * len(entries)

    def probe(self, deadline: float | None) -> Exception | None:
        self.probes += 1
        return self.probe_error

    def release(self) -> None:
        self.released.set()


def appending(log: GroupCommitter, name: str, outcome: dict) -> threading.Thread:
    def run() -> None:
        try:
            log.append(entry(name))
            outcome[name] = None
        except LogWriteError as error:
            outcome[name] = error

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def test_a_decision_queued_behind_a_hung_write_is_refused_and_never_written():
    writer = HungWriter()
    log = GroupCommitter(db_engine=None, write=writer.write, probe=writer.probe,
                         write_timeout=0.5)
    outcome: dict = {}
    first = appending(log, "first", outcome)
    wait_until(lambda: writer.groups == [["first"]], "the first group is being written")
    second = appending(log, "second", outcome)
    second.join(60)
    assert not second.is_alive()
    assert isinstance(outcome["second"], LogWriteError)
    writer.release()
    first.join(60)
    assert outcome["first"] is None
    # Answered 503, it was never sent: nothing can log it later.
    third = appending(log, "third", outcome)
    third.join(60)
    assert writer.groups == [["first"], ["third"]]


def test_without_a_timeout_a_queued_decision_waits_for_the_write():
    # Writing in the worker itself, a hung write cannot be stopped: a decision queued
    # behind it waits, and is written, rather than be refused while it may still be.
    writer = HungWriter()
    log = GroupCommitter(db_engine=None, write=writer.write, probe=writer.probe)
    outcome: dict = {}
    first = appending(log, "first", outcome)
    wait_until(lambda: writer.groups == [["first"]], "the first group is being written")
    second = appending(log, "second", outcome)
    second.join(0.5)
    assert second.is_alive()  # still waiting, not refused
    writer.release()
    for thread in (first, second):
        thread.join(60)
    assert outcome == {"first": None, "second": None}
    assert writer.groups == [["first"], ["second"]]


def test_a_recent_write_answers_readiness_without_a_probe():
    writer = HungWriter()
    writer.release()
    log = GroupCommitter(db_engine=None, write=writer.write, probe=writer.probe)
    log.append(entry("a"))
    assert log.writable() is None
    assert writer.probes == 0


def test_with_no_recent_write_readiness_probes_and_reports_its_failure():
    writer = HungWriter()
    log = GroupCommitter(db_engine=None, write=writer.write, probe=writer.probe)
    log.fresh_seconds = 0
    assert log.writable(wait=30) is None
    writer.probe_error = LogWriteError("OperationalError")
    assert log.writable(wait=30) == "OperationalError"
    assert writer.probes == 2


def test_a_failed_write_makes_the_log_not_writable_until_one_succeeds():
    failing = {"on": True}

    def write(entries, deadline):
        return [LogWriteError("disk full") if failing["on"] else None] * len(entries)

    log = GroupCommitter(db_engine=None, write=write, probe=lambda deadline: None)
    log.fresh_seconds = 60  # only writes answer readiness here, never a probe
    with pytest.raises(LogWriteError):
        log.append(entry("a"))
    assert log.writable() == "disk full"
    failing["on"] = False
    log.append(entry("b"))
    assert log.writable() is None


def test_readiness_says_so_while_a_write_hangs():
    writer = HungWriter()
    log = GroupCommitter(db_engine=None, write=writer.write, probe=writer.probe)
    outcome: dict = {}
    first = appending(log, "first", outcome)
    wait_until(lambda: writer.groups == [["first"]], "the first group is being written")
    try:
        assert log.writable(wait=0.1) is not None
    finally:
        writer.release()
        first.join(60)


def test_readiness_answers_within_its_wait_while_a_probe_hangs_and_decisions_follow_it():
    writer = HungWriter()
    probe_may_end = threading.Event()

    def hung_probe(deadline):
        writer.probes += 1
        probe_may_end.wait(60)
        return None

    log = GroupCommitter(db_engine=None, write=writer.write, probe=hung_probe)
    log.fresh_seconds = 0
    writer.release()
    assert log.writable(wait=0.1) == "no log write ended within 0.1 s"
    assert writer.probes == 1
    outcome: dict = {}
    queued = appending(log, "queued", outcome)  # behind the probe, which leads
    wait_until(lambda: log.waiting == 1, "the decision is queued behind the probe")
    assert writer.groups == []
    probe_may_end.set()
    queued.join(60)
    assert outcome == {"queued": None}
    assert writer.groups == [["queued"]]


def test_the_write_timeout_setting():
    assert Settings.from_env({}).log_write_timeout == 6.0
    assert Settings.from_env({"DEALGUARD_LOG_WRITE_TIMEOUT": "2.5"}).log_write_timeout == 2.5
    for wrong in ("0", "0.1", "61", "nan", "soon", "-1"):
        with pytest.raises(RuntimeError, match="DEALGUARD_LOG_WRITE_TIMEOUT"):
            Settings.from_env({"DEALGUARD_LOG_WRITE_TIMEOUT": wrong})
