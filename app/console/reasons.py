"""A logged decision's reasons in the reader's language (CONTRACT §11).

The log keeps each reason's message in English, as it was answered in English: that
text is evidence and is never changed. A page that shows a logged decision in another
language renders each reason again from its rule's message in that language, with the
values of the facts logged beside it, exactly as the API renders an answer in the
language of Accept-Language (app.engine.messages.render).

The rule is looked up in the policy the decision was made under (its sha256 and
version id, as logged), else in the active policy. A case counts only when its English
message, rendered from the same facts, is the logged message word for word: so a
translation never says something the log does not. Whatever cannot be matched (an
unknown rule or case, a policy that changed, a fact not logged) stays as logged.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from typing import Any

from flask import current_app
from sqlalchemy import Connection, select
from sqlalchemy.exc import SQLAlchemyError

from app.api import database
from app.console.locale import DEFAULT_LANGUAGE, language
from app.engine.messages import render
from app.engine.model import PolicyModel, Rule
from app.jsontext import loads
from app.log.models import Decision
from app.policy_holder import PolicyUnavailable
from app.versions import store

log = logging.getLogger(__name__)
# Parsed policies of past versions, by sha256 (the text's hash, so the same in every
# database); None: that version cannot be read as a policy here.
KEEP_MODELS = 8
_models: OrderedDict[str, PolicyModel | None] = OrderedDict()
_lock = threading.Lock()


def in_language(records: Iterable[dict[str, Any]], lang: str | None = None,
                connection: Connection | None = None) -> None:
    """Give each record's `reasons` their messages in `lang` (the page's language).

    A record is a logged decision as a page holds it: `reasons`, and, when the page
    has them, `facts` and `policy`; for the others (an inbox item, a summary) they
    are read from the log by `decision_id`, on `connection` or a new one. Each reason
    dict is replaced, never changed in place; `logged_message` keeps the English.
    """
    lang = lang or language()
    if lang == DEFAULT_LANGUAGE:
        return
    wanted = [record for record in records if record.get("reasons")]
    missing = [record["decision_id"] for record in wanted
               if "facts" not in record and record.get("decision_id")]
    logged = _logged(missing, connection) if missing else {}
    for record in wanted:
        source = record if "facts" in record else logged.get(record.get("decision_id"), {})
        model = _model(source.get("policy") or {})
        if model is None:
            continue
        facts = [fact for fact in source.get("facts") or () if isinstance(fact, dict)]
        record["reasons"] = [_reason(reason, facts, model, lang) for reason in record["reasons"]]


def _reason(reason: dict[str, Any], facts: list[dict[str, Any]], model: PolicyModel,
            lang: str) -> dict[str, Any]:
    message = reason.get("message")
    rule = next((r for r in model.rules if r.id == reason.get("rule")), None)
    translated = _translated(reason, rule, facts, model, lang) if rule is not None else None
    if translated is None:
        return reason
    return {**reason, "message": translated, "logged_message": message}


def _translated(reason: dict[str, Any], rule: Rule, facts: list[dict[str, Any]],
                model: PolicyModel, lang: str) -> str | None:
    for fact in _candidates(reason, rule, facts):
        for case in rule.cases:
            template = dict(case.translations).get(lang)
            if (template and case.outcome == reason.get("outcome")
                    and case.approver == reason.get("approver")
                    and render(case.message, fact, model) == reason.get("message")):
                return render(template, fact, model)
    return None


def _candidates(reason: dict[str, Any], rule: Rule,
                facts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The facts the rule may have judged: the request's, or its offer line's."""
    if not facts:
        return []
    if not rule.per_line:
        return facts[:1]
    lines = facts[1:]
    same_item = [fact for fact in lines if fact.get("line.item") == reason.get("item")]
    return same_item or lines


def _logged(decision_ids: list[str], connection: Connection | None) -> dict[str, dict]:
    """Each decision's `facts` and `policy` as logged, by decision id."""
    statement = select(Decision.decision_id, Decision.document).where(
        Decision.decision_id.in_(decision_ids))
    try:
        if connection is not None:
            rows = connection.execute(statement).all()
        else:
            with database.db_engine().connect() as fresh:
                rows = fresh.execute(statement).all()
    except SQLAlchemyError as error:  # the page still shows the logged English
        log.warning("reasons: the log could not be read (%s)", type(error).__name__)
        return {}
    found = {}
    for decision_id, text in rows:
        document = loads(text)
        found[decision_id] = {"facts": document.get("facts"), "policy": document.get("policy")}
    return found


def _model(policy: Mapping[str, Any]) -> PolicyModel | None:
    """The policy a decision was made under, else the active one (None: none loaded)."""
    holder = current_app.extensions["dealguard.policy"]
    try:
        active = holder.current()
    except PolicyUnavailable:
        active = None
    sha = policy.get("sha256")
    if active is not None and (not sha or active.sha256 == sha):
        return active.model
    past = _past_model(str(sha), policy.get("version_id"))
    if past is not None:
        return past
    return active.model if active is not None else None


def _past_model(sha: str, version_id: Any) -> PolicyModel | None:
    with _lock:
        if sha in _models:
            _models.move_to_end(sha)
            return _models[sha]
    if not isinstance(version_id, int):
        return None  # decided before versions were kept: only its sha256 is known
    try:
        row = store.get(database.db_engine(), version_id)
    except (SQLAlchemyError, store.VersionNotFound):
        return None
    model = None
    if row.sha256 == sha:
        from app.engine.loader import parse_policy

        try:
            model = parse_policy(row.text, f"version-{version_id}.yaml")
        except Exception:  # noqa: BLE001 - a version this code cannot read: the active one
            log.warning("reasons: policy version %s cannot be read here", version_id)
    with _lock:
        _models[sha] = model
        while len(_models) > KEEP_MODELS:
            _models.popitem(last=False)
    return model
