"""Schemathesis over the served /openapi.json, with every role's key (issue 15, "Fuzz").

For each key role, every operation of the document gets generated requests, valid
("positive") and invalid ("negative") ones, through the app's WSGI interface. Every
answer must be no 5xx and agree with the document: a documented status, its media
type, its headers, its schema; and an invalid request must be refused (except in a
batch, whose invalid items are answered in place, with 200). The valid decision
requests must be decided: at least 90 % of them answered 2xx.

A person's key (manager, approver) asks only as itself (CONTRACT §6): a valid request
from it names its person and job role as the actor and asserts no approval, so its
positive requests are given that actor before they are sent. Nothing else of a
generated request is changed.

Bounded: FUZZ_EXAMPLES examples per operation and mode (DEALGUARD_FUZZ_EXAMPLES
raises it), derandomized so that a run is repeatable; DEALGUARD_FUZZ_RANDOM=1 draws
new examples each run.
"""

from __future__ import annotations

import itertools
import os
from collections import Counter
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.bodies import BODIES

FUZZ_EXAMPLES = int(os.environ.get("DEALGUARD_FUZZ_EXAMPLES", "12"))
DECISION_EXAMPLES = int(os.environ.get("DEALGUARD_FUZZ_DECISIONS", "60"))
# A batch holds up to 100 requests, each counted: fewer batches reach as many requests.
BATCH_EXAMPLES = max(FUZZ_EXAMPLES, DECISION_EXAMPLES // 4)
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance, response_headers_conformance, negative_data_rejection]
# role -> (person id, job role) of its key; None for a system's or an office's key.
ROLES = {
    "crm": None,
    "manager": ("m-1", "manager"),
    "approver": ("a-1", "head_of_sales"),
    "compliance": None,
    "admin": None,
}
BATCH_CHECKS = [check for check in CHECKS if check is not negative_data_rejection]
DECIDERS = ("crm", "manager", "approver", "admin")
DECISION_PATHS = ("/v1/decisions", "/v1/decisions/batch")
_unique = itertools.count(1)




def _hypothesis(examples: int) -> settings:
    return settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=os.environ.get("DEALGUARD_FUZZ_RANDOM") != "1",
        suppress_health_check=list(HealthCheck),
        phases=(Phase.explicit, Phase.generate, Phase.shrink),
    )


def _as_person(body: Any, person: tuple[str, str]) -> None:
    """A valid request of a person's key: its own actor, no asserted approvals."""
    person_id, job_role = person
    items = body.get("requests") if isinstance(body, dict) and "requests" in body else [body]
    for item in items if isinstance(items, list) else ():
        if isinstance(item, dict):
            item["actor"] = {"id": person_id, "role": job_role}
            item.pop("approvals", None)


def _unique_request_ids(body: Any) -> None:
    """A CRM never reuses a request_id for another body (that is a 409 by design), and
    references only approvals that exist (a generated approval_id is a 422 by design)."""
    items = body.get("requests") if isinstance(body, dict) and "requests" in body else [body]
    for item in items if isinstance(items, list) else ():
        if isinstance(item, dict) and "request_id" in item:
            item["request_id"] = f"fuzz-{next(_unique)}"
        if isinstance(item, dict) and isinstance(item.get("approvals"), list):
            item["approvals"] = [a for a in item["approvals"]
                                 if not (isinstance(a, dict) and "approval_id" in a)]


def _seed(client, crm: dict[str, str]) -> dict[str, list[str]]:
    """Decisions of each person by actor.id, so that the log's reads have records to show
    (and a person's key has its own, and another's it must not see)."""
    ids: dict[str, list[str]] = {}
    for person, role in (("m-1", "manager"), ("a-1", "head_of_sales"), ("x-9", "manager")):
        for action, body in BODIES.items():
            answer = client.post("/v1/decisions", headers=crm,
                                 json={**body, "actor": {"id": person, "role": role}})
            assert answer.status_code == 200, (action, answer.get_json())
            ids.setdefault(person, []).append(answer.get_json()["decision_id"])
    return ids


@pytest.fixture
def api(app):
    return schemathesis.openapi.from_wsgi("/openapi.json", app)


@pytest.mark.parametrize("role", list(ROLES))
def test_fuzz_every_operation_with_each_role(app, client, api, make_key, role):
    key = make_key(role)
    seeded = _seed(client, make_key("crm"))
    person = ROLES[role]
    statuses: Counter[int] = Counter()
    decided: Counter[str] = Counter()  # "accepted" or "refused", positive requests only
    failures = []

    for result in api.get_all_operations():
        operation = result.ok()
        deciding = operation.path in DECISION_PATHS and operation.method.upper() == "POST"
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            counted = deciding and mode.is_positive

            def send(case, counted=counted):
                if counted:
                    _unique_request_ids(case.body)
                    if person:
                        _as_person(case.body, person)
                response = case.call(headers=key)
                statuses[response.status_code] += 1
                checks = CHECKS if case.operation.path != "/v1/decisions/batch" else BATCH_CHECKS
                case.validate_response(response, checks=checks, headers=key)
                if counted and role in DECIDERS:
                    _count(decided, case.operation.path, response)

            try:
                _fuzz(operation, mode, _examples(operation.path, counted), send)
            except (Exception, BaseExceptionGroup) as error:  # gather every operation's
                failures.append(f"{operation.label} {mode.value}: {error}")

    # Every answer about a real record agrees with the document too: the key's own
    # (any, for an office's key) and another person's.
    record = api["/v1/decisions/{decision_id}"]["GET"]
    own = seeded[person[0] if person else "m-1"]
    for decision_id in [*own, seeded["x-9"][0]]:
        case = record.Case(path_parameters={"decision_id": decision_id})
        response = case.call(headers=key)
        statuses[response.status_code] += 1
        case.validate_response(response, checks=CHECKS, headers=key)

    assert not failures, "\n\n".join(failures)
    print(f"{role}: statuses {dict(sorted(statuses.items()))}, decisions {dict(decided)}")
    if role in DECIDERS:
        total = decided["accepted"] + decided["refused"]
        assert total >= DECISION_EXAMPLES
        assert decided["accepted"] / total >= 0.9, f"too few valid requests decided: {decided}"


def _examples(path: str, counted: bool) -> int:
    if not counted:
        return FUZZ_EXAMPLES
    return DECISION_EXAMPLES if path == "/v1/decisions" else BATCH_EXAMPLES


def _fuzz(operation, mode: GenerationMode, examples: int, send) -> None:
    """Send `examples` generated requests of `operation` in `mode` through `send`."""

    @_hypothesis(examples)
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case) -> None:
        send(case)

    try:
        run()
    except Unsatisfiable:
        # Nothing to make invalid: an operation without parameters or body.
        if mode.is_positive:
            raise


def _count(decided: Counter[str], path: str, response) -> None:
    if path == "/v1/decisions":
        decided["accepted" if 200 <= response.status_code < 300 else "refused"] += 1
        return
    if response.status_code != 200:
        decided["refused"] += 1
        return
    for item in response.json()["decisions"]:
        decided["refused" if "status" in item else "accepted"] += 1
