"""API keys, the people behind them, and the role table of CONTRACT §6.

A key is shown once when it is made and stored only as its SHA-256 digest: the
key itself is 32 random bytes, so a plain digest cannot be reversed by guessing.

A key belongs to a system (`crm`), an office (`compliance`, `admin`) or a person
(`manager`, `approver`). A person's key carries the person's id and job role,
fixed when it is made: whatever it asks, it asks as that person (see
`app.decision_service`), so a manager cannot name a higher role or another
person, nor assert an approval nobody gave.
"""

from __future__ import annotations

import functools
import hashlib
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from flask import g, request
from sqlalchemy import DateTime, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from app import db
from app.api import database
from app.problems import Problem
from app.vocabulary import APPROVERS

ROLES = ("crm", "manager", "approver", "compliance", "admin")
# Keys that belong to one person: they ask only as that person.
PERSON_ROLES = ("manager", "approver")
KEY_PREFIX = "dg_"
# A valid key is remembered this long by each process, so a decision does not pay a key
# query; a key revoked by the command line is therefore refused by every worker within
# this many seconds (at once by the process that revokes it).
KEY_CACHE_SECONDS = 5.0
_KEY_CACHE_MAX = 4096


class ApiKey(db.Base):
    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    role: Mapped[str] = mapped_column(String(32))
    # A person's key (manager, approver): who the person is and their job role.
    person_id: Mapped[str | None] = mapped_column(String(128))
    job_role: Mapped[str | None] = mapped_column(String(32))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


@dataclass(frozen=True)
class KeyInfo:
    """What a request needs of its key: no ORM object, so it can be shared by threads."""

    name: str
    role: str
    person_id: str | None = None  # set for a person's key (manager, approver)
    job_role: str | None = None  # "manager", or an approver's job role

    @property
    def is_person(self) -> bool:
        return self.role in PERSON_ROLES


# (database URL, key digest) -> (valid until, key). Unknown and revoked keys are never
# kept: a new key works at once, and only a still valid key is served from here.
_valid_keys: dict[tuple[str, str], tuple[float, KeyInfo]] = {}


def forget_keys() -> None:
    """Drop every remembered key (after a revocation in this process)."""
    _valid_keys.clear()


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def create_key(session: Session, role: str, name: str, person_id: str | None = None,
               job_role: str | None = None) -> str:
    """Store a new key and return it; the caller shows it once.

    A manager key needs `person_id` (its manager id; its job role is "manager"); an
    approver key needs `person_id` and one of APPROVERS as `job_role`; other keys
    take neither.
    """
    job_role = person_job_role(role, person_id, job_role)
    if session.scalar(select(ApiKey).where(ApiKey.name == name)) is not None:
        raise ValueError(f"a key named {name!r} exists already")
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    session.add(
        ApiKey(
            name=name,
            role=role,
            person_id=person_id,
            job_role=job_role,
            key_hash=hash_key(key),
            created_at=datetime.now(UTC),
        )
    )
    session.commit()
    return key


def person_job_role(role: str, person_id: str | None, job_role: str | None) -> str | None:
    """The job role a key of `role` is made with; ValueError for a wrong combination."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; one of {', '.join(ROLES)}")
    if role not in PERSON_ROLES:
        if person_id or job_role:
            raise ValueError(f"a {role} key belongs to no person: no --manager-id, "
                             "--person-id or --job-role")
        return None
    if not person_id or not 1 <= len(person_id) <= 128 or not person_id.isprintable():
        flag = "--manager-id" if role == "manager" else "--person-id"
        raise ValueError(f"a {role} key needs {flag}: the person's actor.id (1-128 characters)")
    if role == "manager":
        if job_role not in (None, "manager"):
            raise ValueError("a manager key's job role is manager; for an approver "
                             "use --role approver")
        return "manager"
    if job_role not in APPROVERS:
        raise ValueError(f"an approver key needs --job-role, one of {', '.join(APPROVERS)}")
    return job_role


def revoke_key(session: Session, name: str) -> bool:
    key = session.scalar(select(ApiKey).where(ApiKey.name == name))
    if key is None:
        return False
    if key.revoked_at is None:
        key.revoked_at = datetime.now(UTC)
        session.commit()
        forget_keys()
    return True


def find_key(session: Session, presented: str) -> ApiKey | None:
    key = session.scalar(select(ApiKey).where(ApiKey.key_hash == hash_key(presented)))
    if key is None or key.revoked_at is not None:
        return None
    return key


def valid_key(presented: str) -> KeyInfo | None:
    """The key of this request, from the process's short-lived memory or the database."""
    slot = (database.database_name(), hash_key(presented))
    now = time.monotonic()
    remembered = _valid_keys.get(slot)
    if remembered is not None and remembered[0] > now:
        return remembered[1]
    session = database.session()
    try:
        key = find_key(session, presented)
        info = None if key is None else KeyInfo(key.name, key.role, key.person_id,
                                                key.job_role)
    finally:
        # Give the connection back to the pool now: the decision log writes on its own.
        session.rollback()
    if info is None:
        _valid_keys.pop(slot, None)
        return None
    if len(_valid_keys) >= _KEY_CACHE_MAX:
        _valid_keys.clear()  # many keys at once is rare; forgetting them all is cheap
    _valid_keys[slot] = (now + KEY_CACHE_SECONDS, info)
    return info


def current_key() -> KeyInfo:
    return g.api_key


def requires(*roles: str) -> Callable:
    """Let the view run only for a valid key of one of `roles` (401 / 403 otherwise)."""

    def decorate(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            header = request.headers.get("Authorization", "")
            scheme, _, presented = header.partition(" ")
            if scheme.lower() != "bearer" or not presented.strip():
                raise Problem(401, "An API key is required: Authorization: Bearer <key>.",
                              headers={"WWW-Authenticate": "Bearer"})
            key = valid_key(presented.strip())
            if key is None:
                raise Problem(401, "The API key is unknown or revoked.",
                              headers={"WWW-Authenticate": "Bearer"})
            if key.role not in roles:
                raise Problem(403, f"A {key.role} key may not do this.")
            g.api_key = key
            return view(*args, **kwargs)

        return wrapper

    return decorate
