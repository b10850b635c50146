"""Sign-in, the first-sign-in password change, sessions, sign-out, lockout (CONTRACT §11)."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from app.api import database
from app.users import User
from tests.console.conftest import NEW_PASSWORD

pytestmark = pytest.mark.usefixtures("backend")


def test_a_page_of_the_console_asks_to_sign_in_first(console):
    answer = console.get("/console/")
    assert answer.status_code == 302
    assert answer.headers["Location"].startswith("/console/sign-in?next=")


def test_the_one_time_password_must_be_changed_before_anything_else(console, make_user):
    name, password = make_user("manager")
    answer = console.sign_in(name, password)
    assert answer.status_code == 302 and "/console/password" in answer.headers["Location"]
    # Any other page leads back to the password form.
    assert "/console/password" in console.get("/console/").headers["Location"]
    short = console.post_form("/console/password",
                              {"current": password, "new": "short", "repeat": "short"})
    assert short.status_code == 422
    wrong = console.post_form("/console/password", {
        "current": "not-it", "new": NEW_PASSWORD, "repeat": NEW_PASSWORD})
    assert wrong.status_code == 422
    same = console.post_form("/console/password",
                             {"current": password, "new": password, "repeat": password})
    assert same.status_code == 422
    done = console.post_form("/console/password", {
        "current": password, "new": NEW_PASSWORD, "repeat": NEW_PASSWORD})
    assert done.status_code == 302
    assert console.get("/console/").status_code == 200
    # The one-time password is spent.
    console.post_form("/console/sign-out", {}, token_from="/console/")
    assert console.sign_in(name, password).status_code == 401
    assert console.sign_in(name, NEW_PASSWORD).status_code == 302


def test_the_cookie_is_httponly_lax_and_scoped_to_the_console(console, make_user):
    name, password = make_user("compliance")
    answer = console.sign_in(name, password)
    cookie = answer.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/console" in cookie
    assert "Secure" not in cookie  # not in production: plain http works for development


def test_in_production_the_cookie_is_secure(settings, tmp_path):
    from dataclasses import replace

    from app import create_app, db
    from tests.conftest import create_schema

    engine = db.make_engine(settings.database_url)
    create_schema(engine)
    engine.dispose()
    app = create_app(replace(settings, environment="production"))
    assert app.config["SESSION_COOKIE_SECURE"] is True
    app.extensions["dealguard.db_engine"].dispose()


def test_the_api_still_sets_no_cookie(client, crm):
    answer = client.get("/v1/policy", headers=crm)
    assert answer.status_code == 200 and "Set-Cookie" not in answer.headers


def test_a_post_without_its_csrf_token_is_refused(console, make_user):
    name, password = make_user("manager")
    answer = console.client.post("/console/sign-in", data={"name": name, "password": password})
    assert answer.status_code == 400
    assert "This form was not sent from this page of dealguard" in answer.get_data(as_text=True)
    assert console.get("/console/").status_code == 302  # not signed in


def test_sign_out_ends_the_session_and_every_copy_of_its_cookie(app, sign_in):
    console = sign_in("compliance")
    copy = app.test_client()
    cookie = console.client.get_cookie("dealguard_session", path="/console")
    copy.set_cookie("dealguard_session", cookie.value, path="/console")
    assert copy.get("/console/").status_code == 200
    assert console.post_form("/console/sign-out", {}, token_from="/console/").status_code == 302
    assert console.get("/console/").status_code == 302
    assert copy.get("/console/").status_code == 302  # the token of that session is gone


def test_a_session_ends_eight_hours_after_its_sign_in(sign_in, monkeypatch):
    console = sign_in("compliance")
    assert console.get("/console/").status_code == 200
    later = time.time() + 8 * 3600 + 1
    monkeypatch.setattr(time, "time", lambda: later)
    assert console.get("/console/").status_code == 302


def test_a_disabled_user_is_signed_out_and_cannot_sign_in(app, sign_in):
    from app.users import disable_user

    console = sign_in("compliance")
    with app.app_context():
        assert disable_user(database.session(), console.name)
    assert console.get("/console/").status_code == 302
    assert console.sign_in(console.name, NEW_PASSWORD).status_code == 401


def test_the_sixth_wrong_password_waits_even_when_right(console, make_user, app):
    name, password = make_user("manager")
    for _ in range(5):
        assert console.sign_in(name, "wrong password").status_code == 401
    waiting = console.sign_in(name, password)
    assert waiting.status_code == 429
    assert "Try again in 15 min" in waiting.get_data(as_text=True)
    # Another name is not held up by this one.
    other, other_password = make_user("manager", name="someone-else")
    assert console.sign_in(other, other_password).status_code == 302


def test_an_unknown_name_waits_the_same_way(console):
    for _ in range(5):
        assert console.sign_in("nobody", "guess").status_code == 401
    assert console.sign_in("nobody", "guess").status_code == 429


def test_failures_older_than_fifteen_minutes_do_not_count(app, make_user):
    from datetime import UTC, datetime, timedelta

    from app.users import sign_in as check

    name, password = make_user("manager")
    start = datetime.now(UTC)
    with app.app_context():
        session = database.session()
        for _ in range(5):
            assert check(session, name, "wrong", now=start).user is None
        assert check(session, name, password, now=start + timedelta(minutes=14)).wait_seconds
        later = check(session, name, password, now=start + timedelta(minutes=15, seconds=1))
        assert later.user is not None and later.user.name == name


def test_passwords_are_stored_as_argon2id_hashes(app, make_user):
    name, password = make_user("manager")
    with app.app_context():
        stored = database.session().scalar(select(User.password_hash).where(User.name == name))
    assert stored.startswith("$argon2id$") and password not in stored


def test_no_redirect_to_another_site_after_sign_in(console, make_user):
    name, password = make_user("compliance")
    console.sign_in(name, password)
    answer = console.post_form("/console/password", {
        "current": password, "new": NEW_PASSWORD, "repeat": NEW_PASSWORD})
    assert answer.headers["Location"] == "/console/"
    token = console.token("/console/sign-in")
    again = console.client.post("/console/sign-in", data={
        "name": name, "password": NEW_PASSWORD, "csrf_token": token,
        "next": "https://evil.example/console/"})
    assert again.headers["Location"] == "/console/"


def test_console_pages_carry_a_content_security_policy(sign_in):
    console = sign_in("compliance")
    answer = console.get("/console/")
    policy = answer.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert answer.headers["X-Frame-Options"] == "DENY"
    assert answer.headers["Cache-Control"] == "no-store"
