"""Policy versions and shadow mode over HTTP (CONTRACT §12); the work is app.version_service."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, request
from sqlalchemy.exc import SQLAlchemyError

from app import version_service as versions
from app.api import database
from app.api.policy import AUDITORS, EVERY_ROLE, policy_text
from app.api.respond import json_response
from app.auth import current_key, requires
from app.policy_holder import problems_of
from app.problems import Problem, invalid_policy
from app.schemas.strict import Visible, has_invisible
from app.versions.store import MAX_COMMENT

blueprint = Blueprint("policy_versions", __name__)

# The largest id the table's INTEGER holds: a larger one is no version (404), not a 500.
MAX_ID = 2**31 - 1


def _holder():
    return current_app.extensions["dealguard.policy"]


def _four_eyes() -> bool:
    return current_app.config["SETTINGS"].four_eyes


def _only(*names: str) -> None:
    unknown = [name for name in request.args if name not in names]
    if unknown:
        allowed = ", ".join(names) or "no"
        raise Problem(422, f"This takes {allowed} query parameters.",
                      {name: ["Unknown parameter."] for name in unknown})


def _id(value: int) -> int:
    if value > MAX_ID:
        raise Problem(404, f"There is no policy version {value}.")
    return value


@blueprint.errorhandler(versions.VersionNotFound)
def _not_found(error: versions.VersionNotFound) -> Response:
    which = error.args[0] if error.args and error.args[0] is not None else None
    detail = (f"There is no policy version {which}." if which is not None
              else "No version is active or in shadow.")
    return Problem(404, detail).response()


@blueprint.errorhandler(versions.VersionConflict)
def _conflict(error: versions.VersionConflict) -> Response:
    return Problem(409, str(error)).response()


@blueprint.errorhandler(versions.NotLoadable)
def _not_loadable(error: versions.NotLoadable) -> Response:
    return invalid_policy(f"Version {error.version_id} cannot be loaded; nothing changed.",
                          problems_of(error.error))


@blueprint.post("/v1/policy/versions")
@requires("admin")
def propose() -> Response:
    _only("comment")
    comment = request.args.get("comment", "")
    if len(comment) > MAX_COMMENT:
        raise Problem(422, f"The comment is longer than {MAX_COMMENT} characters.",
                      {"comment": [f"At most {MAX_COMMENT} characters."]})
    if has_invisible(comment):  # NUL, which PostgreSQL refuses in text, among them
        raise Problem(422, "The comment holds a control or invisible character.",
                      {"comment": [Visible.error]})
    text = policy_text()
    if not text.strip():
        raise Problem(422, "Empty body: send the proposed rules.yaml as the body.")
    try:
        proposed = versions.propose(database.db_engine(), text, current_key().name, comment)
    except SQLAlchemyError:
        raise  # the app's handler: a 503
    except Exception as error:  # noqa: BLE001 - every failure is an answer about the file
        return invalid_policy("The policy is not valid; nothing was stored.",
                              problems_of(error))
    return json_response(proposed, status=201)


@blueprint.get("/v1/policy/versions")
@requires(*EVERY_ROLE)
def history() -> Response:
    _only()
    return json_response({"items": versions.history(database.db_engine())})


@blueprint.get("/v1/policy/versions/<int:version_id>")
@requires(*EVERY_ROLE)
def one(version_id: int) -> Response:
    _only()
    return json_response(versions.version(database.db_engine(), _id(version_id)))


@blueprint.get("/v1/policy/versions/<int:version_id>/diff")
@requires(*EVERY_ROLE)
def diff(version_id: int) -> Response:
    _only("against")
    against = request.args.get("against", "active")
    if against == "active":
        base = None
    elif against.isascii() and against.isdigit() and int(against) <= MAX_ID:
        base = int(against)
    else:
        raise Problem(422, "against is 'active' or a version id.",
                      {"against": ["Not 'active' or a version id."]})
    return json_response(versions.diff(database.db_engine(), _id(version_id), base))


@blueprint.post("/v1/policy/versions/<int:version_id>/publish")
@requires("admin")
def publish(version_id: int) -> Response:
    _only()
    try:
        published = versions.publish(_holder(), database.db_engine(), _id(version_id),
                                     current_key().name, _four_eyes())
    except versions.SameAuthor:
        raise Problem(403, "Four eyes: a version is published by someone other than its "
                           "author.") from None
    return json_response(published)


@blueprint.post("/v1/policy/versions/<int:version_id>/shadow")
@requires("admin")
def start_shadow(version_id: int) -> Response:
    _only()
    return json_response(versions.start_shadow(_holder(), database.db_engine(),
                                               _id(version_id)))


@blueprint.delete("/v1/policy/shadow")
@requires("admin")
def stop_shadow() -> Response:
    _only()
    stopped = versions.stop_shadow(_holder(), database.db_engine())
    return json_response({"stopped": stopped})


@blueprint.get("/v1/policy/shadow")
@requires(*AUDITORS)
def shadow_report() -> Response:
    _only("version_id")
    wanted = request.args.get("version_id")
    version_id = None
    if wanted is not None:
        if not (wanted.isascii() and wanted.isdigit() and int(wanted) <= MAX_ID):
            raise Problem(422, "version_id is a version's number.",
                          {"version_id": ["Not a version id."]})
        version_id = int(wanted)
    return json_response(versions.shadow_report(database.db_engine(), version_id))
