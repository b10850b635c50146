"""The body drain of app/api/drain.py, piece by piece (tests/served/test_gunicorn_input.py
runs it in the real server)."""

from __future__ import annotations

import io
import socket

from app.api.drain import DrainBody, abandon_body, body_read, close_connection, read_to_end


class ServerResponse:
    """Stands for gunicorn's response object, whose bound start_response the app gets."""

    def __init__(self) -> None:
        self.closed = False
        self.status = None

    def start_response(self, status, headers, exc_info=None):
        self.status = status

    def force_close(self) -> None:
        self.closed = True


def early_answer(environ, start_response):
    start_response("401 UNAUTHORIZED", [("Content-Type", "application/problem+json")])
    return [b"{}"]


def serve(environ: dict, limit: int = 1000, app=early_answer) -> ServerResponse:
    server = ServerResponse()
    DrainBody(app, limit)(environ, server.start_response)
    return server


def environ_with(body: bytes, **extra) -> dict:
    return {"wsgi.input": io.BytesIO(body), "wsgi.input_terminated": True,
            "CONTENT_LENGTH": str(len(body)), **extra}


def test_an_unread_body_within_the_limit_is_read_and_the_connection_kept():
    environ = environ_with(b"x" * 1000)
    server = serve(environ)
    assert environ["wsgi.input"].read() == b""  # nothing left on the connection
    assert server.status.startswith("401") and not server.closed


def test_a_body_declared_over_the_limit_is_left_and_the_connection_closed():
    environ = environ_with(b"x" * 1001)
    assert serve(environ).closed
    assert environ["wsgi.input"].tell() == 0


def test_a_chunked_body_over_the_limit_closes_the_connection():
    environ = environ_with(b"x" * 5000, HTTP_TRANSFER_ENCODING="chunked")
    del environ["CONTENT_LENGTH"]
    assert serve(environ).closed


def test_a_body_the_application_abandoned_closes_the_connection():
    def refuse(environ, start_response):
        abandon_body(environ)
        return early_answer(environ, start_response)

    assert serve(environ_with(b"x" * 10), app=refuse).closed


def test_without_a_terminated_input_nothing_is_read():
    # Another server may block reading past the body: the drain leaves it alone.
    environ = environ_with(b"x" * 10)
    del environ["wsgi.input_terminated"]
    assert not serve(environ).closed
    assert environ["wsgi.input"].tell() == 0


def test_read_to_end_stops_at_the_budget():
    assert read_to_end(io.BytesIO(b"x" * 100), 100)
    assert not read_to_end(io.BytesIO(b"x" * 101), 100)


def test_a_client_that_stalls_is_given_up_on_and_the_socket_left_as_it_was():
    ours, theirs = socket.socketpair()
    try:
        theirs.sendall(b"x" * 100)  # then nothing, without closing
        stream = ours.makefile("rb", buffering=0)
        assert not read_to_end(stream, 1000, ours, seconds=0.2)
        assert ours.gettimeout() is None
    finally:
        ours.close()
        theirs.close()


def test_close_connection_needs_a_server_that_can():
    server = ServerResponse()
    close_connection(server.start_response)
    assert server.closed
    close_connection(lambda status, headers: None)  # another server: nothing to do


class Untouchable(io.BytesIO):
    def read(self, *args):
        raise AssertionError("read again after the application read it whole")


def test_a_body_read_whole_by_the_application_is_not_read_again():
    from app import create_app  # noqa: F401 - the real reader marks it: see the app test below

    environ = environ_with(b"x" * 10, **{"wsgi.input": Untouchable(b"x" * 10)})
    server = serve(environ, app=lambda env, start: (body_read(env), early_answer(env, start))[1])
    assert server.status.startswith("401") and not server.closed


def test_a_decision_body_is_marked_read_whole(client, body, make_key):
    seen = {}
    real = client.application.wsgi_app

    def spy(environ, start_response):
        answer = real(environ, start_response)
        seen["read"] = environ.get("dealguard.body_read")
        return answer

    client.application.wsgi_app = spy
    answer = client.post("/v1/decisions", json=body("claim"), headers=make_key("crm"))
    assert answer.status_code == 200
    assert seen["read"] is True
