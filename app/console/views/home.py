"""The start page, the navigation every page shows, and the first-sign-in guard."""

from __future__ import annotations

from flask import redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug import Response

from app.console import blueprint, identity
from app.console.forms import LanguageForm, PostForm

# Pages a user whose one-time password is not yet changed may still open.
BEFORE_PASSWORD = {"console.change_password", "console.sign_out", "console.static",
                   "console.choose_language", "console.sign_in"}

# (endpoint, label, who sees it): the menu, in this order. Pages built later by other
# areas (the approvals inbox, webhooks, policy versions) add their entries here.
NAVIGATION = (
    ("console.check", _l("Check"), ("manager", "approver", "admin")),
    ("console.my_decisions", _l("My decisions"), ("manager", "approver")),
    ("console.inbox_page", _l("Approvals"), ("manager", "approver")),
    ("console.my_week", _l("My week"), ("manager",)),
    ("console.team", _l("Team"), "team"),
    ("console.log", _l("Decision log"), ("compliance", "admin")),
    ("console.register", _l("Approvals register"), ("compliance", "admin")),
    ("console.impact", _l("Impact"), ("compliance", "admin")),
    ("console.policy", _l("Policy"), ("manager", "approver", "compliance", "admin")),
    ("console.versions_page", _l("Policy versions"), ("compliance", "admin")),
    ("console.shadow_report", _l("Shadow report"), ("compliance", "admin")),
    ("console.keys", _l("Keys"), ("admin",)),
    ("console.users", _l("Users"), ("admin",)),
    ("console.webhooks", _l("Webhooks"), ("admin",)),
)


@blueprint.before_request
def _first_sign_in() -> Response | None:
    if (current_user.is_authenticated and identity.user().must_change_password
            and request.endpoint not in BEFORE_PASSWORD):
        return redirect(url_for("console.change_password", next=request.full_path))
    return None


@blueprint.app_context_processor
def _page_context() -> dict:
    if not request.path.startswith("/console"):
        return {}
    # Display-only forms: not read from this request's body, which may be the one
    # refused (a 413 would be raised again while its error page is drawn).
    language_form = LanguageForm(formdata=None)
    language_form.back.data = request.full_path.rstrip("?")
    from app.console.locale import language

    language_form.lang.data = language()
    from app.console import words

    menu = _menu()
    return {"menu": menu, "menu_current": _current(menu), "language_form": language_form,
            "sign_out_form": PostForm(formdata=None), "words": words, "word": words.word}


def _current(menu: list[tuple[str, str]]) -> str | None:
    """The menu entry of this page: the longest address the page's begins with
    (/console/policy/versions is "Policy versions", not also "Policy")."""
    matching = [href for href, _label in menu if request.path.startswith(href)]
    return max(matching, key=len, default=None)


def _menu() -> list[tuple[str, str]]:
    if not current_user.is_authenticated or identity.user().must_change_password:
        return []
    person = identity.user()
    entries = []
    for endpoint, label, who in NAVIGATION:
        if endpoint not in _known_endpoints():
            continue  # an area whose pages are not in this build
        if (who == "team" and person.sees_team) or (who != "team" and person.role in who):
            entries.append((url_for(endpoint), str(label)))
    return entries


def _known_endpoints() -> set[str]:
    from flask import current_app

    return set(current_app.view_functions)


@blueprint.get("/")
@identity.allowed("manager", "approver", "compliance", "admin")
def home() -> str:
    return render_template("console/home.html")
