"""The running policy of one process, and how every process follows a reload.

`POST /v1/policy/reload` (or a process start) records the sha256 of the policy it
loaded in the one-row `policy_state` table. Each process looks at that row at most
once a second and, when it names another policy, loads the file again. So all
gunicorn workers, and all hosts on one database, run the same policy shortly after
a reload, without a restart.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, select, update
from sqlalchemy.exc import SQLAlchemyError

from app.log.models import PolicyState

log = logging.getLogger(__name__)
STATE_ID = 1


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


class PolicyHolder:
    def __init__(self, path: str, db_engine: Engine, check_interval: float = 1.0) -> None:
        self.path = path
        self.db_engine = db_engine
        self.check_interval = check_interval
        self._policy: Any = None
        self._problems: list[dict[str, Any]] = []
        self._checked = 0.0
        self._failed_sha: str | None = None
        self._lock = threading.Lock()

    @property
    def problems(self) -> list[dict[str, Any]]:
        return list(self._problems)

    def start(self) -> None:
        """Load the file at process start; a failure leaves the service not ready."""
        try:
            self._policy = load_file(self.path)
            self._problems = []
        except Exception as error:  # noqa: BLE001 - any failure means "no policy", not a crash
            self._problems = problems_of(error)
            self._failed_sha = _file_sha(self.path)
            log.error("policy %s could not be loaded: %d problem(s)", self.path,
                      len(self._problems))
            return
        self._record(self._policy)

    def current(self) -> Any:
        """The policy to decide with; follows a reload made by another process."""
        now = time.monotonic()
        if now - self._checked >= self.check_interval:
            self._checked = now
            self._follow()
        if self._policy is None:
            raise PolicyUnavailable(self._problems or [
                {"line": None, "path": "", "message": "No policy is loaded."}])
        return self._policy

    def reload(self) -> Any:
        """Load the file again; on any error raise and keep the running policy."""
        with self._lock:
            policy = load_file(self.path)
            self._policy = policy
            self._problems = []
        self._record(policy)
        return policy

    def _follow(self) -> None:
        wanted = self._recorded_sha()
        current = self._policy
        if current is not None and (wanted is None or wanted == current.sha256):
            return
        # Compiling a policy costs far more than hashing the file: skip a file we
        # already run, or one that failed already.
        file_sha = _file_sha(self.path)
        if file_sha is not None and file_sha in (getattr(current, "sha256", None),
                                                 self._failed_sha):
            return
        try:
            with self._lock:
                policy = load_file(self.path)
                self._policy = policy
                self._problems = []
        except Exception as error:  # noqa: BLE001 - keep the running policy
            self._failed_sha = file_sha
            if current is None:
                self._problems = problems_of(error)
            log.warning("policy reload from %s failed; keeping the running policy", self.path)

    def _recorded_sha(self) -> str | None:
        try:
            with self.db_engine.connect() as connection:
                return connection.execute(
                    select(PolicyState.sha256).where(PolicyState.id == STATE_ID)
                ).scalar()
        except SQLAlchemyError:
            return None

    def _record(self, policy: Any) -> None:
        try:
            record_version(self.db_engine, policy)
        except SQLAlchemyError as error:
            # Before `db upgrade` the table is missing; this process still runs the policy.
            log.warning("could not record the policy version: %s", type(error).__name__)


def record_version(db_engine: Engine, policy: Any) -> None:
    """Make `policy` the one every process on this database follows (within a second,
    each loading its own policy file when the recorded sha256 is not what it runs)."""
    values = {
        "sha256": policy.sha256,
        "version": str(policy.version)[:64],
        "loaded_at": datetime.now(UTC),
    }
    with db_engine.begin() as connection:
        changed = connection.execute(
            update(PolicyState.__table__)
            .where(PolicyState.id == STATE_ID)
            .values(**values)
        ).rowcount
        if not changed:
            connection.execute(
                PolicyState.__table__.insert().values(id=STATE_ID, **values)
            )


def _file_sha(path: str) -> str | None:
    try:
        with open(path, "rb") as handle:
            return hashlib.sha256(handle.read()).hexdigest()
    except OSError:
        return None
