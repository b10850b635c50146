"""Sign in, first-sign-in password change, sign out, and the choice of language."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug import Response

from app.api import database
from app.console import blueprint, identity, locale
from app.console.forms import ChangePasswordForm, LanguageForm, PostForm, SignInForm
from app.users import User, check_password, set_password
from app.users import sign_in as check_sign_in


def _safe_next(target: str | None) -> str:
    """Only a page of the console itself: never another site (an open redirect)."""
    if not target:
        return url_for("console.home")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/console/"):
        return url_for("console.home")
    return target


@blueprint.route("/sign-in", methods=["GET", "POST"])
def sign_in() -> str | Response:
    form = SignInForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    status = 200
    error = None
    if form.validate_on_submit():
        result = check_sign_in(database.session(), form.name.data, form.password.data)
        if result.user is not None:
            identity.sign_in(result.user)
            if result.user.must_change_password:
                return redirect(url_for("console.change_password",
                                        next=_safe_next(form.next.data)))
            return redirect(_safe_next(form.next.data))
        if result.wait_seconds:
            minutes = max(1, -(-result.wait_seconds // 60))
            error = _("Too many failed sign-ins for this name. Try again in %(minutes)d "
                      "min.", minutes=minutes)
            status = 429
        else:
            error = _("Wrong name or password.")
            status = 401
    elif request.method == "POST":
        status = 422
    return render_template("console/sign_in.html", form=form, error=error), status


@blueprint.route("/password", methods=["GET", "POST"])
@identity.allowed("manager", "approver", "compliance", "admin")
def change_password() -> str | Response:
    form = ChangePasswordForm()
    error = None
    if form.validate_on_submit():
        db = database.session()
        row = db.get(User, identity.user().id)
        if row is None or not check_password(row, form.current.data):
            error = _("The current password is wrong.")
        elif form.new.data == form.current.data:
            error = _("Choose a password other than the current one.")
        else:
            set_password(db, row, form.new.data)
            identity.sign_in(row)  # the new session token
            return redirect(_safe_next(request.args.get("next")))
    status = 422 if request.method == "POST" else 200
    return render_template("console/password.html", form=form, error=error), status


@blueprint.post("/sign-out")
def sign_out() -> Response:
    if current_user.is_authenticated:
        row = database.session().get(User, identity.user().id)
        if row is not None:
            from app.users import end_sessions

            end_sessions(database.session(), row)
    identity.sign_out()
    return redirect(url_for("console.sign_in"))


@blueprint.post("/language")
def choose_language() -> Response:
    form = LanguageForm()
    if form.validate_on_submit() and form.lang.data in locale.LANGUAGES:
        session[locale.SESSION_KEY] = form.lang.data
        if current_user.is_authenticated:
            db = database.session()
            row = db.get(User, identity.user().id)
            if row is not None:
                row.locale = form.lang.data
                db.commit()
    return redirect(_safe_next(form.back.data))


def post_form() -> PostForm:
    return PostForm()
