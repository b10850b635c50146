"""The running policy of one process, and how every process follows a publish.

The database holds the policy (app.versions): which version is active, which one
runs in shadow. Each process looks at those two pointers at most once a second
(`check_interval`), and on PostgreSQL at once when a publish is announced
(app.versions.listen); when one names another version, it compiles that version's
text (once per process: compiled policies are kept by sha256) and switches to it. So
every gunicorn worker, and every host on one database, runs the published policy
within a second or two, without a restart.

A version that cannot be compiled here never replaces the running one: the process
keeps deciding with what it has, and /health/ready says which version it failed to
load, so a load balancer takes it out until it is fixed.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from app.versions import listen, store

log = logging.getLogger(__name__)
# Compiled policies kept per process: the active one, a shadow, and the ones just
# left (a rollback then costs no compilation).
KEEP_COMPILED = 4


class PolicyUnavailable(Exception):
    """No policy could be loaded; `problems` says why (each a dict line/path/message)."""

    def __init__(self, problems: list[dict[str, Any]]) -> None:
        self.problems = problems
        super().__init__("; ".join(p.get("message", "") for p in problems))


def problems_of(error: Exception) -> list[dict[str, Any]]:
    """The loader's problems as dicts, or one problem naming the failure."""
    problems = getattr(error, "problems", None)
    if problems:
        return [p.as_dict() if hasattr(p, "as_dict") else dict(p) for p in problems]
    return [{"line": None, "path": "", "message": f"{type(error).__name__}: {error}"}]


def load_file(path: str) -> Any:
    # Imported here: the web layer must start (and answer /health) even when the
    # engine cannot be imported or the file is broken.
    from app.engine import load_policy

    return load_policy(path)


def load_text(text: str, filename: str) -> Any:
    from app.engine import load_policy_text

    return load_policy_text(text, filename)


@dataclass(frozen=True)
class Shadow:
    """The version evaluated beside the active one; `policy` None if it failed to load."""

    version_id: int
    policy: Any


@dataclass(frozen=True)
class Running:
    """What a decision is made with: one consistent look, taken once per decision."""

    policy: Any
    version_id: int | None  # None: the database could not be read at start
    shadow: Shadow | None = None


class PolicyHolder:
    def __init__(self, path: str, db_engine: Engine, check_interval: float = 1.0) -> None:
        self.path = path
        self.db_engine = db_engine
        self.check_interval = check_interval
        self.closed = False
        self._running: Running | None = None
        self._problems: list[dict[str, Any]] = []
        self._compiled: OrderedDict[str, Any] = OrderedDict()
        self._failed: dict[int, list[dict[str, Any]]] = {}  # version id -> its problems
        self._wanted_active: int | None = None
        self._checked = 0.0
        self._lock = threading.Lock()

    @property
    def problems(self) -> list[dict[str, Any]]:
        return list(self._problems)

    def start(self) -> None:
        """Run the active version; at the first start, import the file as version 1.

        Without the table (before `db upgrade`) the file is run as it is, under no
        version id. A failure leaves the service not ready, never crashed.
        """
        try:
            store.ensure_active(self.db_engine, self.path)
        except SQLAlchemyError as error:
            log.warning("policy versions cannot be read (%s); running %s as it is",
                        type(error).__name__, self.path)
            self._run_file()
            return
        except Exception as error:  # noqa: BLE001 - a broken file: not ready, not a crash
            self._problems = problems_of(error)
            log.error("policy %s could not be imported: %d problem(s)", self.path,
                      len(self._problems))
            return
        self.refresh()
        listen.listen(self.db_engine, self, PolicyHolder.refresh)

    def close(self) -> None:
        """Stop listening (the listener thread ends within a second)."""
        self.closed = True

    def running(self) -> Running:
        """The policy to decide with (and the shadow); follows a publish made anywhere."""
        now = time.monotonic()
        if now - self._checked >= self.check_interval:
            self._checked = now
            # Not behind another thread that compiles a version: decide with what runs.
            self.refresh(wait=False)
        running = self._running
        if running is None:
            raise PolicyUnavailable(self._problems or [
                {"line": None, "path": "", "message": "No policy is loaded."}])
        return running

    def current(self) -> Any:
        """The active policy of this process."""
        return self.running().policy

    def not_following(self) -> str | None:
        """Why this process does not run the active version, or None when it does."""
        wanted, running = self._wanted_active, self._running
        if wanted is None or (running is not None and running.version_id == wanted):
            return None
        if wanted in self._failed:
            now = f"version {running.version_id}" if running is not None else "no version"
            return f"version {wanted} could not be loaded here; {now} runs"
        return None  # being loaded now

    def load(self, version_id: int) -> Any:
        """The compiled policy of a version (compiled once); raises if it cannot be."""
        text = store.text_of(self.db_engine, version_id)
        return self._compile(text, f"version-{version_id}.yaml")

    def refresh(self, wait: bool = True) -> None:
        """Switch to the versions the database names, if they can be loaded here.

        One thread at a time; with `wait` False, none if another one is at it."""
        if not self._lock.acquire(blocking=wait):
            return
        try:
            self._refresh()
        finally:
            self._lock.release()

    def _refresh(self) -> None:
        try:
            pointers = store.pointers(self.db_engine)
        except SQLAlchemyError:
            return  # the database is away: keep running what runs
        if pointers.active is None:
            return
        self._wanted_active = pointers.active[0]
        running = self._running
        active = self._follow_active(running, pointers.active)
        shadow = self._follow_shadow(running, pointers.shadow)
        if active is None:
            return
        if running is None or (active, shadow) != (
                (running.policy, running.version_id), running.shadow):
            self._running = Running(active[0], active[1], shadow)
            self._problems = []

    def _follow_active(self, running: Running | None,
                       wanted: tuple[int, str]) -> tuple[Any, int | None] | None:
        version_id, _sha = wanted
        if running is not None and running.version_id == version_id:
            return running.policy, version_id
        if version_id in self._failed:
            return (running.policy, running.version_id) if running is not None else None
        try:
            policy = self.load(version_id)
        except Exception as error:  # noqa: BLE001 - keep the running policy
            self._failed[version_id] = problems_of(error)
            log.error("policy version %s could not be loaded here; keeping %s", version_id,
                      running.version_id if running is not None else "none")
            if running is None:
                self._problems = self._failed[version_id]
                return None
            return running.policy, running.version_id
        log.info("policy version %s (%s) now runs", version_id, policy.version)
        return policy, version_id

    def _follow_shadow(self, running: Running | None,
                       wanted: tuple[int, str] | None) -> Shadow | None:
        if wanted is None:
            return None
        version_id, _sha = wanted
        if running is not None and running.shadow is not None \
                and running.shadow.version_id == version_id:
            return running.shadow
        if version_id in self._failed:
            return Shadow(version_id, None)
        try:
            return Shadow(version_id, self.load(version_id))
        except Exception as error:  # noqa: BLE001 - counted as an error per decision
            self._failed[version_id] = problems_of(error)
            log.error("shadow policy version %s could not be loaded here", version_id)
            return Shadow(version_id, None)

    def _compile(self, text: str, filename: str) -> Any:
        import hashlib

        sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
        policy = self._compiled.get(sha)
        if policy is None:
            policy = load_text(text, filename)
            self._compiled[sha] = policy
            while len(self._compiled) > KEEP_COMPILED:
                self._compiled.popitem(last=False)
        else:
            self._compiled.move_to_end(sha)
        return policy

    def _run_file(self) -> None:
        try:
            self._running = Running(load_file(self.path), None)
            self._problems = []
        except Exception as error:  # noqa: BLE001 - any failure means "no policy"
            self._problems = problems_of(error)
            log.error("policy %s could not be loaded: %d problem(s)", self.path,
                      len(self._problems))
