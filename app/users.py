"""People who sign in to the console (CONTRACT §11): their table, passwords and lockout.

A user has the rights of the role of the same name in §6 (app.auth.ROLES, without
`crm`, which is a system) and, for a manager or an approver, the person's id and job
role, checked exactly as a person's API key is (app.auth.person_job_role).

Passwords are argon2id hashes (argon2-cffi). A user is made, and a password reset,
with a one-time password that must be changed at the first sign-in. A session names
the user and a random session token: signing out, a new password or disabling the
user draws a new token, so every copy of the old cookie stops working at once.

Five failed sign-ins for one name within 15 minutes make that name wait until the
oldest of them is 15 minutes old, whether or not the name exists (the wait tells
nothing about which names do).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Boolean, DateTime, Index, String, delete, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from app import db
from app.auth import person_job_role

USER_ROLES = ("manager", "approver", "compliance", "admin")
MAX_FAILURES = 5
FAILURE_WINDOW = timedelta(minutes=15)
MIN_PASSWORD_LENGTH = 12
# argon2-cffi's defaults are argon2id with RFC 9106's low-memory parameters.
_hasher = PasswordHasher()
# Verified when the name is unknown, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash("no user has this password")


class User(db.Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(32))
    person_id: Mapped[str | None] = mapped_column(String(128))
    job_role: Mapped[str | None] = mapped_column(String(32))
    full_name: Mapped[str | None] = mapped_column(String(128))
    password_hash: Mapped[str] = mapped_column(String(256))
    must_change_password: Mapped[bool] = mapped_column(Boolean)
    session_token: Mapped[str] = mapped_column(String(64))
    locale: Mapped[str | None] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    disabled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class SignInFailure(db.Base):
    """One failed sign-in for a name (known or not), kept while it counts."""

    __tablename__ = "sign_in_failures"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    failed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (Index("ix_sign_in_failures_name_failed_at", "name", "failed_at"),)


@dataclass(frozen=True)
class SignIn:
    """The result of a sign-in: the user, or why not (wrong, or wait `wait` seconds)."""

    user: User | None
    wait_seconds: int = 0


def one_time_password() -> str:
    return secrets.token_urlsafe(12)  # 16 characters, 96 random bits


def create_user(session: Session, name: str, role: str, person_id: str | None = None,
                job_role: str | None = None, full_name: str | None = None) -> str:
    """Store a new user and return its one-time password; ValueError if not allowed."""
    _check_name(name)
    if role not in USER_ROLES:
        raise ValueError(f"unknown role {role!r}; one of {', '.join(USER_ROLES)}")
    job_role = person_job_role(role, person_id, job_role)
    if full_name is not None and not 1 <= len(full_name) <= 128:
        raise ValueError("the full name is 1-128 characters")
    if find_user(session, name) is not None:
        raise ValueError(f"a user named {name!r} exists already")
    password = one_time_password()
    session.add(User(name=name, role=role, person_id=person_id, job_role=job_role,
                     full_name=full_name, password_hash=_hasher.hash(password),
                     must_change_password=True, session_token=secrets.token_hex(16),
                     created_at=datetime.now(UTC)))
    session.commit()
    return password


def _check_name(name: str) -> None:
    if not 1 <= len(name) <= 64 or not name.isprintable() or name != name.strip():
        raise ValueError("a user name is 1-64 printable characters, no leading or "
                         "trailing space")


def find_user(session: Session, name: str) -> User | None:
    return session.scalar(select(User).where(User.name == name))


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.name)))


def disable_user(session: Session, name: str) -> bool:
    """Disable NAME: it cannot sign in, and its sessions end. False if no such user."""
    user = find_user(session, name)
    if user is None:
        return False
    if user.disabled_at is None:
        user.disabled_at = datetime.now(UTC)
    user.session_token = secrets.token_hex(16)
    session.commit()
    return True


def reset_password(session: Session, name: str) -> str | None:
    """A new one-time password for NAME (its sessions end); None if no such user."""
    user = find_user(session, name)
    if user is None:
        return None
    password = one_time_password()
    user.password_hash = _hasher.hash(password)
    user.must_change_password = True
    user.session_token = secrets.token_hex(16)
    session.execute(delete(SignInFailure).where(SignInFailure.name == name))
    session.commit()
    return password


def set_password(session: Session, user: User, password: str) -> None:
    """The user's own new password (the one-time one is then spent)."""
    user.password_hash = _hasher.hash(password)
    user.must_change_password = False
    user.session_token = secrets.token_hex(16)
    session.commit()


def end_sessions(session: Session, user: User) -> None:
    user.session_token = secrets.token_hex(16)
    session.commit()


def check_password(user: User, password: str) -> bool:
    try:
        return _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def sign_in(session: Session, name: str, password: str,
            now: datetime | None = None) -> SignIn:
    """Check a name and password, counting failures; a locked name is not even checked."""
    now = now or datetime.now(UTC)
    since = now - FAILURE_WINDOW
    recent = list(session.scalars(
        select(SignInFailure.failed_at)
        .where(SignInFailure.name == name, SignInFailure.failed_at > since)
        .order_by(SignInFailure.failed_at.desc()).limit(MAX_FAILURES)))
    if len(recent) >= MAX_FAILURES:
        oldest = _aware(recent[-1])
        return SignIn(None, max(1, int((oldest + FAILURE_WINDOW - now).total_seconds()) + 1))
    user = find_user(session, name)
    if user is None:
        _hasher_verify_dummy(password)
        ok = False
    else:
        ok = user.disabled_at is None and check_password(user, password)
    if not ok:
        session.add(SignInFailure(name=name[:64], failed_at=now))
        # Old failures count no more: keep the table small.
        session.execute(delete(SignInFailure).where(SignInFailure.failed_at <= since))
        session.commit()
        return SignIn(None)
    session.execute(delete(SignInFailure).where(SignInFailure.name == name))
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    session.commit()
    return SignIn(user)


def _hasher_verify_dummy(password: str) -> None:
    try:
        _hasher.verify(_DUMMY_HASH, password)
    except VerificationError:
        pass


def _aware(moment: datetime) -> datetime:
    # SQLite gives back naive datetimes; they were stored in UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
