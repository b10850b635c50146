"""Keys and users (admin): the same functions as `dealguard keys …` and `users …`.

A new key or one-time password is shown once, on the page that made it, and never
again: like the command line, the console stores only hashes.
"""

from __future__ import annotations

from flask import abort, redirect, render_template, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug import Response

from app.api import database
from app.auth import ROLES, ApiKey, create_key, revoke_key
from app.console import blueprint, identity
from app.console.forms import PersonForm, PostForm
from app.users import USER_ROLES, create_user, disable_user, list_users, reset_password
from app.vocabulary import APPROVERS


def _keys_page(form: PersonForm, **context) -> str:
    keys = database.session().scalars(select(ApiKey).order_by(ApiKey.created_at)).all()
    return render_template("console/keys.html", keys=keys, form=form, roles=ROLES,
                           approvers=APPROVERS, action_form=PostForm(), **context)


@blueprint.route("/keys", methods=["GET", "POST"])
@identity.allowed("admin")
def keys() -> str | tuple[str, int]:
    form = PersonForm()
    if not form.is_submitted():
        return _keys_page(form)
    if not form.validate():
        return _keys_page(form), 422
    try:
        key = create_key(database.session(), form.role.data, form.name.data,
                         form.person_id.data or None, form.job_role.data or None)
    except ValueError as error:
        database.session().rollback()
        return _keys_page(form, error=str(error)), 422
    return _keys_page(PersonForm(formdata=None), made=(form.name.data, key))


@blueprint.post("/keys/<name>/revoke")
@identity.allowed("admin")
def revoke(name: str) -> Response:
    if not revoke_key(database.session(), name):
        abort(404)
    return redirect(url_for("console.keys"))


def _users_page(form: PersonForm, **context) -> str:
    return render_template("console/users.html", users=list_users(database.session()),
                           form=form, roles=USER_ROLES, approvers=APPROVERS,
                           action_form=PostForm(), **context)


@blueprint.route("/users", methods=["GET", "POST"])
@identity.allowed("admin")
def users() -> str | tuple[str, int]:
    form = PersonForm()
    if not form.is_submitted():
        return _users_page(form)
    if not form.validate():
        return _users_page(form), 422
    try:
        password = create_user(database.session(), form.name.data, form.role.data,
                               form.person_id.data or None, form.job_role.data or None,
                               form.full_name.data or None)
    except ValueError as error:
        database.session().rollback()
        return _users_page(form, error=str(error).replace(" key", "")), 422
    return _users_page(PersonForm(formdata=None), made=(form.name.data, password))


@blueprint.post("/users/<name>/reset-password")
@identity.allowed("admin")
def user_reset(name: str) -> str:
    password = reset_password(database.session(), name)
    if password is None:
        abort(404)
    return _users_page(PersonForm(formdata=None), made=(name, password),
                       note=_("A new one-time password for %(name)s.", name=name))


@blueprint.post("/users/<name>/disable")
@identity.allowed("admin")
def user_disable(name: str) -> Response:
    if name == identity.user().name:
        abort(409)  # an administrator who locks themself out needs the command line
    if not disable_user(database.session(), name):
        abort(404)
    return redirect(url_for("console.users"))
