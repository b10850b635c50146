"""A real dealguard under load, for the crash and fault proofs (test_crash.py, test_faults.py).

    server = Served(url, log_dir)      # migrated, a crm key, gunicorn ready on a free port
    server.master, server.workers(), server.writers()   # the processes to kill
    load = Load(server)                # client threads posting decisions, each with a
    load.start(); load.wait_for(n)     # request_id of its own, recording every answer
    load.stop(); figures = load.figures(logged_decisions(engine))
    server.stop()                      # ends every process of the server, even after kill -9

The server runs in a session of its own (start_new_session), so stop() can end what is
left of it (workers whose master was killed, their writer processes) by its process
group, and nothing else.
"""

from __future__ import annotations

import contextlib
import http.client
import itertools
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from app.auth import create_key
from app.cli.service import upgrade
from app.log.models import Decision
from tests.bodies import make_body

REPO = Path(__file__).resolve().parents[2]
ACTIONS = ("discount", "shipment", "claim", "disclosure", "offer")
# Bounds against a hang, never timing assertions: each is far beyond what any machine needs.
START_SECONDS = 90
ANSWER_SECONDS = 30


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def children(pid: int) -> list[int]:
    """The child processes of `pid`, whichever of its threads started them."""
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(p) for p in (task / "children").read_text().split()]
        except OSError:
            pass  # the thread (or the process) has ended
    return sorted(found)


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def call(url: str, body: dict | None = None, key: str | None = None,
            timeout: float = ANSWER_SECONDS) -> tuple[int, dict, dict]:
    """(status, headers, JSON body) of one call on a connection of its own."""
    data = json.dumps(body).encode() if body is not None else None
    call = urllib.request.Request(url, data=data, method="POST" if data else "GET")
    if data:
        call.add_header("Content-Type", "application/json")
    if key:
        call.add_header("Authorization", f"Bearer {key}")
    try:
        with urllib.request.urlopen(call, timeout=timeout) as response:
            return response.status, dict(response.headers), json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        payload = error.read()
        try:
            parsed = json.loads(payload or b"{}")
        except ValueError:
            parsed = {"raw": payload[:200].decode(errors="replace")}
        return error.code, dict(error.headers), parsed


class Served:
    """gunicorn -c gunicorn.conf.py -w WORKERS on a free port, writing through writer processes."""

    def __init__(self, url: str, log_dir: Path, workers: int = 2,
                 env: dict[str, str] | None = None, migrate: bool = True) -> None:
        self.url = url
        if migrate:
            upgrade(url)
        engine = create_engine(url)
        try:
            with Session(engine) as session:
                self.key = create_key(session, "crm", f"served-{uuid.uuid4().hex[:8]}")
        finally:
            engine.dispose()
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.workers_wanted = workers
        environment = dict(os.environ, DEALGUARD_DATABASE_URL=url,
                           DEALGUARD_POLICY=str(REPO / "policies" / "rules.yaml"),
                           DEALGUARD_SECRET_KEY="served-secret", DEALGUARD_LOG_WRITER="process",
                           GUNICORN_ACCESSLOG="/dev/null", **(env or {}))
        environment.pop("PROMETHEUS_MULTIPROC_DIR", None)
        # The server's log goes to a file: a pipe nobody reads fills up and blocks it.
        self.log_path = log_dir / f"gunicorn-{self.port}.log"
        self._log = open(self.log_path, "wb")  # noqa: SIM115 - closed by stop()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "-w", str(workers),
             "-b", f"127.0.0.1:{self.port}", "wsgi:app"],
            cwd=REPO, env=environment, stdout=self._log, stderr=self._log,
            start_new_session=True)
        self.master = self.process.pid
        try:
            self.wait_until_ready()
        except BaseException:
            self.stop()
            raise

    def wait_until_ready(self) -> None:
        """Every worker up with its writer process, and /health/ready answering 200."""
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            if (len(self.workers()) == self.workers_wanted
                    and len(self.writers()) == self.workers_wanted):
                with contextlib.suppress(OSError):
                    if call(self.base + "/health/ready", timeout=5)[0] == 200:
                        return
            if self.process.poll() is not None:
                break
            time.sleep(0.1)
        pytest.fail("gunicorn did not become ready; its log ends:\n" + self.log_tail())

    def workers(self) -> list[int]:
        return children(self.master)

    def writers(self) -> list[int]:
        """The workers' children: their log writer processes."""
        return [child for worker in self.workers() for child in children(worker)]

    def log_tail(self) -> str:
        return self.log_path.read_text(errors="replace")[-3000:]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                pass
        # Whatever is left of it (after a kill -9 of the master, its workers and their
        # writers end by themselves; this is for when they do not): its process group.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.master, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=10)
        self._log.close()


@dataclass(frozen=True)
class Answer:
    request_id: str
    status: int | None  # None: no answer (the connection was reset or closed, timed out)
    decision_id: str | None = None
    retry_after: str | None = None
    problem_json: bool = False
    sent_at: float = 0.0  # time.monotonic() when it was sent, and when it was answered
    answered_at: float = 0.0


class Load:
    """Client threads that post decisions, each with a request_id of its own, until stop()."""

    def __init__(self, server: Served, threads: int = 4) -> None:
        self.server = server
        self.threads = threads
        self.answers: list[Answer] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._numbers = itertools.count()
        self._prefix = uuid.uuid4().hex[:8]
        self._workers: list[threading.Thread] = []

    def start(self) -> Load:
        for _ in range(self.threads):
            thread = threading.Thread(target=self._run, daemon=True)
            thread.start()
            self._workers.append(thread)
        return self

    def stop(self) -> None:
        self._stop.set()
        for thread in self._workers:
            thread.join(ANSWER_SECONDS + 10)
        assert not any(thread.is_alive() for thread in self._workers), "a client hangs"

    def acknowledged(self) -> dict[str, str]:
        """decision_id -> request_id of every decision answered 200."""
        with self._lock:
            return {a.decision_id: a.request_id for a in self.answers if a.status == 200}

    def wait_for(self, more: int, what: str) -> None:
        """Wait until `more` further decisions are acknowledged (bounded against a hang)."""
        target = len(self.acknowledged()) + more
        deadline = time.monotonic() + START_SECONDS
        while len(self.acknowledged()) < target:
            if time.monotonic() > deadline:
                pytest.fail(f"never {more} decisions acknowledged {what}; the server's log "
                            "ends:\n" + self.server.log_tail())
            time.sleep(0.05)

    def decide(self, request_id: str) -> Answer | None:
        """Post one decision; its answer, or None when no server listens on the port."""
        body = make_body(ACTIONS[hash(request_id) % len(ACTIONS)], request_id=request_id)
        sent_at = time.monotonic()
        try:
            status, headers, payload = call(self.server.base + "/v1/decisions", body,
                                               self.server.key)
        except urllib.error.URLError as error:
            if isinstance(error.reason, ConnectionRefusedError):
                return None  # no server listening: the decision was never asked for
            return Answer(request_id, None, sent_at=sent_at, answered_at=time.monotonic())
        # Reset, closed without an answer, timed out, or cut off in the middle of the
        # answer's body (IncompleteRead: a worker killed between headers and body).
        except (OSError, ValueError, http.client.HTTPException):
            return Answer(request_id, None, sent_at=sent_at, answered_at=time.monotonic())
        return Answer(request_id, status, payload.get("decision_id") if status == 200 else None,
                      headers.get("Retry-After"),
                      headers.get("Content-Type", "").startswith("application/problem+json"),
                      sent_at, time.monotonic())

    def record(self, label: str) -> Answer:
        """Post one decision from this thread and record its answer."""
        answer = self.decide(f"{self._prefix}-{label}")
        assert answer is not None, "no server listens"
        with self._lock:
            self.answers.append(answer)
        return answer

    def _run(self) -> None:
        while not self._stop.is_set():
            answer = self.decide(f"{self._prefix}-{next(self._numbers)}")
            if answer is None:
                time.sleep(0.05)  # the port is closed (for a moment?): do not spin
                continue
            with self._lock:
                self.answers.append(answer)

    def figures(self, logged: dict[str, str]) -> dict[str, int]:
        """How the decisions tried ended, beside `logged` (decision_id -> request_id)."""
        with self._lock:
            answers = list(self.answers)
        acknowledged = [a for a in answers if a.status == 200]
        return {
            "tried": len(answers),
            "acknowledged": len(acknowledged),
            "acknowledged_in_log": sum(logged.get(a.decision_id) == a.request_id
                                       for a in acknowledged),
            "refused_503": sum(a.status == 503 for a in answers),
            # Told 503, yet logged: only when the outcome of a COMMIT could not be known.
            "refused_but_in_log": len({a.request_id for a in answers if a.status == 503}
                                      & set(logged.values())),
            "no_answer": sum(a.status is None for a in answers),
            "other": sum(a.status not in (None, 200, 503) for a in answers),
            # Logged though never acknowledged: the connection died before the answer.
            "in_log": sum(str(r).startswith(self._prefix + "-") for r in logged.values()),
        }


def logged_decisions(url: str) -> dict[str, str]:
    """decision_id -> request_id of every record in the log."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return dict(connection.execute(select(Decision.decision_id, Decision.request_id)).all())
    finally:
        engine.dispose()


def verified(url: str) -> dict:
    """`dealguard log verify` on the database, as an operator runs it: its JSON answer."""
    done = subprocess.run([sys.executable, "-m", "app.cli", "log", "verify"], cwd=REPO,
                          env=dict(os.environ, DEALGUARD_DATABASE_URL=url),
                          capture_output=True, text=True, timeout=120)
    assert done.returncode in (0, 1), done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def report(label: str, figures: dict[str, int]) -> None:
    """One line per run on stdout (pytest -s shows it; README "Reliability" quotes them)."""
    print(f"\n{label}: " + ", ".join(f"{name} {value}" for name, value in figures.items()))
