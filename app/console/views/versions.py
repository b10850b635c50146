"""Policy versions and shadow mode (CONTRACT §12) in the console: the history, a version's
diff against the active one with its `policy test` results and its impact on the last
30 days (app.review_service), a candidate proposed as a draft, publish (and roll back),
shadow start and stop (admin), and the shadow report (compliance, admin). The same
functions as /v1/policy/versions (app.version_service), as the console user.
"""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy.exc import SQLAlchemyError
from werkzeug import Response

from app import review_service
from app import version_service as versions
from app.api import database
from app.console import blueprint, identity
from app.console.forms import PostForm, ProposeForm
from app.console.views.policy import NoCandidate, candidate_text, today_in
from app.console.views.policy import shown as policy_value
from app.policy_holder import problems_of

AUDITORS = ("compliance", "admin")
# The largest id the table's INTEGER holds (as the API): a larger one is no version.
MAX_ID = 2**31 - 1


def _holder() -> Any:
    return current_app.extensions["dealguard.policy"]


def _by() -> str:
    """The author or publisher as the versions table names them: the console user."""
    return identity.user().caller.key_name


def _id(version_id: int) -> int:
    if version_id > MAX_ID:
        abort(404)
    return version_id


def _page(code: int = 200, **context: Any) -> tuple[str, int]:
    form = context.pop("form", None) or ProposeForm()
    return render_template("console/versions.html",
                           items=versions.history(database.db_engine()),
                           form=form, action_form=PostForm(), **context), code


@blueprint.route("/policy/versions", methods=["GET", "POST"])
@identity.allowed(*AUDITORS)
def versions_page() -> tuple[str, int]:
    if request.method == "GET":
        return _page()
    if not identity.user().is_a("admin"):
        abort(403)
    form = ProposeForm()
    if not form.validate():
        return _page(422, form=form)
    try:
        text = candidate_text(form)
    except NoCandidate as refused:
        return _page(422, form=form, error=str(refused))
    try:
        made = versions.propose(database.db_engine(), text, _by(), form.comment.data or "")
    except SQLAlchemyError:
        raise
    except Exception as error:  # noqa: BLE001 - every failure is an answer about the file
        return _page(422, form=form, problems=problems_of(error))
    flash(_("Version %(id)s is stored as a draft.", id=made["version_id"]))
    # Straight to what the owner decides on: its diff, test results and impact.
    return redirect(url_for("console.version_diff", version_id=made["version_id"]))


@blueprint.get("/policy/versions/<int:version_id>")
@identity.allowed(*AUDITORS)
def version_diff(version_id: int) -> str:
    """What the version changes from the active one."""
    try:
        changes = versions.diff(database.db_engine(), _id(version_id), None)
        found = versions.version(database.db_engine(), version_id)
    except versions.VersionNotFound:
        abort(404)
    # The active version needs no review: it is what runs.
    review = _review(found) if found["status"] != "active" else None
    return render_template("console/version.html", version=found, diff=changes,
                           review=review, review_days=review_service.IMPACT_DAYS,
                           action_form=PostForm(), shown=policy_value)


def _review(found: dict[str, Any]) -> dict[str, Any]:
    """The version's `policy test` results and its impact on the last 30 days; a
    version this process cannot compile gets its problems instead."""
    from app.engine import load_policy_text

    settings = current_app.config["SETTINGS"]
    try:
        candidate = load_policy_text(found["text"], f"version-{found['version_id']}.yaml")
    except Exception as error:  # noqa: BLE001 - every failure is an answer about the text
        return {"problems": problems_of(error)}
    tests = review_service.run_tests(
        candidate, review_service.tests_folder(settings.policy_path), settings.timezone)
    try:
        impact = review_service.recent_impact(database.db_engine(), candidate,
                                              today_in(settings.timezone), settings.timezone)
    except SQLAlchemyError:
        impact = None  # the page still shows the diff and the tests; it says why not this
    return {"tests": tests, "impact": impact}


def _not_loadable(version_id: int, error: versions.NotLoadable) -> tuple[str, int]:
    """Publish or shadow refused: the version does not compile here (its problems by line)."""
    return _page(422, error=_("Version %(id)s cannot be loaded; nothing changed.",
                              id=version_id), problems=problems_of(error.error))


@blueprint.post("/policy/versions/<int:version_id>/publish")
@identity.allowed("admin")
def version_publish(version_id: int) -> Response | tuple[str, int]:
    try:
        versions.publish(_holder(), database.db_engine(), _id(version_id), _by(),
                         current_app.config["SETTINGS"].four_eyes)
    except versions.SameAuthor:
        return _page(403, error=_("Four eyes: a version is published by someone other than "
                                  "its author."))
    except versions.NotLoadable as error:
        return _not_loadable(version_id, error)
    except versions.VersionConflict:
        return _page(409, error=_("Another version was published at the same moment; look "
                                  "at the versions and try again."))
    except versions.VersionNotFound:
        abort(404)
    flash(_("Version %(id)s is now the active policy.", id=version_id))
    return redirect(url_for("console.versions_page"))


@blueprint.post("/policy/versions/<int:version_id>/shadow")
@identity.allowed("admin")
def version_shadow(version_id: int) -> Response | tuple[str, int]:
    try:
        versions.start_shadow(_holder(), database.db_engine(), _id(version_id))
    except versions.NotLoadable as error:
        return _not_loadable(version_id, error)
    except versions.VersionConflict:
        return _page(409, error=_("The active version cannot run in its own shadow, or "
                                  "another shadow run started at the same moment."))
    except versions.VersionNotFound:
        abort(404)
    flash(_("Version %(id)s now runs in shadow beside the active one.", id=version_id))
    return redirect(url_for("console.versions_page"))


@blueprint.post("/policy/shadow/stop")
@identity.allowed("admin")
def shadow_stop() -> Response:
    stopped = versions.stop_shadow(_holder(), database.db_engine())
    if stopped is None:
        flash(_("No version was running in shadow."))
    else:
        flash(_("The shadow run of version %(id)s stopped; its report stays.",
                id=stopped["version_id"]))
    return redirect(url_for("console.versions_page"))


@blueprint.get("/policy/shadow")
@identity.allowed(*AUDITORS)
def shadow_report() -> str:
    """The shadow report: the running one, or a version's (?version_id=) whose run ended."""
    wanted = request.args.get("version_id", "")
    version_id = int(wanted) if wanted.isascii() and wanted.isdigit() else None
    if version_id is not None and version_id > MAX_ID:
        version_id = None
    try:
        report = versions.shadow_report(database.db_engine(), version_id)
    except versions.VersionNotFound:
        report = None
    return render_template("console/shadow.html", report=report)

