"""The signed-in person: who they are, what their role lets them do, how the log names them.

Flask-Login keeps `"<user id>:<session token>"` in the session. The token changes when
the user signs out, changes or is given a new password, or is disabled, so a copied
cookie dies with it. A session also ends SESSION_HOURS after its sign-in.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask, abort, session
from flask_login import LoginManager, current_user
from flask_login import login_user as _login_user
from flask_login import logout_user as _logout_user
from flask_login.mixins import UserMixin
from sqlalchemy import select

from app.api import database
from app.console.sessions import SESSION_HOURS
from app.decision_service import Caller
from app.users import User

SIGNED_IN_AT = "signed_in_at"
# Key names of console decisions: "console:<user name>" (the log's key_name column).
KEY_NAME_PREFIX = "console:"
# The team's statistics (§11): the sales chain above the managers.
TEAM_JOB_ROLES = ("head_of_sales", "commercial_director")

login_manager = LoginManager()


@dataclass(frozen=True)
class ConsoleUser(UserMixin):
    """What a page needs of the user: no ORM object, so nothing is loaded lazily later."""

    id: int
    name: str
    role: str
    person_id: str | None
    job_role: str | None
    full_name: str | None
    session_token: str
    must_change_password: bool
    locale: str | None

    def get_id(self) -> str:
        return f"{self.id}:{self.session_token}"

    @property
    def display_name(self) -> str:
        return self.full_name or self.name

    @property
    def caller(self) -> Caller:
        """Who asks, for the decision service and the log: the user as a person's key."""
        return Caller(key_name=KEY_NAME_PREFIX + self.name, role=self.role,
                      person_id=self.person_id, job_role=self.job_role, user=self.name)

    def is_a(self, *roles: str) -> bool:
        return self.role in roles

    @property
    def sees_team(self) -> bool:
        return self.role == "admin" or self.job_role in TEAM_JOB_ROLES

    @classmethod
    def of(cls, user: User) -> ConsoleUser:
        return cls(user.id, user.name, user.role, user.person_id, user.job_role,
                   user.full_name, user.session_token, user.must_change_password,
                   user.locale)


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "console.sign_in"
    login_manager.login_message = None  # the sign-in page says it itself
    # Flask-Login's own check of the browser's address and agent would sign people out
    # on a mobile network; the session token and the 8 hours do the work.
    login_manager.session_protection = None


@login_manager.user_loader
def _load(user_id: str) -> ConsoleUser | None:
    number, _, token = user_id.partition(":")
    started = session.get(SIGNED_IN_AT)
    if not number.isdigit() or not token or not isinstance(started, int | float):
        return None
    if time.time() - started > SESSION_HOURS * 3600:
        return None
    row = database.session().scalar(select(User).where(User.id == int(number)))
    if row is None or row.disabled_at is not None or row.session_token != token:
        return None
    return ConsoleUser.of(row)


def sign_in(user: User) -> None:
    session.clear()  # no value from before the sign-in survives it
    session.permanent = True
    session[SIGNED_IN_AT] = int(time.time())
    _login_user(ConsoleUser.of(user))


def sign_out() -> None:
    _logout_user()
    session.clear()


def user() -> ConsoleUser:
    return current_user._get_current_object()  # type: ignore[attr-defined]


def allowed(*roles: str, team: bool = False) -> Callable:
    """Let the view run for a signed-in user of one of `roles` (or who sees the team)."""

    def decorate(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            person = user()
            if not (person.role in roles or (team and person.sees_team)):
                abort(403)
            return view(*args, **kwargs)

        return wrapper

    return decorate
