"""A log group waits for the decision requests under way (app/log/write/group_commit.py).

The committer here writes through a recording fake, and the gather time is a minute:
a group that waited for it would hang the test, so every assertion is about who is in
which group, never about how long anything took.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest

from app.config import Settings
from app.log.write.group_commit import GroupCommitter
from app.log.write.writer import Entry
from tests.bodies import make_body
from tests.conftest import wait_until
from tests.log.write.helpers import entry

MINUTE = 60.0


class Recorder:
    """A write() that records each group by its request_ids and writes nothing."""

    def __init__(self) -> None:
        self.groups: list[list[str | None]] = []

    def __call__(self, entries: list[Entry], deadline: float | None = None) -> list[None]:
        self.groups.append([e.request_id for e in entries])
        return [None] * len(entries)


def committer(recorder: Recorder) -> GroupCommitter:
    return GroupCommitter(db_engine=None, write=recorder, gather_seconds=MINUTE)


def decision(log: GroupCommitter, name: str) -> Callable[[], None]:
    """A request that decides: counted while under way, then appends its entry."""

    def run() -> None:
        with log.in_flight():
            log.append(entry(name))

    return run


def in_thread(target: Callable[[], None]) -> threading.Thread:
    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return thread


def finished(thread: threading.Thread) -> bool:
    thread.join(30)  # far shorter than the minute a wrong wait for the group would take
    return not thread.is_alive()


def test_a_group_waits_for_a_request_under_way_and_takes_it_along():
    recorder = Recorder()
    log = committer(recorder)
    second_may_append = threading.Event()

    def second() -> None:
        with log.in_flight():
            second_may_append.wait(30)
            log.append(entry("b"))

    b = in_thread(second)
    wait_until(lambda: log.under_way == 1, "the second request is under way")
    a = in_thread(decision(log, "a"))
    wait_until(lambda: log.waiting == 1, "the first entry is queued")
    assert recorder.groups == []  # held for the request still under way
    second_may_append.set()
    assert finished(a) and finished(b)
    assert recorder.groups == [["a", "b"]]
    assert log.under_way == 0


def test_a_lone_request_is_written_without_waiting():
    recorder = Recorder()
    log = committer(recorder)
    assert finished(in_thread(decision(log, "a")))
    assert recorder.groups == [["a"]]


def test_a_request_that_ends_without_a_decision_releases_the_group():
    recorder = Recorder()
    log = committer(recorder)
    refuse = threading.Event()

    def refused() -> None:
        with log.in_flight():
            refuse.wait(30)  # then leaves without appending, as a 422 does

    r = in_thread(refused)
    wait_until(lambda: log.under_way == 1, "the refused request is under way")
    d = in_thread(decision(log, "a"))
    wait_until(lambda: log.waiting == 1, "the decision is queued")
    refuse.set()
    assert finished(d) and finished(r)
    assert recorder.groups == [["a"]]


def test_appends_outside_a_request_do_not_wait():
    # A committer used without in_flight() (the CLI, a test) never gathers.
    recorder = Recorder()
    log = committer(recorder)
    assert finished(in_thread(lambda: log.append(entry("a"))))
    assert recorder.groups == [["a"]]


def test_every_decision_request_is_uncounted_once_answered(app, client, make_key):
    # A request counted for ever would make every later group wait the full delay.
    headers = make_key("crm")
    log = app.extensions["dealguard.committer"]
    assert client.post("/v1/decisions", json=make_body("offer"), headers=headers).status_code == 200
    refused = client.post("/v1/decisions", json={"action": "offer"}, headers=headers)
    assert refused.status_code == 422
    assert client.post("/v1/decisions", data="{", content_type="application/json",
                       headers=headers).status_code == 400
    assert client.post("/v1/decisions", json=make_body("offer")).status_code == 401
    assert log.under_way == 0


def test_the_gather_time_is_read_from_the_environment():
    assert Settings.from_env({}).log_gather_ms == 5.0
    assert Settings.from_env({"DEALGUARD_LOG_GATHER_MS": "0"}).log_gather_ms == 0.0
    assert Settings.from_env({"DEALGUARD_LOG_GATHER_MS": "2.5"}).log_gather_ms == 2.5
    for wrong in ("-1", "101", "soon", "nan"):
        with pytest.raises(RuntimeError, match="DEALGUARD_LOG_GATHER_MS"):
            Settings.from_env({"DEALGUARD_LOG_GATHER_MS": wrong})
