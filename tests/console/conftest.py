"""Console fixtures: users, and a signed-in browser-like client (cookies, CSRF tokens).

    make_user(role, name=None, **person) -> (name, one-time password)
    console    a test client with helpers: form_token(path), post_form(path, data)
    sign_in    sign_in(role="manager", **person) -> the signed-in console client
               (its one-time password already changed); a manager is m-1 unless told
"""

from __future__ import annotations

import itertools
import re
from typing import Any

import pytest

from app.api import database
from app.users import create_user

NEW_PASSWORD = "a-long-new-password-1"
TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
_names = itertools.count(1)


@pytest.fixture
def make_user(app):
    def make(role: str, name: str | None = None, person_id: str | None = None,
             job_role: str | None = None, full_name: str | None = None) -> tuple[str, str]:
        if role == "manager":
            person_id = person_id or "m-1"
        elif role == "approver":
            person_id = person_id or "a-1"
            job_role = job_role or "head_of_sales"
        name = name or f"{role}-{next(_names)}"
        with app.app_context():
            password = create_user(database.session(), name, role, person_id, job_role,
                                   full_name)
        return name, password

    return make


class Console:
    """A test client that reads the CSRF token of a page before it posts, as a browser."""

    def __init__(self, client) -> None:
        self.client = client

    def get(self, path: str, **kw: Any):
        return self.client.get(path, **kw)

    def token(self, path: str) -> str:
        page = self.client.get(path)
        found = TOKEN.search(page.get_data(as_text=True))
        assert found, f"no CSRF token on {path} ({page.status_code})"
        return found.group(1)

    def post_form(self, path: str, data: dict[str, Any], token_from: str | None = None,
                  **kw: Any):
        token = self.token(token_from or path)
        return self.client.post(path, data={**data, "csrf_token": token}, **kw)

    def sign_in(self, name: str, password: str):
        return self.post_form("/console/sign-in", {"name": name, "password": password})


@pytest.fixture
def console(client) -> Console:
    return Console(client)


@pytest.fixture
def sign_in(console, make_user):
    def signed_in(role: str = "manager", **person: Any) -> Console:
        name, password = make_user(role, **person)
        answer = console.sign_in(name, password)
        assert answer.status_code == 302, answer.get_data(as_text=True)
        changed = console.post_form("/console/password", {
            "current": password, "new": NEW_PASSWORD, "repeat": NEW_PASSWORD})
        assert changed.status_code == 302, changed.get_data(as_text=True)
        console.name = name
        return console

    return signed_in
