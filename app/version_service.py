"""Policy versions: propose, diff, publish (and roll back), shadow, reload (CONTRACT §12).

The API and the command line both call this. A version is checked as /validate
checks a file when it is proposed, and compiled by the publishing process before it
is made active: a version this process cannot load is never published. Each process
then follows the database (app/policy_holder.py).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine

from app.engine.diff import diff as policy_diff
from app.engine.loader import parse_policy
from app.log.read import shadow as shadow_results
from app.policy_holder import PolicyHolder
from app.versions import store
from app.versions.store import SameAuthor, VersionConflict, VersionNotFound

__all__ = ["SameAuthor", "VersionConflict", "VersionNotFound", "NotLoadable"]


class NotLoadable(Exception):
    """The version cannot be compiled here; `error` is the loader's."""

    def __init__(self, version_id: int, error: Exception) -> None:
        super().__init__(f"version {version_id} cannot be loaded")
        self.version_id = version_id
        self.error = error


def propose(db_engine: Engine, text: str, author: str, comment: str) -> dict[str, Any]:
    """Store `text` as a draft; raises PolicyError (nothing stored) when it is invalid."""
    model = parse_policy(text, "proposed.yaml")
    row = store.propose(db_engine, text, model.name, str(model.version), author, comment)
    return store.fields(row)


def history(db_engine: Engine) -> list[dict[str, Any]]:
    return [store.fields(row) for row in store.history(db_engine)]


def version(db_engine: Engine, version_id: int) -> dict[str, Any]:
    return store.fields(store.get(db_engine, version_id), with_text=True)


def diff(db_engine: Engine, version_id: int, against: int | None) -> dict[str, Any]:
    """What `version_id` changes from `against` (None: the active version)."""
    target = store.get(db_engine, version_id)
    base = store.get(db_engine, against) if against is not None else _active(db_engine)
    answer = policy_diff(parse_policy(base.text, "from.yaml"),
                         parse_policy(target.text, "to.yaml"))
    return {"from": base.id, "to": target.id, **answer}


def publish(holder: PolicyHolder, db_engine: Engine, version_id: int, by: str,
            four_eyes: bool) -> dict[str, Any]:
    """Make the version active everywhere; the one before retires. Compiled here first:
    raises NotLoadable (nothing changes) if this process cannot load it."""
    store.get(db_engine, version_id)  # 404 before the cost of compiling
    try:
        holder.load(version_id)
    except Exception as error:  # noqa: BLE001 - any failure: the running policy stays
        raise NotLoadable(version_id, error) from None
    row = store.publish(db_engine, version_id, by, four_eyes)
    holder.refresh()  # this process at once; the others on their notice or poll
    return store.fields(row)


def reload(holder: PolicyHolder, db_engine: Engine, by: str, four_eyes: bool) -> dict[str, Any]:
    """Import the policy file as a new version and publish it.

    Raises PolicyError when the file is not valid (nothing stored), SameAuthor under
    four eyes (the file stays as a draft for another to publish), NotLoadable.
    """
    row = store.import_file(db_engine, holder.path, by)
    return publish(holder, db_engine, row.id, by, four_eyes)


def start_shadow(holder: PolicyHolder, db_engine: Engine, version_id: int) -> dict[str, Any]:
    store.get(db_engine, version_id)
    try:
        holder.load(version_id)
    except Exception as error:  # noqa: BLE001
        raise NotLoadable(version_id, error) from None
    row = store.start_shadow(db_engine, version_id)
    holder.refresh()
    return store.fields(row)


def stop_shadow(holder: PolicyHolder, db_engine: Engine) -> dict[str, Any] | None:
    row = store.stop_shadow(db_engine)
    holder.refresh()
    return None if row is None else store.fields(row)


def shadow_report(db_engine: Engine, version_id: int | None) -> dict[str, Any]:
    """The shadow run of `version_id` (None: the one running now), from live traffic."""
    row = store.shadow_version(db_engine, version_id)
    if row is None:
        raise VersionNotFound(version_id)
    found = shadow_results.report(db_engine, row.id)
    return {
        "version_id": row.id,
        "version": row.version,
        "running": row.status == "shadow",
        "since": _iso(found.since or row.shadow_since),
        "evaluated": found.evaluated,
        "changed": found.changed,
        "unchanged": found.evaluated - found.changed - found.errors,
        "errors": found.errors,
        "errors_by_kind": found.errors_by_kind,
        "by_transition": found.by_transition,
        "samples": found.samples,
    }


def _active(db_engine: Engine) -> Any:
    pointers = store.pointers(db_engine)
    if pointers.active is None:
        raise VersionNotFound(None)
    return store.get(db_engine, pointers.active[0])


def _iso(moment: Any) -> str | None:
    if moment is None:
        return None
    if isinstance(moment, str):  # SQLite's text, as SQLAlchemy wrote it (UTC)
        moment = datetime.fromisoformat(moment)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
