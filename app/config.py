"""Settings from the DEALGUARD_* environment variables, read in one place (CONTRACT §8)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEVELOPMENT_SECRET = "dealguard-development-secret-not-for-production"
SQLITE_SYNCHRONOUS = ("FULL", "EXTRA", "NORMAL")
LOG_WRITERS = ("process", "thread")
# A decision waits at most this long for others to share its commit.
MAX_GATHER_MS = 100.0
# DEALGUARD_LOG_WRITE_TIMEOUT bounds, in seconds (see Settings.log_write_timeout).
LOG_WRITE_TIMEOUT_RANGE = (0.5, 60.0)


@dataclass(frozen=True)
class Settings:
    database_url: str = "sqlite:///instance/dealguard.db"
    policy_path: str = "policies/rules.yaml"
    timezone: str = "Europe/Moscow"
    # Never shown: a printed Settings must not carry the HMAC and session secret.
    secret_key: str = field(default=DEVELOPMENT_SECRET, repr=False)
    max_body: int = 262144
    environment: str = "development"
    # FULL: a committed decision survives a power loss. NORMAL (WAL) survives a crash of
    # the worker or of the service, not of the machine; see README "Performance".
    sqlite_synchronous: str = "FULL"
    # "process": each worker writes the log through a child process of its own (see
    # app/log/write/writer_process.py); "thread": in the worker itself (tests, one-off use).
    log_writer: str = "process"
    # How long a log group may wait for the decision requests under way (group_commit.py);
    # 0 writes every group as soon as the committer is free. Longer waits made no larger
    # groups under the benchmark's load (bench/http.py), only slower answers.
    log_gather_ms: float = 5.0
    # Signed digests of the log (app/log/write/digest.py): the Ed25519 private key as a PEM
    # or the path of a PEM file (never shown: repr=False), the directory the digests go
    # to, and the public key that `log verify --digests` checks them with by default.
    digest_key: str = field(default="", repr=False)
    digest_dir: str = ""
    digest_public_key: str = ""
    # How long a decision may wait for its log write before it is answered 503: a writer
    # process that has not answered by then is killed and replaced, and what it did is
    # read back from the log (app/log/write/writer_process.py, settle.py). 6 s, plus the
    # settling (milliseconds; 2 to 4 s when the database itself is failing), keeps the
    # 503 within 10 s. A healthy commit takes milliseconds, and a group waits for the
    # chain head behind a few others at most, so 6 s is taken for a hang only when
    # something is really wrong; and a slow writer taken for hung costs 503s and a new
    # process, never a wrong answer: what it committed is answered as logged.
    log_write_timeout: float = 6.0
    # Four eyes on the policy (CONTRACT §12): a version is published by someone other
    # than its author (DEALGUARD_FOUR_EYES=1).
    four_eyes: bool = False

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        environment = env.get("DEALGUARD_ENV", "development")
        secret = env.get("DEALGUARD_SECRET_KEY")
        if not secret:
            if environment != "development":
                raise RuntimeError("DEALGUARD_SECRET_KEY is required outside development")
            secret = DEVELOPMENT_SECRET
        timezone = env.get("DEALGUARD_TIMEZONE", cls.timezone)
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            # Fail at start, not on every decision that needs today's date.
            message = f"DEALGUARD_TIMEZONE={timezone!r} is not a known time zone"
            raise RuntimeError(message) from None
        max_body = env.get("DEALGUARD_MAX_BODY", str(cls.max_body))
        if not max_body.isdigit() or int(max_body) < 1024:
            raise RuntimeError("DEALGUARD_MAX_BODY must be a number of bytes, at least 1024")
        synchronous = env.get("DEALGUARD_SQLITE_SYNCHRONOUS", cls.sqlite_synchronous).upper()
        if synchronous not in SQLITE_SYNCHRONOUS:
            raise RuntimeError("DEALGUARD_SQLITE_SYNCHRONOUS must be one of "
                               + ", ".join(SQLITE_SYNCHRONOUS))
        log_writer = env.get("DEALGUARD_LOG_WRITER", cls.log_writer).lower()
        if log_writer not in LOG_WRITERS:
            raise RuntimeError("DEALGUARD_LOG_WRITER must be one of " + ", ".join(LOG_WRITERS))
        gather = env.get("DEALGUARD_LOG_GATHER_MS", str(cls.log_gather_ms))
        try:
            log_gather_ms = float(gather)
        except ValueError:
            log_gather_ms = -1.0
        if not 0 <= log_gather_ms <= MAX_GATHER_MS:
            raise RuntimeError("DEALGUARD_LOG_GATHER_MS must be a number of milliseconds "
                               f"from 0 to {MAX_GATHER_MS:g}")
        log_write_timeout = _seconds(env.get("DEALGUARD_LOG_WRITE_TIMEOUT"),
                                     cls.log_write_timeout)
        low, high = LOG_WRITE_TIMEOUT_RANGE
        if not low <= log_write_timeout <= high:
            raise RuntimeError("DEALGUARD_LOG_WRITE_TIMEOUT must be a number of seconds "
                               f"from {low:g} to {high:g}")
        four_eyes = env.get("DEALGUARD_FOUR_EYES", "0")
        if four_eyes not in ("0", "1"):
            raise RuntimeError("DEALGUARD_FOUR_EYES must be 1 (on) or 0 (off)")
        return cls(
            database_url=env.get("DEALGUARD_DATABASE_URL", cls.database_url),
            policy_path=env.get("DEALGUARD_POLICY", cls.policy_path),
            timezone=timezone,
            secret_key=secret,
            max_body=int(max_body),
            environment=environment,
            sqlite_synchronous=synchronous,
            log_writer=log_writer,
            log_gather_ms=log_gather_ms,
            digest_key=env.get("DEALGUARD_DIGEST_KEY", ""),
            digest_dir=env.get("DEALGUARD_DIGEST_DIR", ""),
            digest_public_key=env.get("DEALGUARD_DIGEST_PUBLIC_KEY", ""),
            log_write_timeout=log_write_timeout,
            four_eyes=four_eyes == "1",
        )


def _seconds(value: str | None, default: float) -> float:
    """A number of seconds from the environment; NaN (out of every range) if not a number."""
    if value is None:
        return default
    try:
        return float(value)
    except ValueError:
        return float("nan")
