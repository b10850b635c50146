"""The answers' schemas in /openapi.json: what the service really sends.

The answers are built as dicts (app/decision_service.py, app/log/read/records.py, ...),
not by a schema library, so they are written out here. tests/api/test_fuzz.py checks
every answer the fuzzer provokes against them. An object whose keys the service
fixes completely is closed (`additionalProperties: false`); one that another part
of the service may grow (verify, impact) is checked only for what it promises.
"""

from __future__ import annotations

from typing import Any

from app.log.read.lookup import RESPONSE_FIELDS
from app.log.write.outbox import EVENTS
from app.stats.periods import PERIODS
from app.vocabulary import (
    ACTIONS,
    ACTOR_ROLES,
    APPROVAL_PROBLEMS,
    APPROVERS,
    OUTCOMES,
    PRINCIPLES,
    VERDICTS,
)

Schema = dict[str, Any]


def ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def closed(properties: dict[str, Schema], optional: tuple[str, ...] = ()) -> Schema:
    """An object with exactly these keys (all required but `optional`)."""
    return {"type": "object", "properties": properties,
            "required": [name for name in properties if name not in optional],
            "additionalProperties": False}


def open_(properties: dict[str, Schema]) -> Schema:
    """An object with at least these keys; others may come."""
    return {"type": "object", "properties": properties, "required": list(properties)}


STRING = {"type": "string"}
NULLABLE_STRING = {"type": "string", "nullable": True}
INTEGER = {"type": "integer"}
NUMBER = {"type": "number"}
DATE = {"type": "string", "format": "date"}
DATE_TIME = {"type": "string", "format": "date-time"}


def _array(items: Schema, description: str | None = None) -> Schema:
    schema = {"type": "array", "items": items}
    return {**schema, "description": description} if description else schema


PROBLEM = {
    **closed({
        "type": STRING,
        "title": STRING,
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": STRING,
        "errors": {"type": "object", "additionalProperties": _array(STRING),
                   "description": "Messages by field path, e.g. offer.items.2.quantity."},
    }),
    "description": "RFC 9457 problem details.",
}

POLICY_PROBLEM = {
    **closed({
        **PROBLEM["properties"],
        "valid": {"type": "boolean", "enum": [False]},
        "errors": _array(closed({
            "line": {"type": "integer", "nullable": True},
            "path": STRING,
            "message": STRING,
        })),
    }),
    "description": "A rules.yaml that cannot be used: a problem whose `errors` are its "
                   "line-numbered mistakes.",
}

NOT_READY = {
    **closed({**PROBLEM["properties"],
              "checks": {"type": "object", "additionalProperties": STRING}}),
    "description": "A problem naming what is not ready.",
}

REASON = closed({
    "rule": STRING,
    "principle": {"type": "string", "enum": list(PRINCIPLES)},
    "outcome": ref("Outcome"),
    "approver": {"type": "string", "enum": list(APPROVERS), "nullable": True},
    "satisfied_by": {"type": "string", "enum": list(ACTOR_ROLES), "nullable": True},
    "approval_id": {**NULLABLE_STRING, "description": "The approval given in dealguard that "
                    "satisfied this requirement, when one did."},
    "item": {**NULLABLE_STRING, "description": "The offer line (its sku) a line rule judged."},
    "message": STRING,
})

OBLIGATION = closed({"type": STRING, "value": NUMBER, "rule": STRING})

DECISION_PROPERTIES: dict[str, Schema] = {
    "decision_id": {"type": "string", "format": "uuid"},
    "request_id": {"type": "string", "nullable": True, "minLength": 1, "maxLength": 128},
    "action": {"type": "string", "enum": list(ACTIONS)},
    "outcome": ref("Outcome"),
    "required_approvals": _array({"type": "string", "enum": list(APPROVERS)}),
    "reasons": _array(ref("Reason")),
    "obligations": _array(ref("Obligation")),
    "approval_problems": _array(closed({
        "approval_id": STRING,
        "problem": {"type": "string", "enum": list(APPROVAL_PROBLEMS)},
    }), "Referenced approvals that did not count, and why."),
    # version_id: the policy_versions row it was decided under (absent in records
    # from before versions were kept).
    "policy": closed({"name": STRING, "version": STRING, "sha256": STRING,
                      "version_id": INTEGER}, optional=("version_id",)),
    "as_of": DATE,
    "decided_at": DATE_TIME,
    "duration_ms": {"type": "number", "minimum": 0},
}
assert tuple(DECISION_PROPERTIES) == RESPONSE_FIELDS  # the log replays exactly these

DECISION = {**closed(DECISION_PROPERTIES),
            "description": "A decision, already in the log."}

SUMMARY = closed({
    **DECISION_PROPERTIES,
    "actor_id": NULLABLE_STRING,
    "client_id": NULLABLE_STRING,
    "seq": INTEGER,
})

RECORD = closed({
    **DECISION_PROPERTIES,
    "request": {"type": "object", "description": "The request, confidential values masked."},
    "facts": _array({"type": "object"}),
    "key_name": NULLABLE_STRING,
    "request_fingerprint": {"type": "string", "description": "HMAC of the request as sent: "
                            "tells a retry of the same body from another body."},
    "approvals_presented": _array({"oneOf": [
        closed({"role": {"type": "string", "enum": list(ACTOR_ROLES)}, "by": STRING,
                "source": {"type": "string", "enum": ["crm"]}}),
        closed({"approval_id": STRING, "source": {"type": "string", "enum": ["dealguard"]}}),
    ]}, "The approvals the request presented, and who vouches for each: crm (asserted by "
        "the CRM) or dealguard (an approval given here, referenced by its id)."),
    "proposal": {**NULLABLE_STRING, "description": "A require_approval decision: the HMAC "
                 "of the proposal its approvals are given on."},
    "approvals": _array(ref("Approval"), "The approvals given on this decision, oldest first."),
    "seq": INTEGER,
    "hash": STRING,
    "prev_hash": STRING,
})

RULE = closed({
    "id": STRING,
    "principle": {"type": "string", "enum": list(PRINCIPLES)},
    "actions": _array({"type": "string", "enum": list(ACTIONS)}),
    "description": STRING,
})

POLICY = closed({
    "name": STRING,
    "version": STRING,
    "sha256": STRING,
    "loaded_at": DATE_TIME,
    "principles": {"type": "object", "additionalProperties": STRING},
    "rules": _array(ref("Rule")),
    "version_id": {"type": "integer", "nullable": True,
                   "description": "The running version; null when the versions could not be "
                                  "read at start and the file runs as it is."},
})

VERSION_PROPERTIES: dict[str, Schema] = {
    "version_id": INTEGER,
    "name": STRING,
    "version": {**STRING, "description": "The file's own version string."},
    "sha256": STRING,
    "author": {**STRING, "description": "The key (or person) that proposed it; `file` for "
                                        "the import at the first start."},
    "comment": STRING,
    "created_at": DATE_TIME,
    "status": {"type": "string", "enum": ["draft", "active", "retired", "shadow"]},
    "published_at": {**DATE_TIME, "nullable": True},
    "published_by": NULLABLE_STRING,
}

_CHANGE = closed({"name": STRING, "from": {"nullable": True}, "to": {"nullable": True}})

POLICY_DIFF = closed({
    "from": INTEGER,
    "to": INTEGER,
    "settings": _array(_CHANGE),
    "parameters": _array(_CHANGE),
    "tables": _array(closed({"table": STRING, "row": STRING, "column": STRING,
                             "from": {"nullable": True}, "to": {"nullable": True}})),
    "rules": closed({
        "added": _array({"type": "object"}),
        "removed": _array({"type": "object"}),
        "changed": _array(closed({"id": STRING, "changes": _array({"type": "object"})})),
    }),
})

SHADOW_REPORT = closed({
    "version_id": INTEGER,
    "version": STRING,
    "running": {"type": "boolean"},
    "since": {**DATE_TIME, "nullable": True},
    "evaluated": INTEGER,
    "changed": INTEGER,
    "unchanged": INTEGER,
    "errors": INTEGER,
    "errors_by_kind": {"type": "object", "additionalProperties": INTEGER},
    "by_transition": {"type": "object", "additionalProperties": INTEGER},
    "samples": _array({"type": "object"}),
})

METRIC = closed({
    "current": NUMBER,
    "previous": NUMBER,
    "change": NUMBER,
    "change_pct": {"type": "number", "nullable": True},
    "trend": {"type": "string", "enum": ["up", "down", "flat", "new"]},
})

PERIOD = closed({"start": DATE, "end": DATE})

APPROVAL = closed({
    "approval_id": {"type": "string", "format": "uuid"},
    "decision_id": {"type": "string", "format": "uuid"},
    "verdict": {"type": "string", "enum": list(VERDICTS)},
    "role": {"type": "string", "enum": list(APPROVERS)},
    "by": STRING,
    "comment": NULLABLE_STRING,
    "at": DATE_TIME,
    "expires_at": DATE_TIME,
})

PENDING = closed({
    "decision_id": {"type": "string", "format": "uuid"},
    "action": {"type": "string", "enum": list(ACTIONS)},
    "actor": closed({"id": NULLABLE_STRING, "role": NULLABLE_STRING}),
    "client": closed({"id": NULLABLE_STRING}),
    "subject_id": {**NULLABLE_STRING, "description": "The deal, order, offer or claim id."},
    "order_id": NULLABLE_STRING,
    "outcome": ref("Outcome"),
    "required_approvals": _array({"type": "string", "enum": list(APPROVERS)}),
    "open": _array({"type": "string", "enum": list(APPROVERS)},
                   "The requirements no approval has met yet."),
    "reasons": _array(ref("Reason")),
    "decided_at": DATE_TIME,
})

WEBHOOK = closed({
    "id": {"type": "string", "format": "uuid"},
    "url": STRING,
    "events": _array({"type": "string", "enum": list(EVENTS)}),
    "created_at": DATE_TIME,
})

DELIVERY = closed({
    "id": {"type": "string", "format": "uuid",
           "description": "The X-Dealguard-Delivery header of every attempt."},
    "event": {"type": "string", "enum": list(EVENTS)},
    "event_id": {"type": "string", "format": "uuid", "description": "The body's `id`."},
    "state": {"type": "string", "enum": ["pending", "delivered", "failed"]},
    "attempts": INTEGER,
    "last_status_code": {"type": "integer", "nullable": True},
    "last_error": {**NULLABLE_STRING, "maxLength": 200},
    "next_attempt_at": {**DATE_TIME, "nullable": True},
    "created_at": DATE_TIME,
    "delivered_at": {**DATE_TIME, "nullable": True},
})

# Every component, by name.
COMPONENTS: dict[str, Schema] = {
    "Outcome": {"type": "string", "enum": list(OUTCOMES)},
    "Problem": PROBLEM,
    "PolicyProblem": POLICY_PROBLEM,
    "NotReady": NOT_READY,
    "Reason": REASON,
    "Obligation": OBLIGATION,
    "Decision": DECISION,
    "DecisionBatch": closed({"decisions": _array({
        "oneOf": [ref("Decision"), ref("Problem")],
        "description": "The item's decision, or the problem that refused it."})}),
    "DecisionSummary": SUMMARY,
    "DecisionPage": closed({
        "items": _array(ref("DecisionSummary")),
        "next_cursor": {**NULLABLE_STRING, "description": "null on the last page."},
    }),
    "DecisionRecord": RECORD,
    "Approval": APPROVAL,
    "ApprovalPage": closed({
        "items": _array({"oneOf": [ref("PendingApproval"), ref("Approval")],
                         "description": "status=pending: decisions still asking; approved "
                                        "and declined: approval records."}),
        "next_cursor": {**NULLABLE_STRING, "description": "null on the last page."},
    }),
    "PendingApproval": PENDING,
    "Verification": open_({
        "ok": {"type": "boolean"},
        "checked": INTEGER,
        "first_bad_seq": {"type": "integer", "nullable": True},
    }),
    "Impact": open_({
        "replayed": INTEGER,
        "changed": INTEGER,
        "unchanged": INTEGER,
        "errors": INTEGER,
        "by_transition": {"type": "object", "additionalProperties": INTEGER},
        "samples": _array({"type": "object"}),
        "candidate": closed({"name": STRING, "version": STRING, "sha256": STRING}),
    }),
    "Rule": RULE,
    "Policy": POLICY,
    "PolicyVersion": closed(VERSION_PROPERTIES),
    "PolicyVersionText": closed({**VERSION_PROPERTIES, "text": STRING}),
    "PolicyVersions": closed({"items": _array(ref("PolicyVersion"))}),
    "PolicyDiff": POLICY_DIFF,
    "ShadowReport": SHADOW_REPORT,
    "ShadowStopped": closed({"stopped": {"oneOf": [ref("PolicyVersion")], "nullable": True}}),
    "PolicyValidation": closed({"valid": {"type": "boolean", "enum": [True]},
                                "rules": _array(ref("Rule"))}),
    "ActivitiesStored": closed({
        "accepted": {**INTEGER, "description": "New events stored."},
        "duplicates": {**INTEGER, "description": "Events stored before, unchanged."},
    }),
    "Period": PERIOD,
    "StatsComparison": closed({
        "period": {"type": "string", "enum": list(PERIODS)},
        "current": ref("Period"),
        "previous": ref("Period"),
        "manager_id": NULLABLE_STRING,
        "metrics": {"type": "object", "additionalProperties": METRIC},
    }),
    "StatsSeries": closed({
        "metric": STRING,
        "period": {"type": "string", "enum": list(PERIODS)},
        "manager_id": NULLABLE_STRING,
        "points": _array(closed({"start": DATE, "end": DATE, "value": NUMBER})),
    }),
    "Webhook": WEBHOOK,
    "WebhookList": closed({"items": _array(ref("Webhook"))}),
    "WebhookDelivery": DELIVERY,
    "WebhookDeliveryList": closed({"items": _array(ref("WebhookDelivery"))}),
    "Live": closed({"status": {"type": "string", "enum": ["ok"]}}),
    "Ready": closed({"status": {"type": "string", "enum": ["ok"]},
                     "checks": {"type": "object", "additionalProperties": STRING}}),
}
