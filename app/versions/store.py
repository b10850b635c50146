"""Propose, list, publish and shadow policy versions (CONTRACT §12). No Flask here.

Every change of status is one transaction; on PostgreSQL it also sends a NOTIFY
(app.versions.listen) so that every process on the database looks at once, instead
of at its next poll. The partial unique indexes of the table keep one active and one
shadow version even when two hosts change them at the same moment.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, select, update
from sqlalchemy.exc import IntegrityError

from app.versions.listen import notify
from app.versions.models import ACTIVE, DRAFT, RETIRED, SHADOW, PolicyVersion

MAX_COMMENT = 1000
FILE_AUTHOR = "file"


class VersionNotFound(Exception):
    """No version has this id."""


class SameAuthor(Exception):
    """Four eyes: the publisher is the version's author."""


class VersionConflict(Exception):
    """The change cannot be made in the version's state, or another one won a race."""


@dataclass(frozen=True)
class Pointers:
    """Which versions run: what every process polls (a cheap, indexed read)."""

    active: tuple[int, str] | None  # (id, sha256)
    shadow: tuple[int, str] | None


def fields(row: PolicyVersion | Any, with_text: bool = False) -> dict[str, Any]:
    """A version as the API answers it."""
    answer = {
        "version_id": row.id,
        "name": row.name,
        "version": row.version,
        "sha256": row.sha256,
        "author": row.author,
        "comment": row.comment,
        "created_at": _iso(row.created_at),
        "status": row.status,
        "published_at": _iso(row.published_at),
        "published_by": row.published_by,
    }
    if with_text:
        answer["text"] = row.text
    return answer


def pointers(db_engine: Engine) -> Pointers:
    with db_engine.connect() as connection:
        rows = connection.execute(
            select(PolicyVersion.id, PolicyVersion.status, PolicyVersion.sha256)
            .where(PolicyVersion.status.in_((ACTIVE, SHADOW)))).all()
    found = {row.status: (row.id, row.sha256) for row in rows}
    return Pointers(found.get(ACTIVE), found.get(SHADOW))


def text_of(db_engine: Engine, version_id: int) -> str:
    return get(db_engine, version_id).text


def get(db_engine: Engine, version_id: int) -> PolicyVersion:
    with db_engine.connect() as connection:
        row = connection.execute(select(PolicyVersion.__table__)
                                 .where(PolicyVersion.id == version_id)).first()
    if row is None:
        raise VersionNotFound(version_id)
    return row


def history(db_engine: Engine) -> list[Any]:
    """Every version, newest first, without its text."""
    table = PolicyVersion.__table__
    with db_engine.connect() as connection:
        return connection.execute(
            select(*(c for c in table.columns if c.name != "text"))
            .order_by(PolicyVersion.id.desc())).all()


def propose(db_engine: Engine, text: str, name: str, version: str, author: str,
            comment: str = "") -> Any:
    """Store a checked policy text as a draft; the new row."""
    with db_engine.begin() as connection:
        return _insert(connection, text, name, version, author, comment, DRAFT)


def ensure_active(db_engine: Engine, path: str | Path) -> Pointers:
    """At the first start the file is imported as version 1 and made active.

    Raises PolicyError when it must be imported and is not a valid policy; two
    processes starting together import it once (the index lets one row be active).
    """
    found = pointers(db_engine)
    if found.active is not None:
        return found
    text, name, version = _checked_file(path)
    try:
        with db_engine.begin() as connection:
            _insert(connection, text, name, version, FILE_AUTHOR,
                    "imported from DEALGUARD_POLICY at first start", ACTIVE, published=True)
            notify(connection)
    except IntegrityError:
        pass  # another process imported it a moment ago
    return pointers(db_engine)


def import_file(db_engine: Engine, path: str | Path, author: str) -> Any:
    """The file as a version to publish: the active one if it is the same text, else new.

    Raises PolicyError (nothing stored) when the file is not a valid policy.
    """
    text, name, version = _checked_file(path)
    sha = _sha(text)
    with db_engine.begin() as connection:
        active = connection.execute(select(PolicyVersion.__table__).where(
            PolicyVersion.status == ACTIVE, PolicyVersion.sha256 == sha)).first()
        if active is not None:
            return active
        return _insert(connection, text, name, version, author,
                       f"imported from {Path(path).name} by reload", DRAFT)


def publish(db_engine: Engine, version_id: int, by: str, four_eyes: bool) -> Any:
    """Make the version active (the active one retires); publishing an older one is
    the rollback. The row as it is now."""
    now = datetime.now(UTC)
    try:
        with db_engine.begin() as connection:
            row = _row(connection, version_id)
            if row.status == ACTIVE:
                return row  # nothing changes, whoever asks
            if four_eyes and row.author == by:
                raise SameAuthor(version_id)
            connection.execute(update(PolicyVersion.__table__)
                               .where(PolicyVersion.status == ACTIVE)
                               .values(status=RETIRED))
            connection.execute(update(PolicyVersion.__table__)
                               .where(PolicyVersion.id == version_id)
                               .values(status=ACTIVE, published_at=now, published_by=by,
                                       shadow_since=None))
            notify(connection)
            return _row(connection, version_id)
    except IntegrityError:
        raise VersionConflict("Another version was published at the same moment; "
                              "look at the versions and try again.") from None


def start_shadow(db_engine: Engine, version_id: int) -> Any:
    """Evaluate this version beside the active one on every decision from now on."""
    try:
        with db_engine.begin() as connection:
            row = _row(connection, version_id)
            if row.status == ACTIVE:
                raise VersionConflict("The active version cannot run in its own shadow.")
            if row.status == SHADOW:
                return row
            _end_shadow(connection)
            connection.execute(update(PolicyVersion.__table__)
                               .where(PolicyVersion.id == version_id)
                               .values(status=SHADOW, shadow_since=datetime.now(UTC)))
            notify(connection)
            return _row(connection, version_id)
    except IntegrityError:
        raise VersionConflict("Another shadow run started at the same moment; "
                              "try again.") from None


def stop_shadow(db_engine: Engine) -> Any | None:
    """Stop the shadow run; the version that ran (or None). Its results stay."""
    with db_engine.begin() as connection:
        row = connection.execute(select(PolicyVersion.__table__)
                                 .where(PolicyVersion.status == SHADOW)).first()
        if row is not None:
            _end_shadow(connection)
            notify(connection)
    return row


def shadow_version(db_engine: Engine, version_id: int | None = None) -> Any | None:
    """The version now in shadow, or the one named (its run may have ended)."""
    with db_engine.connect() as connection:
        if version_id is not None:
            return _row(connection, version_id)
        return connection.execute(select(PolicyVersion.__table__)
                                  .where(PolicyVersion.status == SHADOW)).first()


def _end_shadow(connection: Connection) -> None:
    # Back to what it was: retired if it was ever published, else a draft. Its
    # shadow_since stays, so its report can still be read.
    for status, published in ((RETIRED, True), (DRAFT, False)):
        condition = (PolicyVersion.published_at.is_not(None) if published
                     else PolicyVersion.published_at.is_(None))
        connection.execute(update(PolicyVersion.__table__)
                           .where(PolicyVersion.status == SHADOW, condition)
                           .values(status=status))


def _row(connection: Connection, version_id: int) -> Any:
    row = connection.execute(select(PolicyVersion.__table__)
                             .where(PolicyVersion.id == version_id)).first()
    if row is None:
        raise VersionNotFound(version_id)
    return row


def _insert(connection: Connection, text: str, name: str, version: str, author: str,
            comment: str, status: str, published: bool = False) -> Any:
    now = datetime.now(UTC)
    values = {"text": text, "sha256": _sha(text), "name": name[:128], "version": version[:64],
              "author": author[:128], "comment": comment[:MAX_COMMENT], "created_at": now,
              "status": status, "published_at": now if published else None,
              "published_by": author[:128] if published else None}
    new_id = connection.execute(PolicyVersion.__table__.insert().values(**values)
                                .returning(PolicyVersion.id)).scalar_one()
    return _row(connection, new_id)


def _checked_file(path: str | Path) -> tuple[str, str, str]:
    """The file's text, name and version once it is known to be a valid policy."""
    from app.engine.errors import PolicyError, PolicyProblem
    from app.engine.loader import parse_policy

    try:
        raw = Path(path).read_bytes()
        text = raw.decode("utf-8")
    except OSError as error:
        raise PolicyError([PolicyProblem(None, "", f"cannot read the policy: "
                                                  f"{error.strerror}")], str(path)) from None
    except UnicodeDecodeError:
        raise PolicyError([PolicyProblem(None, "", "the policy is not UTF-8 text")],
                          str(path)) from None
    model = parse_policy(text, str(path))
    return text, model.name, str(model.version)


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    if moment.tzinfo is None:  # SQLite gives back the UTC time it was given, naive
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
