"""What a client's HTTP connection meets in the real server (`gunicorn -c gunicorn.conf.py`).

A request answered before its body is read must leave its keep-alive connection fit
for the next request: gunicorn drains only 64 KiB of an unread body and then closes
the connection it has just announced as keep-alive, so a pooled client's next request
failed with "connection closed without response". And the errors gunicorn answers
itself, before the application runs, are problem+json like every other error.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from app.auth import create_key
from app.cli.service import upgrade
from tests.bodies import BODIES
from tests.served.served import free_port

REPO = Path(__file__).resolve().parents[2]
LIMIT = 262144  # DEALGUARD_MAX_BODY's default
LARGE = 200_000  # over gunicorn's 64 KiB drain, under the limit


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """(port, keys by role, its error log) of a gunicorn serving a fresh SQLite log."""
    directory = tmp_path_factory.mktemp("served")
    url = f"sqlite:///{directory / 'input.db'}"
    error_log = directory / "gunicorn.log"
    upgrade(url)
    engine = create_engine(url)
    with Session(engine) as session:
        keys = {"crm": create_key(session, "crm", "input-crm"),
                "manager": create_key(session, "manager", "input-manager", "m-1"),
                "admin": create_key(session, "admin", "input-admin")}
    engine.dispose()
    port = free_port()
    env = dict(os.environ, DEALGUARD_DATABASE_URL=url, DEALGUARD_MAX_BODY=str(LIMIT),
               DEALGUARD_POLICY=str(REPO / "policies" / "rules.yaml"),
               DEALGUARD_SECRET_KEY="served-secret", GUNICORN_ACCESSLOG="/dev/null")
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "-w", "1",
         "-b", f"127.0.0.1:{port}", "wsgi:app"],
        cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=error_log.open("wb"))
    try:
        for _ in range(150):
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                connection.request("GET", "/health/ready")
                if connection.getresponse().status == 200:
                    break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail("gunicorn did not become ready")
        yield port, keys, error_log
    finally:
        process.terminate()
        process.wait(timeout=30)


def json_headers(key: str | None = None, content_type: str = "application/json") -> dict:
    headers = {"Content-Type": content_type}
    if key:
        headers["Authorization"] = f"Bearer {key}"
    return headers


def chunks(total: int):
    # A generator: http.client sends it with Transfer-Encoding: chunked.
    sent = 0
    while sent < total:
        piece = min(16384, total - sent)
        sent += piece
        yield b"x" * piece


def decide(connection: http.client.HTTPConnection, key: str) -> int:
    connection.request("POST", "/v1/decisions", body=json.dumps(BODIES["claim"]),
                       headers=json_headers(key))
    response = connection.getresponse()
    response.read()
    return response.status


# name: (method, path, role of the key or None, content type, body, status)
EARLY_ANSWERS = {
    "401 no key": ("POST", "/v1/decisions", None, "application/json", LARGE, 401),
    "403 wrong role": ("POST", "/v1/activities", "manager", "application/json", LARGE, 403),
    "404 unknown path": ("POST", "/v1/nowhere", "crm", "application/json", LARGE, 404),
    "405 wrong method": ("PUT", "/v1/decisions", "crm", "application/json", LARGE, 405),
    "415 not json": ("POST", "/v1/decisions", "crm", "text/plain", LARGE, 415),
    "401 chunked": ("POST", "/v1/decisions", None, "application/json", chunks(LARGE), 401),
}


@pytest.mark.parametrize("case", list(EARLY_ANSWERS))
def test_an_early_answer_keeps_the_connection_for_the_next_request(server, case):
    port, keys, _log = server
    method, path, role, content_type, body, status = EARLY_ANSWERS[case]
    if isinstance(body, int):
        body = b'{"padding": "' + b"x" * body + b'"}'
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request(method, path, body=body,
                           headers=json_headers(keys.get(role), content_type))
        response = connection.getresponse()
        response.read()
        assert response.status == status
        assert response.getheader("Content-Type") == "application/problem+json"
        assert response.getheader("Connection") == "keep-alive"
        reused = connection.sock
        # The next request goes on the very same connection, as a pool sends it.
        assert decide(connection, keys["crm"]) == 200
        assert connection.sock is reused
    finally:
        connection.close()


@pytest.mark.parametrize("body", [b"x" * (LIMIT + 50_000), chunks(LIMIT + 150_000)],
                         ids=["content-length", "chunked"])
def test_a_body_over_the_limit_is_a_413_that_closes_the_connection(server, body):
    port, keys, _log = server
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("POST", "/v1/decisions", body=body, headers=json_headers(keys["crm"]))
        response = connection.getresponse()
        response.read()
        assert response.status == 413
        assert response.getheader("Content-Type") == "application/problem+json"
        # Said, and done: a pool opens a new connection instead of losing a request.
        assert response.getheader("Connection") == "close"
        assert response.isclosed() and connection.sock is None
        assert decide(connection, keys["crm"]) == 200  # http.client reconnects, as pools do
    finally:
        connection.close()


def raw_exchange(port: int, data: bytes) -> tuple[bytes, bytes]:
    """Send raw bytes; the answer's head and body, read until the server closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(data)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    return head, body


def test_a_broken_chunked_body_is_a_400_that_closes_the_connection(server):
    port, keys, _log = server
    head, body = raw_exchange(port, (
        "POST /v1/decisions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        f"Authorization: Bearer {keys['crm']}\r\nTransfer-Encoding: chunked\r\n\r\n"
        "zz\r\n{}\r\n0\r\n\r\n").encode())
    assert head.startswith(b"HTTP/1.1 400 ")
    assert b"Connection: close" in head
    assert json.loads(body)["status"] == 400


@pytest.mark.parametrize(("request_head", "status"), [
    (b"GET /v1/decisions?x=" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n", 414),
    (b"GET /health/live HTTP/1.1\r\nHost: x\r\n"
     + b"".join(b"X-Header-%d: 1\r\n" % n for n in range(101)), 431),
    (b"GET /health/live HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 8200 + b"\r\n", 431),
    (b"NOT HTTP AT ALL\r\n", 400),
    (b"GET /health/live HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n", 400),
], ids=["long-request-line", "too-many-headers", "long-header", "garbage", "unknown-coding"])
def test_what_gunicorn_refuses_itself_is_problem_json(server, request_head, status):
    port, _keys, _log = server
    head, body = raw_exchange(port, request_head + b"\r\n")
    assert head.startswith(b"HTTP/1.1 %d " % status)
    assert b"Content-Type: application/problem+json" in head
    assert b"Connection: close" in head
    problem = json.loads(body)
    assert problem["status"] == status
    assert set(problem) == {"type", "title", "status", "detail", "errors"}
    assert b"aaaa" not in body  # the request's own text is not echoed


def test_a_long_log_query_within_the_limit_reaches_the_application(server):
    # Five filters at 128 Chinese characters, percent-encoded: over 5 KiB, beyond
    # gunicorn's default request line (4094); the application answers it.
    port, keys, _log = server
    value = quote("客" * 128)
    query = "&".join(f"{name}={value}" for name in ("actor_id", "client_id", "principle", "rule"))
    query += f"&subject_id={value}x"  # one character too long
    assert len(query) > 5000
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", f"/v1/decisions?{query}",
                           headers={"Authorization": f"Bearer {keys['admin']}"})
        response = connection.getresponse()
        problem = json.loads(response.read())
    finally:
        connection.close()
    assert response.status == 422
    assert list(problem["errors"]) == ["subject_id"]


def test_a_refused_request_is_not_quoted_in_the_error_log(server):
    port, _keys, error_log = server
    # A request line gunicorn refuses, naming a client in its query string.
    raw_exchange(port, b"GET /v1/decisions?client_id=Ivan-Petrov HTTP/1.1 extra\r\n"
                       b"Host: x\r\n\r\n")
    raw_exchange(port, b"GET /health/live HTTP/1.1\r\nHost: x\r\nX-Note: Ivan-Petrov"
                       + b"a" * 8200 + b"\r\n\r\n")
    text = error_log.read_text(errors="replace")
    assert "Invalid request from ip=127.0.0.1: refused as invalid HTTP" in text
    assert "Ivan-Petrov" not in text
