"""One POST of one event to one webhook: the body, its signature, and what came back.

The body is `{data, event, id, occurred_at}` as canonical JSON, `data` the event's
masked text as the outbox holds it. Redirects are not followed (an answer other than
2xx is a failure), and nothing of the answer is kept but its status and a short,
printable excerpt (a receiver's answer may hold anything).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import dataclass

import urllib3

TIMEOUT_SECONDS = 5.0
EXCERPT = 120  # characters of an answer or an error kept with the delivery
_READ_AT_MOST = 64 * 1024  # of an answer; a longer one is cut and its connection dropped
USER_AGENT = "dealguard-webhooks/1"


@dataclass(frozen=True)
class Answer:
    status: int | None  # None: no answer (refused, timed out, reset)
    error: str | None  # a short excerpt of what went wrong; None when delivered

    @property
    def delivered(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def body_text(event_id: str, event: str, occurred_at: str, data: str) -> bytes:
    """The canonical JSON body; `data` is JSON text already and goes in as it is."""
    dump = json.dumps
    return (f'{{"data":{data},"event":{dump(event)},"id":{dump(event_id)},'
            f'"occurred_at":{dump(occurred_at)}}}').encode()


def signature(secret: str, body: bytes) -> str:
    """The X-Dealguard-Signature value: sha256=<hex HMAC-SHA256(secret, raw body)>."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def headers(secret: str, body: bytes, event: str, delivery_id: str) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Dealguard-Event": event,
        "X-Dealguard-Delivery": delivery_id,
        "X-Dealguard-Signature": signature(secret, body),
    }


class Sender:
    """POSTs with kept-alive connections (up to `connections` per receiver); safe to
    use from several threads at once, as urllib3's pools are."""

    def __init__(self, timeout: float = TIMEOUT_SECONDS, connections: int = 8) -> None:
        self._timeout = timeout
        # retries=False: no second try inside an attempt, and a redirect is answered,
        # not followed (the worker retries on its own schedule).
        self._pool = urllib3.PoolManager(num_pools=64, maxsize=connections, retries=False,
                                         timeout=urllib3.Timeout(total=timeout))

    def post(self, url: str, body: bytes, head: dict[str, str]) -> Answer:
        """One attempt. The connection, and the wait for the answer's head, are each
        bounded by what is left of the timeout; so is reading the answer's body. (A
        receiver that sends its head a byte at a time, each within the timeout, could
        still hold an attempt longer: every read is bounded, not their sum.)"""
        deadline = time.monotonic() + self._timeout
        try:
            response = self._pool.request("POST", url, body=body, headers=head,
                                          preload_content=False)
        except urllib3.exceptions.HTTPError as error:
            return Answer(None, _excerpt(_describe(error)))
        except (OSError, ValueError) as error:
            return Answer(None, _excerpt(type(error).__name__))
        try:
            return self._answer(response, deadline)
        finally:
            response.release_conn()

    def _answer(self, response, deadline: float) -> Answer:
        """The status, and a little of the answer: read at most 64 KiB, until the deadline."""
        status = response.status
        read = b""
        try:
            while True:
                if len(read) >= _READ_AT_MOST or time.monotonic() >= deadline:
                    response.close()  # too long, or too slow: not worth keeping alive
                    break
                chunk = response.read(8192)
                if not chunk:
                    break
                read += chunk
        except (urllib3.exceptions.HTTPError, OSError):
            response.close()
        if 200 <= status < 300:
            return Answer(status, None)
        text = read[:EXCERPT * 4].decode("utf-8", "replace").strip()
        return Answer(status, _excerpt(f"HTTP {status}: {text}" if text else f"HTTP {status}"))

    def close(self) -> None:
        self._pool.clear()


def _describe(error: Exception) -> str:
    # urllib3 wraps the cause; its name says enough (a timeout, a refusal), and the
    # message could quote the URL, which may carry a token in its query.
    reason = getattr(error, "reason", None)
    if isinstance(error, urllib3.exceptions.TimeoutError) or isinstance(
            reason, urllib3.exceptions.TimeoutError):
        return f"no answer within {TIMEOUT_SECONDS:g} s"
    return type(reason or error).__name__


def _excerpt(text: str) -> str:
    printable = "".join(ch if ch.isprintable() else " " for ch in text)
    return printable if len(printable) <= EXCERPT else printable[:EXCERPT - 1] + "…"
