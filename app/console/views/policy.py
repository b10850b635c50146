"""The policy as the business reads it (everyone), and a candidate's impact on the last
30 days (compliance, admin): the same loader and replay as POST /v1/policy/impact."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app, render_template
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import SQLAlchemyError

from app import impact_service
from app.api import database
from app.console import blueprint, identity
from app.console.forms import CandidateForm, ProposeForm
from app.console.locale import language
from app.engine.messages import display
from app.engine.model import (
    AllOf,
    AnyOf,
    Compare,
    Condition,
    Not,
    Operand,
    PolicyModel,
    Rule,
    Table,
)
from app.log.read.query import Filters, parse_instant
from app.policy_holder import PolicyUnavailable, problems_of
from app.review_service import IMPACT_DAYS
from app.stats.periods import today

MAX_CANDIDATE = 1024 * 1024
OPERATORS = {"eq": "=", "ne": "≠", "lt": "<", "le": "≤", "gt": ">", "ge": "≥",
             "in": _l("in"), "not_in": _l("not in")}


@blueprint.get("/policy")
@identity.allowed("manager", "approver", "compliance", "admin")
def policy() -> tuple[str, int] | str:
    try:
        running = current_app.extensions["dealguard.policy"].current()
    except PolicyUnavailable:
        return render_template("console/policy.html", policy=None), 503
    model = running.model
    lang = language()
    rules = [{"rule": rule, "description": in_language(rule, lang), "cases": [
        {"case": case, "when": describe(case.when, model),
         "message": dict(case.translations).get(lang, case.message)}
        for case in rule.cases]} for rule in model.rules]
    tables = [{"table": table, "description": in_language(table, lang)}
              for table in model.tables.values()]
    return render_template("console/policy.html", policy=running, model=model, rules=rules,
                           tables=tables, shown=shown)


def in_language(described: Rule | Table, lang: str) -> str:
    """A rule's or a table's description in `lang` where the policy has it, else English."""
    return dict(described.description_translations).get(lang, described.description)


def describe(condition: Condition, model: PolicyModel) -> str:
    """A condition as a line people read, each limit with its value:
    `client.is_new = true and line.discount_percent > new_client_approval_above (0)`."""
    if isinstance(condition, Compare):
        return (f"{condition.field} {OPERATORS.get(condition.op, condition.op)} "
                f"{_operand(condition.operand, model)}")
    if isinstance(condition, AllOf | AnyOf):
        if not condition.items:
            return _("always")
        joint = " " + (_("and") if isinstance(condition, AllOf) else _("or")) + " "
        return joint.join(_grouped(item, model) for item in condition.items)
    if isinstance(condition, Not):
        return _("not") + " " + _grouped(condition.item, model)
    return str(condition)


def _grouped(condition: Condition, model: PolicyModel) -> str:
    text = describe(condition, model)
    many = isinstance(condition, AllOf | AnyOf) and len(condition.items) > 1
    return f"({text})" if many else text


def _operand(value: Operand, model: PolicyModel) -> str:
    if value.kind == "param":
        return f"{value.value} ({shown(model.parameters.get(value.value))})"
    if value.kind == "table":
        table = model.tables.get(value.value)
        row_key = table.row_key if table else "?"
        return _("the %(column)s column of %(table)s for the %(row)s",
                 column=value.column, table=value.value, row=row_key)
    if value.kind == "field":
        return str(value.value)
    return shown(value.value)


def shown(value: object) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(shown(v) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return display(value)


@blueprint.route("/impact", methods=["GET", "POST"])
@identity.allowed("compliance", "admin")
def impact() -> tuple[str, int] | str:
    form = CandidateForm()
    zone_name = current_app.config["SETTINGS"].timezone
    if not form.is_submitted():
        end = today_in(zone_name)
        form.since.data, form.until.data = end - timedelta(days=IMPACT_DAYS), end
        return render_template("console/impact.html", form=form)
    if not form.validate():
        return render_template("console/impact.html", form=form), 422
    try:
        text = candidate_text(form)
    except NoCandidate as refused:
        return render_template("console/impact.html", form=form, error=str(refused)), 422
    from app.engine import load_policy_text

    try:
        candidate = load_policy_text(text, "candidate.yaml")
    except Exception as error:  # noqa: BLE001 - every failure is an answer about the file
        return render_template("console/impact.html", form=form,
                               problems=problems_of(error)), 422
    filters = Filters(
        since=parse_instant(form.since.data.isoformat(), zone_name, end_of_day=False)
        if form.since.data else None,
        until=parse_instant(form.until.data.isoformat(), zone_name, end_of_day=True)
        if form.until.data else None)
    try:
        answer = impact_service.impact(database.db_engine(), candidate, filters,
                                       impact_service.DEFAULT_LIMIT, zone_name)
    except SQLAlchemyError:
        return render_template("console/impact.html", form=form,
                               error=_("The decision log cannot be read; try again.")), 503
    return render_template("console/impact.html", form=form, answer=answer)


class NoCandidate(Exception):
    """The form holds no readable policy text; the message says why, for the person."""


def candidate_text(form: CandidateForm | ProposeForm) -> str:
    """The uploaded file's text, else the pasted one; raises NoCandidate when there is
    none, or the file is not UTF-8 text, or it is larger than a policy can be."""
    upload = form.file.data
    if upload is not None and getattr(upload, "filename", ""):
        raw = upload.read(MAX_CANDIDATE + 1)
        if len(raw) > MAX_CANDIDATE:
            raise NoCandidate(_("The file is larger than %(kib)s KiB: it cannot be a "
                                "rules.yaml.", kib=MAX_CANDIDATE // 1024))
        if not raw.strip():
            raise NoCandidate(_("The file is empty. Upload a rules.yaml, or paste its text."))
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            text = None
        if text is None or "\x00" in text:
            raise NoCandidate(_("The file is not text (UTF-8): upload the rules.yaml itself."))
        return text
    if form.text.data and form.text.data.strip():
        return form.text.data
    raise NoCandidate(_("Upload a rules.yaml, or paste its text."))


def today_in(zone_name: str):
    from zoneinfo import ZoneInfo

    return today(ZoneInfo(zone_name))
