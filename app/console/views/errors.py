"""Refusals as pages a person reads (the API answers problem+json; people get HTML)."""

from __future__ import annotations

from flask import current_app, render_template
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from app.console import blueprint


@blueprint.errorhandler(HTTPException)
def _refused(error: HTTPException) -> tuple[str, int]:
    status = error.code or 500
    if isinstance(error, CSRFError):
        message = _("This form was not sent from this page of dealguard, or it has expired. "
                    "Open the page again and send it once more.")
    else:
        message = {
            403: _("Your role may not open this page."),
            404: _("There is no such page or record."),
            409: _("This cannot be done here."),
            413: _("The upload is larger than this server accepts (%(kib)s KiB); nothing was "
                   "done. A rules.yaml is far smaller.", kib=_limit_kib()),
        }.get(status, _("The request was refused."))
    return render_template("console/error.html", status=status, message=message), status


def _limit_kib() -> int:
    """The body limit (DEALGUARD_MAX_BODY) in KiB, as the person reads it."""
    return int(current_app.config.get("MAX_CONTENT_LENGTH") or 0) // 1024
