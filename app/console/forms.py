"""The console's own forms (sign-in, password, language); the check forms are checks.py's.

Every form is a FlaskForm, so every one carries and checks a CSRF token.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import DateField, HiddenField, PasswordField, StringField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, EqualTo, Length, Optional, ValidationError

from app.schemas.strict import has_invisible
from app.users import MIN_PASSWORD_LENGTH
from app.versions.store import MAX_COMMENT


def _visible(form: FlaskForm, field: StringField) -> None:
    """No control or invisible character (the API refuses them in a version's comment)."""
    if field.data and has_invisible(field.data):
        raise ValidationError(_l("Only visible characters, please."))


class SignInForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=64)],
                       render_kw={"autocomplete": "username"})
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=256)],
                             render_kw={"autocomplete": "current-password"})
    next = HiddenField()


class ChangePasswordForm(FlaskForm):
    current = PasswordField(_l("Current password"), validators=[DataRequired()],
                            render_kw={"autocomplete": "current-password"})
    new = PasswordField(_l("New password"),
                        validators=[DataRequired(), Length(min=MIN_PASSWORD_LENGTH, max=256)],
                        render_kw={"autocomplete": "new-password"})
    repeat = PasswordField(_l("New password again"),
                           validators=[DataRequired(), EqualTo("new", _l("The passwords differ."))],
                           render_kw={"autocomplete": "new-password"})


class LanguageForm(FlaskForm):
    lang = StringField(_l("Language"), validators=[AnyOf(("en", "ru"))])
    back = HiddenField()  # the page to go back to


class PostForm(FlaskForm):
    """A form with nothing but its CSRF token: sign-out, and buttons that change a thing."""


class CandidateForm(FlaskForm):
    """A candidate rules.yaml, uploaded as a file or pasted, and the window to replay."""

    file = FileField(_l("Candidate rules.yaml"))
    text = TextAreaField(_l("…or paste its text"))
    since = DateField(_l("Since"), validators=[Optional()])
    until = DateField(_l("Until"), validators=[Optional()])


class ProposeForm(FlaskForm):
    """A candidate rules.yaml to store as a draft version, and why (CONTRACT §12)."""

    file = FileField(_l("Candidate rules.yaml"))
    text = TextAreaField(_l("…or paste its text"))
    comment = StringField(_l("Comment"), validators=[Optional(), Length(max=MAX_COMMENT),
                                                      _visible])


class PersonForm(FlaskForm):
    """A new key or user: its name and role, and the person behind a person's role."""

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=64)])
    role = StringField(_l("Role"), validators=[DataRequired()])
    person_id = StringField(_l("Person id (actor.id) — manager or approver"),
                            validators=[Optional(), Length(max=128)])
    job_role = StringField(_l("Job role — approver"), validators=[Optional()])
    full_name = StringField(_l("Full name (shown in the console)"),
                            validators=[Optional(), Length(max=128)])
