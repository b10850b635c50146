"""Every operation of /openapi.json, area by area, as apispec takes them (app.api.openapi).

Request bodies and answers refer to components: the request schemas generated from
marshmallow, the answers of openapi_responses.py. An operation names the problems it
may answer; build_spec adds 401, 403 and 503 to every operation behind a key.
"""

from __future__ import annotations

import textwrap
from typing import Any

from apispec import APISpec

from app import impact_service
from app.api import paging
from app.api.openapi_responses import ref
from app.api.policy import MAX_IMPACT
from app.approvals import inbox
from app.log.read import export
from app.vocabulary import ACTIONS, OUTCOMES, VERDICTS

TITLES = {
    "discount": "DiscountRequest",
    "shipment": "ShipmentRequest",
    "claim": "ClaimRequest",
    "disclosure": "DisclosureRequest",
    "offer": "OfferRequest",
}

SECURED = [{"bearer": []}]

DESCRIPTIONS = {
    400: "Body is not JSON, or not a JSON object",
    401: "No key, unknown key or revoked key",
    403: "The key may not do this: its role may not (crm, manager, approver, compliance, "
         "admin; CONTRACT §6), or a person's key (manager, approver) named another "
         "actor.id or actor.role, or asserted an approval",
    404: "Not found",
    409: "request_id reused with another body",
    413: "Body over DEALGUARD_MAX_BODY",
    415: "Content type is not JSON",
    422: "Schema or business-value violation; `errors` names each field",
    503: "The decision log or the database cannot be used now, or no policy is loaded",
}

# The query parameters the three statistics endpoints share, as components.
PARAMETERS = {
    "StatsPeriod": {"name": "period", "in": "query", "schema": {
        "type": "string", "enum": ["day", "week", "month", "quarter"], "default": "week"},
        "description": "Calendar period; a week is the ISO week, Monday first."},
    "StatsAt": {"name": "at", "in": "query", "schema": {"type": "string", "format": "date"},
                "description": "A date inside the (last) period; default today in the "
                               "configured zone."},
    "StatsManager": {"name": "manager_id", "in": "query", "schema": {"type": "string"},
                     "description": "One manager: activities by manager_id, decisions by "
                                    "actor.id; default all. A manager key gets its own and "
                                    "may not ask for another (403)."},
    "StatsMetric": {"name": "metric", "in": "query", "required": True,
                    "schema": {"type": "string"},
                    "description": "One of the metrics of /v1/stats, e.g. deals_amount."},
    "StatsCount": {"name": "count", "in": "query", "schema": {
        "type": "integer", "minimum": 1, "maximum": 104, "default": 12}},
}



def _in_query(name: str, description: str | None = None, **schema: Any) -> dict[str, Any]:
    """A query parameter of text (an `enum` may narrow it)."""
    parameter = {"name": name, "in": "query", "schema": {"type": "string", **schema}}
    if description is not None:
        parameter["description"] = description
    return parameter


# The log's filters (CONTRACT §5), as query parameters.
FILTERS = [
    _in_query("action", enum=list(ACTIONS)),
    _in_query("outcome", enum=list(OUTCOMES)),
    _in_query("principle", "Decisions with a reason of this principle."),
    _in_query("rule", "Decisions with a reason of this rule."),
    _in_query("actor_id", "A manager key always sees only its own actor.id."),
    _in_query("client_id"),
    _in_query("subject_id", "A deal, order, offer or claim id (a claim or shipment also by "
              "its order)."),
    _in_query("since", "ISO date (that whole day, service time zone) or date-time; inclusive."),
    _in_query("until", "ISO date (that whole day included) or date-time (inclusive)."),
]


def add_all(spec: APISpec) -> None:
    """Every area's operations."""
    for area in (add_decisions, add_policy, add_service, add_activities, add_stats, add_log,
                 add_approvals, add_webhooks):
        area(spec)


def problems(*codes: int) -> dict[str, Any]:
    return {str(code): {"description": DESCRIPTIONS[code]} for code in codes}


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


def _ok(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"200": {"description": description, "content": _json(schema)}}


def _text(block: str) -> str:
    """A multi-line description, written indented in the source."""
    return textwrap.dedent(block).lstrip("\n")


def add_decisions(spec: APISpec) -> None:
    request_body = {
        "oneOf": [ref(title) for title in TITLES.values()],
        "discriminator": {"propertyName": "action",
                          "mapping": {action: f"#/components/schemas/{title}"
                                      for action, title in TITLES.items()}},
    }
    spec.path("/v1/decisions", operations={"post": {
        "summary": "Decide one proposed action and log the decision",
        "description": "A person's key (manager, approver) asks only as itself: actor.id "
                       "and actor.role are its person and job role, and it sends no "
                       "approvals {role, by} (else 403).",
        "security": SECURED,
        "requestBody": {"required": True, "content": _json(request_body)},
        "responses": {**_ok("The decision (already logged)", ref("Decision")),
                      **problems(400, 409, 413, 415, 422)},
    }})
    spec.path("/v1/decisions/batch", operations={"post": {
        "summary": "Decide up to 100 requests; invalid items are answered by a problem",
        "security": SECURED,
        "requestBody": {"required": True, "content": _json({
            "type": "object", "required": ["requests"],
            "properties": {"requests": {"type": "array", "maxItems": 100,
                                        "items": request_body}}})},
        "responses": {**_ok("Decisions or problems, in request order", ref("DecisionBatch")),
                      **problems(400, 413, 415, 422)},
    }})


def add_policy(spec: APISpec) -> None:
    yaml_body = {"required": True, "content": {"text/yaml": {"schema": {"type": "string"}}}}
    invalid = {"422": {"description": "The policy is not valid: its line-numbered errors",
                       "content": {"application/problem+json": {
                           "schema": ref("PolicyProblem")}}}}
    spec.path("/v1/policy", operations={"get": {
        "summary": "The running policy: name, version, sha256, principles, rules",
        "security": SECURED,
        "responses": _ok("The policy", ref("Policy")),
    }})
    spec.path("/v1/policy/validate", operations={"post": {
        "summary": "Check a candidate rules.yaml; line-numbered errors",
        "security": SECURED,
        "requestBody": yaml_body,
        "responses": {**_ok("The policy is valid: its rules", ref("PolicyValidation")),
                      **problems(400, 413), **invalid,
                      "415": {"description": "A multipart or form body"}},
    }})
    spec.path("/v1/policy/reload", operations={"post": {
        "summary": "Import the policy file as a new version and publish it (admin); on "
                   "error the running policy stays",
        "security": SECURED,
        "responses": {**_ok("The new policy", ref("Policy")), **invalid},
    }})
    add_versions(spec, yaml_body)
    window = [p for p in FILTERS if p["name"] in ("since", "until", "action")]
    spec.path("/v1/policy/impact", operations={"post": {
        "summary": "Replay logged decisions under a candidate rules.yaml; what would change. "
                   "Writes nothing.",
        "security": SECURED,
        "parameters": window + [{"name": "limit", "in": "query", "schema": {
            "type": "integer", "minimum": 1, "maximum": MAX_IMPACT,
            "default": impact_service.DEFAULT_LIMIT}}],
        "requestBody": {"required": True,
                        "content": {"application/yaml": {"schema": {"type": "string"}}}},
        "responses": {**_log_answers("{replayed, changed, unchanged, errors, by_transition, "
                                     "samples, error_samples, candidate}", _json(ref("Impact")),
                                     400, 401, 403, 413, 415, 503),
                      "422": {"description": "A parameter or the candidate is not valid; "
                                             "`errors` says why.",
                              "content": {"application/problem+json": {"schema": {"oneOf": [
                                  ref("Problem"), ref("PolicyProblem")]}}}}},
    }})


def add_versions(spec: APISpec, yaml_body: dict[str, Any]) -> None:
    """CONTRACT §12: the versions, their diff, publish, shadow and its report."""
    version_id = {"name": "version_id", "in": "path", "required": True,
                  "schema": {"type": "integer", "minimum": 1}}
    missing = problems(404)
    # A parameter refused (a Problem), or a policy that is not valid or cannot be loaded
    # (a PolicyProblem with its line-numbered errors).
    invalid = {"422": {"description": "A parameter, or the policy, is not valid; `errors` "
                                      "says why.",
                       "content": {"application/problem+json": {"schema": {"oneOf": [
                           ref("Problem"), ref("PolicyProblem")]}}}}}
    conflict = {"409": {"description": "Another publish or shadow run won a race, or the "
                                       "active version cannot be its own shadow"}}
    spec.path("/v1/policy/versions", operations={
        "post": {
            "summary": "Propose a rules.yaml as a draft version (admin); checked as "
                       "/validate checks it",
            "security": SECURED,
            "parameters": [{"name": "comment", "in": "query",
                            "schema": {"type": "string", "maxLength": 1000}}],
            "requestBody": yaml_body,
            "responses": {"201": {"description": "The draft",
                                  "content": _json(ref("PolicyVersion"))},
                          **problems(400, 413), **invalid,
                          "415": {"description": "A multipart or form body"}},
        },
        "get": {
            "summary": "Every policy version, newest first",
            "security": SECURED,
            "responses": _ok("The history", ref("PolicyVersions")),
        },
    })
    spec.path("/v1/policy/versions/{version_id}", operations={"get": {
        "summary": "One version, with its text",
        "security": SECURED,
        "parameters": [version_id],
        "responses": {**_ok("The version", ref("PolicyVersionText")), **missing},
    }})
    spec.path("/v1/policy/versions/{version_id}/diff", operations={"get": {
        "summary": "What the version changes: parameters, table cells, rules (semantic)",
        "security": SECURED,
        "parameters": [version_id, {
            "name": "against", "in": "query",
            "schema": {"type": "string", "pattern": "^(active|[0-9]+)$", "default": "active"},
            "description": "`active` or a version id: the version compared from."}],
        "responses": {**_ok("The changes", ref("PolicyDiff")), **missing, **problems(422)},
    }})
    spec.path("/v1/policy/versions/{version_id}/publish", operations={"post": {
        "summary": "Make the version active on every worker and host within 2 s (admin); "
                   "an older version is the rollback",
        "description": "With DEALGUARD_FOUR_EYES=1 the publisher may not be the author "
                       "(403). A version this process cannot load is refused (422).",
        "security": SECURED,
        "parameters": [version_id],
        "responses": {**_ok("The version, now active", ref("PolicyVersion")),
                      **missing, **conflict, **invalid},
    }})
    spec.path("/v1/policy/versions/{version_id}/shadow", operations={"post": {
        "summary": "Evaluate the version beside the active one on every decision (admin); "
                   "the answers stay the active one's",
        "security": SECURED,
        "parameters": [version_id],
        "responses": {**_ok("The version, now in shadow", ref("PolicyVersion")),
                      **missing, **conflict, **invalid},
    }})
    spec.path("/v1/policy/shadow", operations={
        "delete": {
            "summary": "Stop the shadow run (admin); its results stay",
            "security": SECURED,
            "responses": _ok("The version that ran, or null", ref("ShadowStopped")),
        },
        "get": {
            "summary": "What the shadow version would have changed on live traffic",
            "security": SECURED,
            "parameters": [{"name": "version_id", "in": "query",
                            "schema": {"type": "integer", "minimum": 1},
                            "description": "A version whose run ended; default the one "
                                           "running."}],
            "responses": {**_ok("Counted by the database", ref("ShadowReport")),
                          **problems(404, 422)},
        },
    })


def add_service(spec: APISpec) -> None:
    spec.path("/health/live", operations={"get": {
        "summary": "The process answers", "responses": _ok("Alive", ref("Live"))}})
    spec.path("/health/ready", operations={"get": {
        "summary": "Database reachable, a policy loaded, the log writable now",
        "responses": {**_ok("Ready", ref("Ready")),
                      "503": {"description": "Not ready: what is not",
                              "content": {"application/problem+json": {
                                  "schema": ref("NotReady")}}}}}})
    spec.path("/metrics", operations={"get": {
        "summary": "Prometheus metrics",
        "responses": {"200": {"description": "Prometheus text format",
                              "content": {"text/plain": {"schema": {"type": "string"}}}}}}})


def add_activities(spec: APISpec) -> None:
    spec.path("/v1/activities", operations={"post": {
        "summary": "Report sales activity events (at most 1000 per call)",
        "description": _text("""
            Each event is `{id, type, manager_id, client_id, occurred_at, amount, outcome}`.
            `type` is call, meeting, offer_sent, contract_signed or payment_received;
            `occurred_at` is an ISO date-time with its UTC offset (a naive time is a 422);
            `amount` (a JSON number >= 0, at most two decimals) is required for
            contract_signed and payment_received and refused for the other types;
            `outcome` (connected or no_answer) belongs to calls only.

            The batch is stored whole or not at all. An id stored before with the same
            content (the same instant in any offset, the same amount) is counted in
            `duplicates` and not stored again. An id stored before, or given twice in
            the batch, with other content is a 409 naming `events.N.field`, and nothing
            of the batch is stored: the first version of an event is kept, and a
            corrected event needs a new id.
            """),
        "tags": ["statistics"],
        "security": SECURED,
        "requestBody": {"required": True, "content": _json(ref("ActivityBatch"))},
        "responses": {
            **_ok("The batch was stored.", ref("ActivitiesStored")),
            "400": {"description": "The body is not a JSON object."},
            "401": {"description": "No key, an unknown or revoked key."},
            "403": {"description": "Only crm and admin keys report activities."},
            "409": {"description": "An event id was used before for other content."},
            "413": {"description": "The body is over the limit."},
            "415": {"description": "The body is not JSON."},
            "422": {"description": "Invalid events, by field path, e.g. events.3.amount."},
        },
    }})


def add_stats(spec: APISpec) -> None:
    def read(summary: str, description: str, parameters: list[str],
             ok: dict[str, Any]) -> dict[str, Any]:
        return {"get": {
            "summary": summary,
            "description": _text(description),
            "tags": ["statistics"],
            "security": SECURED,
            "parameters": parameters,
            "responses": {
                "200": ok,
                "401": {"description": "No key, an unknown or revoked key."},
                "403": {"description": "A crm key, or a manager key asking about "
                                       "another manager."},
                "422": {"description": "An invalid query parameter."},
            },
        }}

    period = ["StatsPeriod", "StatsAt", "StatsManager"]
    series = [*period, "StatsMetric", "StatsCount"]
    spec.path("/v1/stats", operations=read(
        "Statistics of a period compared with the previous one", """
        `current` and `previous` are `{start, end}`: ISO dates in the configured zone,
        `end` inclusive. Each metric is `{current, previous, change, change_pct, trend}`;
        trend is up, down, flat, or new (previous 0, current above 0); change_pct is a
        percentage with one decimal, null when previous is 0. Money (deals_amount,
        payments_amount) is a JSON number in RUB. Decisions are counted by the moment
        they were made (decided_at) and attributed to actor.id.
        """, period,
        {"description": "{period, current, previous, manager_id, metrics}",
         "content": _json(ref("StatsComparison"))}))
    spec.path("/v1/stats/series", operations=read(
        "A metric over the last `count` periods, oldest first", """
        `points` are `{start, end, value}` with ISO dates in the configured zone (`end`
        inclusive); the last point is the period containing `at`, which may still be
        in progress.
        """, series,
        {"description": "{metric, period, manager_id, points}",
         "content": _json(ref("StatsSeries"))}))
    spec.path("/v1/stats/chart.svg", operations=read(
        "The same series as /v1/stats/series, as an SVG line chart", """
        Titled, with dated axes, values with thousands separators and the period
        containing `at` marked; ready for a weekly report.
        """, series,
        {"description": "The chart.",
         "content": {"image/svg+xml": {"schema": {"type": "string"}}}}))


def add_log(spec: APISpec) -> None:
    page = [{"name": "limit", "in": "query",
             "schema": {"type": "integer", "minimum": 1, "maximum": paging.MAX_LIMIT,
                        "default": paging.DEFAULT_LIMIT}},
            {"name": "cursor", "in": "query", "schema": {"type": "string"},
             "description": "next_cursor of the previous page, unchanged."}]
    spec.path("/v1/decisions", operations={"get": {
        "summary": "The log, newest first: filters, limit (<= 500) and an opaque cursor; "
                   "{items, next_cursor}.",
        "security": SECURED,
        "parameters": FILTERS + page,
        "responses": _log_answers("{items, next_cursor}; items newest first",
                                  _json(ref("DecisionPage")), 401, 403, 422, 503)}})
    spec.path("/v1/decisions/{decision_id}", operations={"get": {
        "summary": "One full record: the answer, masked request, facts, key name, seq and "
                   "hashes.",
        "security": SECURED,
        "parameters": [{"name": "decision_id", "in": "path", "required": True,
                        "schema": {"type": "string"}}],
        "responses": _log_answers("The full record", _json(ref("DecisionRecord")),
                                  401, 403, 404, 503)}})
    spec.path("/v1/decisions/export", operations={"get": {
        "summary": "The masked log as CSV or JSON lines (format=csv|jsonl), streamed, oldest "
                   "first.",
        "security": SECURED,
        "parameters": [{"name": "format", "in": "query",
                        "schema": {"type": "string", "enum": list(export.FORMATS),
                                   "default": "csv"}}] + FILTERS,
        "responses": _log_answers("text/csv with a header row, or application/x-ndjson",
                                  {media: {"schema": {"type": "string"}}
                                   for media in export.MEDIA_TYPES.values()},
                                  401, 403, 422)}})
    spec.path("/v1/decisions/verify", operations={"get": {
        "summary": "Re-compute the hash chain: {ok, checked, first_bad_seq, problem}.",
        "security": SECURED,
        "responses": _log_answers("{ok, checked, first_bad_seq, problem}, and `digests` "
                                  "(what was checked against the signed digests) when "
                                  "DEALGUARD_DIGEST_DIR is set",
                                  _json(ref("Verification")), 401, 403, 422, 503)}})


def add_approvals(spec: APISpec) -> None:
    problem = {"application/problem+json": {"schema": ref("Problem")}}
    answers = {400: "The body is not a JSON object.",
               403: "Not an approver key; or its job role does not meet any of the "
                    "decision's required_approvals; or the approver is the decision's actor "
                    "(four eyes).",
               404: "No decision with this id.",
               409: "The decision's outcome is not require_approval (checked first), or "
                    "this job role has given its verdict on it already.",
               413: "The body is over the limit.", 415: "The body is not JSON.",
               422: "verdict is not approve or decline, the comment is over 1000 "
                    "characters, or a decline has no comment."}
    spec.path("/v1/decisions/{decision_id}/approvals", operations={"post": {
        "summary": "An approver's verdict on a require_approval decision; the approval "
                   "record, in the log's hash chain.",
        "description": _text("""
            `role` and `by` are the key's job role and person. The approval expires
            `approval_valid_hours` (a parameter of the policy) after it is given. A later
            request references it as `"approvals": [{"approval_id": "..."}]`; it counts
            only on the same proposal."""),
        "security": SECURED,
        "parameters": [{"name": "decision_id", "in": "path", "required": True,
                        "schema": {"type": "string"}}],
        "requestBody": {"required": True, "content": _json({
            "type": "object", "additionalProperties": False, "required": ["verdict"],
            "properties": {
                "verdict": {"type": "string", "enum": list(VERDICTS)},
                "comment": {"type": "string", "maxLength": 1000, "nullable": True,
                            "description": "Why; required to decline."}}})},
        "responses": {"201": {"description": "The approval record",
                              "content": _json(ref("Approval"))},
                      **{str(status): {"description": text, "content": problem}
                         for status, text in answers.items()}},
    }})
    spec.path("/v1/approvals", operations={"get": {
        "summary": "The approvals inbox (pending) and the approved and declined records, "
                   "newest first.",
        "description": _text("""
            `pending`: the require_approval decisions of the last `approval_valid_hours`
            that still have a requirement the caller's job role meets and no verdict from
            that role (a commercial director also sees head-of-sales requirements); a
            manager sees its own decisions; crm, compliance and admin every queue.
            `approved` and `declined`: the approval records the caller may read."""),
        "security": SECURED,
        "parameters": [
            _in_query("status", None, enum=list(inbox.STATUSES), default="pending"),
            {"name": "limit", "in": "query",
             "schema": {"type": "integer", "minimum": 1, "maximum": paging.MAX_LIMIT,
                        "default": paging.DEFAULT_LIMIT}},
            {"name": "cursor", "in": "query", "schema": {"type": "string"},
             "description": "next_cursor of the previous page, unchanged."}],
        "responses": _log_answers("{items, next_cursor}", _json(ref("ApprovalPage")),
                                  401, 403, 422, 503)}})


def _log_answers(ok: str, content: dict, *statuses: int) -> dict[str, Any]:
    """The log's and impact's answers: 200 with `content`, each status a problem."""
    texts = {400: "The candidate is not UTF-8 text.", 413: "The body is over the limit.",
             401: "No key, an unknown or revoked key.", 403: "This key's role may not.",
             404: "No such decision (or another manager's).", 415: "Not a YAML text body.",
             422: "A parameter (or the candidate) is not valid; `errors` names it.",
             503: "The log cannot be read."}
    problem = {"application/problem+json": {"schema": ref("Problem")}}
    return {"200": {"description": ok, "content": content},
            **{str(s): {"description": texts[s], "content": problem} for s in statuses}}


def add_webhooks(spec: APISpec) -> None:
    texts = {400: "The body is not a JSON object.", 401: "No key, an unknown or revoked key.",
             403: "Only admin keys manage webhooks.", 404: "No such webhook (or deleted).",
             413: "The body is over the limit.", 415: "The body is not JSON.",
             422: "The webhook is not valid; `errors` names each field. Nothing was "
                  "registered.",
             503: "The database cannot be used now."}

    def answers(ok: dict[str, Any], *statuses: int) -> dict[str, Any]:
        problem = {"application/problem+json": {"schema": ref("Problem")}}
        return {**ok, **{str(s): {"description": texts[s], "content": problem}
                         for s in statuses}}

    webhook_id = [{"name": "webhook_id", "in": "path", "required": True,
                   "schema": {"type": "string"}}]
    spec.path("/v1/webhooks", operations={
        "post": {
            "summary": "Register a webhook (admin): {url, events, secret}",
            "description": _text("""
                `url` is http or https; `events` names the events to receive, among
                decision.denied, decision.require_approval, approval.approved and
                approval.declined; `secret` (16 to 256 characters) signs every delivery:
                `X-Dealguard-Signature: sha256=<hex HMAC-SHA256(secret, raw body)>`. The
                secret is stored sealed and never shown again. Events of decisions made
                from about a second after the registration on are delivered.
                """),
            "tags": ["webhooks"],
            "security": SECURED,
            "requestBody": {"required": True, "content": _json(ref("WebhookRegistration"))},
            "responses": answers({"201": {"description": "Registered",
                                          "content": _json(ref("Webhook"))}},
                                 400, 401, 403, 413, 415, 422, 503),
        },
        "get": {
            "summary": "The registered webhooks (admin), oldest first",
            "tags": ["webhooks"],
            "security": SECURED,
            "responses": answers(_ok("{items}", ref("WebhookList")), 401, 403, 503),
        },
    })
    spec.path("/v1/webhooks/{webhook_id}", operations={"delete": {
        "summary": "Delete a webhook (admin): no new deliveries; its pending ones fail",
        "tags": ["webhooks"],
        "security": SECURED,
        "parameters": webhook_id,
        "responses": answers({"204": {"description": "Deleted"}}, 401, 403, 404, 503),
    }})
    spec.path("/v1/webhooks/{webhook_id}/deliveries", operations={"get": {
        "summary": "A webhook's latest 100 deliveries (admin), newest first",
        "description": _text("""
            Each delivery is one event to this webhook; its `id` is the
            X-Dealguard-Delivery header the receiver gets. `state` is pending (to be
            tried at `next_attempt_at`), delivered (a 2xx answer) or failed (no 2xx
            for 24 hours; the delay doubles from 1 s up to 1 h between attempts).
            `last_error` is a short excerpt of what went wrong, never a whole answer.
            """),
        "tags": ["webhooks"],
        "security": SECURED,
        "parameters": webhook_id,
        "responses": answers(_ok("{items}", ref("WebhookDeliveryList")), 401, 403, 404, 503),
    }})
