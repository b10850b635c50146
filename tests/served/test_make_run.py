"""`make run` serves and runs the webhook worker beside the server; Ctrl-C stops both.

Run as a terminal runs it: in a process group of its own, which Ctrl-C signals whole
(SIGINT to every process of the foreground group).
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import wait_until
from tests.served.served import free_port

REPO = Path(__file__).resolve().parents[2]


def group_commands(pgid: int) -> list[str]:
    """The command lines of the live processes of process group `pgid`."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if os.getpgid(int(entry.name)) != pgid:
                continue
            status = (entry / "status").read_text()
            if "\nState:\tZ" in status:
                continue
            found.append((entry / "cmdline").read_bytes().replace(b"\0", b" ").decode())
        except (ProcessLookupError, FileNotFoundError, PermissionError):
            continue
    return found


def ready(address: str) -> bool:
    try:
        with urllib.request.urlopen(f"http://{address}/health/ready", timeout=5) as answer:
            return answer.status == 200
    except OSError:
        return False


@pytest.mark.skipif(not (REPO / ".venv" / "bin" / "dealguard").exists(),
                    reason="make run needs the checkout's .venv")
def test_make_run_starts_the_worker_and_ctrl_c_stops_both(tmp_path):
    address = f"127.0.0.1:{free_port()}"
    env = {name: value for name, value in os.environ.items()
           if not name.startswith("DEALGUARD_") and name != "PROMETHEUS_MULTIPROC_DIR"}
    env.update(DEALGUARD_DATABASE_URL=f"sqlite:///{tmp_path / 'run.db'}",
               GUNICORN_BIND=address, GUNICORN_WORKERS="1")
    log = (tmp_path / "make.log").open("wb")
    make = subprocess.Popen(["make", "--no-print-directory", "run"], cwd=REPO, env=env,
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_until(lambda: ready(address) or make.poll() is not None, "the server is ready")
        assert make.poll() is None, (tmp_path / "make.log").read_text()
        commands = group_commands(make.pid)
        assert any("dealguard worker" in command for command in commands), commands
        assert any("gunicorn" in command for command in commands), commands
        os.killpg(make.pid, signal.SIGINT)  # Ctrl-C
        make.wait(timeout=60)
        deadline = time.monotonic() + 30
        while group_commands(make.pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert group_commands(make.pid) == []
        assert "webhook worker" in (tmp_path / "make.log").read_text()
    finally:
        if make.poll() is None or group_commands(make.pid):
            os.killpg(make.pid, signal.SIGKILL)
            make.wait()
        log.close()
