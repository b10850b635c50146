"""Reading what is left of a request body, so that its connection can serve the next one.

A request answered before its body is read (401, 403, 404, 405, 415, a 413 by
Content-Length) leaves the body on the connection. gunicorn drains at most 64 KiB of it
after the answer; with more left, it closes a connection it has just announced as
`keep-alive`, and a pooled client's next request on it fails without an answer. So,
before any answer leaves, the rest of the body is read here, up to the body limit; an
answer to a body over the limit, or to one that cannot be read to its end, tells the
server to close the connection, which then says `Connection: close`.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterable
from typing import Any

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
CHUNK = 64 * 1024
# A client that stops sending the body it announced holds a thread no longer than this
# (gunicorn gives its own drain as long).
DRAIN_SECONDS = 5.0
# Set by whoever finds the body cannot be read to its end (app/api/body.py).
_ABANDONED = "dealguard.body_abandoned"
# Set by whoever read the whole body its Content-Length announced (app/api/body.py).
_READ = "dealguard.body_read"


def body_read(environ: dict[str, Any]) -> None:
    """Say the body was read to the end its Content-Length announced: nothing is left to
    drain (a decision's body, nearly always), so the drain's read and its socket
    time-out calls are spared."""
    environ[_READ] = True


def abandon_body(environ: dict[str, Any]) -> None:
    """Say the rest of this request's body is not to be read: it is over the limit, or
    broken (a bad chunk). Its connection then closes after the answer."""
    environ[_ABANDONED] = True


class DrainBody:
    """WSGI middleware: read the unread rest of every request body before answering."""

    def __init__(self, app: WSGIApp, limit: int | None) -> None:
        self.app = app
        self.limit = limit

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]):
        answer = self.app(environ, start_response)
        if _has_body(environ) and (environ.get(_ABANDONED) or not self._drained(environ)):
            close_connection(start_response)
        return answer

    def _drained(self, environ: dict[str, Any]) -> bool:
        """Whether the body is now read to its end (False: the connection must close)."""
        if environ.get(_READ):
            return True
        if not environ.get("wsgi.input_terminated"):
            # Only a server that ends the input at the body's end (gunicorn does) can be
            # read to its end safely; any other may block past it. Leave it to the server.
            return True
        declared = environ.get("CONTENT_LENGTH")
        if self.limit is not None and declared and declared.isdigit() and (
                int(declared) > self.limit):
            return False  # not worth reading: the answer is a 413 anyway
        budget = self.limit if self.limit is not None else CHUNK
        return read_to_end(environ["wsgi.input"], budget, environ.get("gunicorn.socket"))


def read_to_end(stream: Any, budget: int, sock: socket.socket | None = None,
                seconds: float = DRAIN_SECONDS) -> bool:
    """Read and drop what is left of `stream`: True at its end; False past `budget` bytes,
    or, when the connection's socket is known, past `seconds` (gunicorn sets no timeout
    while a request is handled: a client that stalls would hold the thread for good)."""
    deadline = time.monotonic() + seconds
    prior = sock.gettimeout() if sock is not None else None
    try:
        while True:
            if sock is not None:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                sock.settimeout(remaining)
            chunk = stream.read(min(CHUNK, budget + 1))
            if not chunk:
                return True
            budget -= len(chunk)
            if budget < 0:
                return False
    except Exception:  # noqa: BLE001 - a broken, stalled or vanished body: no next request
        return False
    finally:
        if sock is not None:
            try:
                sock.settimeout(prior)
            except OSError:
                pass  # closed meanwhile: the server finds it so


def close_connection(start_response: Callable[..., Any]) -> None:
    """Ask the server to close the connection after this answer.

    PEP 3333 forbids an application the `Connection` header. gunicorn passes its
    response object's own `start_response`, whose `force_close()` makes it answer
    `Connection: close` and close; under a server without one, nothing is done.
    """
    force_close = getattr(getattr(start_response, "__self__", None), "force_close", None)
    if callable(force_close):
        force_close()


def _has_body(environ: dict[str, Any]) -> bool:
    length = environ.get("CONTENT_LENGTH")
    return bool(length and length != "0") or "chunked" in environ.get(
        "HTTP_TRANSFER_ENCODING", "").lower()
