"""gunicorn.conf.py runs each worker, and its log writer process, on a CPU of its own.

What it measures as a speed-up is in README (Performance); here: where the processes
may run, read from the kernel, with pinning on (the default) and off.
"""

from __future__ import annotations

import os
import signal
from types import SimpleNamespace

import pytest

from tests.conftest import wait_until
from tests.served.served import Served, children

ALLOWED = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
pytestmark = pytest.mark.skipif(not ALLOWED, reason="no CPU affinity on this system")


def cpus(pid: int) -> set[int]:
    return os.sched_getaffinity(pid)


def writer_of(worker: int) -> int:
    (writer,) = children(worker)  # its log writer process
    return writer


@pytest.fixture
def sqlite_url(tmp_path):
    return f"sqlite:///{tmp_path / 'pinned.db'}"


def test_each_worker_and_its_writer_run_on_one_cpu_the_fewest_share(sqlite_url, tmp_path):
    server = Served(sqlite_url, tmp_path, workers=2)
    try:
        placed = [cpus(worker) for worker in server.workers()]
        assert all(len(cpu) == 1 for cpu in placed)
        assert set().union(*placed) <= set(ALLOWED)
        if len(ALLOWED) >= 2:
            assert placed[0] != placed[1]  # two CPUs: one worker on each
        for worker in server.workers():
            assert cpus(writer_of(worker)) == cpus(worker)

        # A worker that dies is replaced on the CPU it left, not beside the survivor.
        victim, survivor = server.workers()
        left = cpus(victim)
        os.kill(victim, signal.SIGKILL)

        def replaced() -> bool:
            # Booted, not just forked: post_fork pins a worker before post_worker_init
            # starts its writer, so a replacement with a writer has its CPU.
            workers = server.workers()
            return (len(workers) == 2 and victim not in workers
                    and all(children(worker) for worker in workers))

        wait_until(replaced, "the killed worker is replaced and booted")
        (replacement,) = [w for w in server.workers() if w != survivor]
        assert cpus(replacement) == left
    finally:
        server.stop()


def test_pinning_off_leaves_every_allowed_cpu(sqlite_url, tmp_path):
    server = Served(sqlite_url, tmp_path, workers=2, env={"GUNICORN_PIN_WORKERS": "0"})
    try:
        for worker in server.workers():
            assert cpus(worker) == set(ALLOWED)
    finally:
        server.stop()


def test_the_next_worker_goes_to_the_cpu_fewest_workers_have(gunicorn_conf):
    least_taken_cpu = gunicorn_conf["least_taken_cpu"]
    assert least_taken_cpu([]) == ALLOWED[0]
    everywhere = [SimpleNamespace(dealguard_cpu=cpu) for cpu in ALLOWED]
    assert least_taken_cpu(everywhere) == ALLOWED[0]  # all even: the first again
    if len(ALLOWED) >= 2:
        twice_on_the_first = everywhere + [SimpleNamespace(dealguard_cpu=ALLOWED[0])]
        assert least_taken_cpu(twice_on_the_first) == ALLOWED[1]


def test_a_cpu_that_cannot_be_had_leaves_the_worker_unpinned_not_dead(gunicorn_conf):
    warnings = []
    server = SimpleNamespace(log=SimpleNamespace(warning=lambda *args: warnings.append(args)))
    gone = next(cpu for cpu in range(1023, 0, -1) if cpu not in ALLOWED)  # no such CPU here
    gunicorn_conf["post_fork"](server, SimpleNamespace(dealguard_cpu=gone))
    assert sorted(os.sched_getaffinity(0)) == ALLOWED
    assert len(warnings) == 1 and "not pinned" in warnings[0][0]
