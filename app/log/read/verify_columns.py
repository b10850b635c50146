"""verify's look at a record's columns: each the copy of its document's field.

app.log.write.columns defines which field each column copies. Parsing every document
of a large log to compare them would more than double verify's time, so the values
the columns hold are first written as the canonical text would have them and looked
for where the writer puts them; only a miss parses the document and compares field
by field. A miss is never reported as such: the parse decides.

Why a hit is proof. The document is canonical JSON: keys sorted, no spaces, and
every quote inside a string escaped, so `"name":` only ever matches a key. A
fragment is matched only at the first place its key can be after an anchor whose
level is known, and the writer's documents hold no nested key of that name before
it: before the top-level `as_of` come only `action`, `approval_problems` and
`approvals_presented` (service-made objects of fixed keys); the request's parts are
schema-checked objects of known keys; and an id is taken as its object's own only
when no `{` or `[` lies between the object's start and it. A document is covered by
the hash, so it is one the writer made; or a forged record with its chain written
again, which the signed digests find (and whose forger could as well have made its
columns and document agree).
"""

from __future__ import annotations

import functools
import json
from datetime import date, datetime
from json.encoder import encode_basestring
from typing import Any

from app.log.write import columns
from app.vocabulary import SUBJECT, WITH_ORDER

_decoder = json.JSONDecoder()
_AS_OF = columns.COPIED.index("as_of")
_DECIDED_AT = columns.COPIED.index("decided_at")


def as_document(values: tuple) -> tuple:
    """A record's COPIED columns as the document writes them (dates as text)."""
    values = list(values)
    values[_AS_OF] = _as_of(values[_AS_OF])
    values[_DECIDED_AT] = _decided_at(values[_DECIDED_AT])
    return tuple(values)


def differ(values: tuple, text: str, document: dict[str, Any] | None) -> str | None:
    """Which column of `values` (as_document) is not its field of the document, or None.

    `document` is the parsed document, or None to try the text first.
    """
    if document is None:
        if matches_text(values, text):
            return None
        document = json.loads(text)
    expected = columns.of(document)
    for name, have in zip(columns.COPIED, values, strict=True):
        want = expected[name]
        if want is None and name == "request_fingerprint":
            continue  # a record from before documents held it: nothing to compare with
        if have != want:
            return f"column {name} differs from the document"
    return None


def matches_text(values: tuple, text: str) -> bool:
    """True when every column's value is where the writer puts it in `text`."""
    (decision_id, request_id, fingerprint, action, outcome, actor_id, actor_role, client_id,
     subject_id, order_id, key_name, policy_name, policy_version, policy_sha256,
     policy_version_id, as_of, decided_at, duration_ms) = values
    q, few = _quote, _quote_few
    if not (isinstance(action, str) and isinstance(duration_ms, float)
            and text.startswith(f'{{"action":{few(action)},')):
        return False
    at = text.find(',"as_of":')
    if not text.startswith(f',"as_of":{q(as_of)},"decided_at":{q(decided_at)},"decision_id":'
                           f'{q(decision_id)},"duration_ms":{duration_ms!r},"facts":[', at):
        return False
    at = text.find('],"key_name":', at)
    if not text.startswith(f'],"key_name":{few(key_name)},"obligations":[', at):
        return False
    at = text.find(',"outcome":', at)
    policy = _policy(policy_name, policy_sha256, policy_version, policy_version_id)
    head = f',"outcome":{few(outcome)},"policy":{policy},'
    if not text.startswith(head, at):
        return False
    at += len(head)
    if text.startswith('"proposal":', at):  # null, or a hex digest: no comma inside
        at = text.find(",", at) + 1
    if not text.startswith('"reasons":[', at):
        return False
    request = text.find(',"request":{', at)
    if not text.startswith(f',"request":{{"action":{few(action)},"actor":{{"id":{q(actor_id)},'
                           f'"role":{few(actor_role)}}}', request):
        return False
    # The last request_id is the top level's: only a list of roles and seq follow it.
    at = text.rfind(',"request_id":')
    if (request < 0 or fingerprint is None
            or not text.startswith(f',"request_id":{q(request_id)},"required_approvals":[', at)
            or not text.endswith(f',"request_fingerprint":{q(fingerprint)}', request, at)):
        return False
    subject = SUBJECT.get(action)
    order = "order" if action in WITH_ORDER else None
    if (_id_in(text, request, "client", client_id)
            and (_id_in(text, request, subject, subject_id) if subject else subject_id is None)
            and (_id_in(text, request, order, order_id) if order else order_id is None)):
        return True
    # An object before an id (an offer's custom_terms): the request alone is parsed, from
    # its opening brace, a value's start.
    try:
        parsed, _ = _decoder.raw_decode(text, request + len(',"request":'))
    except ValueError:
        return False
    held = columns.of({"action": action, "request": parsed})
    return (held["client_id"], held["subject_id"], held["order_id"]) == (
        client_id, subject_id, order_id)


def _id_in(text: str, request: int, part: str, value: Any) -> bool:
    """True when the request's object `part` has the id `value` as its own key, and no
    object or list comes before that key in it (else the id might be one of theirs)."""
    if value is None:
        return False  # every such part has a required id; the parse settles odd ones
    start = text.find(f'"{part}":{{', request)
    if start < 0:
        return False
    start += len(part) + 4
    at = text.find('"id":', start)
    if at < 0 or "{" in text[start:at] or "[" in text[start:at]:
        return False
    return text.startswith(f'"id":{_quote(value)}', at)


def _quote(value: Any) -> str:
    """`value` as canonical JSON writes it (a str is all a column of these holds)."""
    if value.__class__ is str:
        return encode_basestring(value)
    return "null" if value is None else json.dumps(value)


# Values of few kinds (actions, outcomes, roles, key names): each written once.
_quote_few = functools.lru_cache(maxsize=1024)(_quote)


@functools.lru_cache(maxsize=64)
def _policy(name: Any, sha256: Any, version: Any, version_id: Any) -> str:
    # A record from before versions were kept has no version_id in its policy.
    tail = "" if version_id is None else f',"version_id":{_version_id(version_id)}'
    return (f'{{"name":{_quote(name)},"sha256":{_quote(sha256)},'
            f'"version":{_quote(version)}{tail}}}')


def _version_id(value: Any) -> str:
    # Only an int is written as a number; anything else cannot match the document.
    return str(value) if type(value) is int else "not a version id"


def _sqlite_decided_at(text: str) -> str | None:
    # As SQLAlchemy stores a UTC datetime in SQLite: "2026-11-27 09:30:00.123456".
    if len(text) == 26 and text[10] == " " and text[19] == "." and text[20:].isdigit():
        return f"{text[:10]}T{text[11:23]}Z"
    return None


def _decided_at(value: Any) -> str | None:
    if isinstance(value, str):
        return _sqlite_decided_at(value)
    return columns.decided_at_text(value) if isinstance(value, datetime) else None


def _as_of(value: Any) -> str | None:
    if isinstance(value, date):
        return value.isoformat()
    return value if isinstance(value, str) else None
