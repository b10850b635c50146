"""The access log line of gunicorn.conf.py's logger: written without gunicorn's general
formatting, it must be exactly the line gunicorn's own access() makes of the format."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest
from gunicorn.config import Config
from gunicorn.glogging import Logger

CASES = [
    ("200 OK", 512, "/v1/decisions", "127.0.0.1", timedelta(microseconds=3400)),
    ("503 SERVICE UNAVAILABLE", 0, "/v1/decisions", "10.0.0.7",
     timedelta(seconds=2, microseconds=5)),
    ("404 NOT FOUND", None, '/v1/decisions/a"b c', "::1", timedelta(0)),
    (422, 90, "/v1/ЮЖ", None, timedelta(microseconds=999_999)),
]


@pytest.fixture
def logger(tmp_path, gunicorn_conf):
    cfg = Config()
    cfg.set("accesslog", str(tmp_path / "access.log"))
    cfg.set("access_log_format", gunicorn_conf["access_log_format"])
    made = gunicorn_conf["logger_class"](cfg)
    yield made, tmp_path / "access.log", cfg
    for handler in list(made.access_log.handlers):
        handler.close()
        made.access_log.removeHandler(handler)


def _request(status, sent, path, address, elapsed):
    environ = {"REQUEST_METHOD": "POST", "RAW_URI": path, "PATH_INFO": path,
               "SERVER_PROTOCOL": "HTTP/1.1", "QUERY_STRING": "client=secret",
               "HTTP_USER_AGENT": 'wrk "4"'}
    if address is not None:
        environ["REMOTE_ADDR"] = address
    response = SimpleNamespace(status=status, sent=sent, headers=[("Content-Type", "x")])
    return response, SimpleNamespace(headers=[("HOST", "h")]), environ, elapsed


def _gunicorns_handlers_only(made, monkeypatch) -> None:
    # pytest's log capture hangs a handler of its own on every logger that does not
    # propagate, at each phase of a test: here gunicorn's alone.
    monkeypatch.setattr(made.access_log, "handlers",
                        [h for h in made.access_log.handlers if getattr(h, "_gunicorn", False)])


def test_the_line_is_gunicorns_own(logger, monkeypatch):
    made, path, _ = logger
    _gunicorns_handlers_only(made, monkeypatch)
    assert made._plain_access_handlers()  # the short way is taken
    for case in CASES:
        made.access(*_request(*case))
        Logger.access(made, *_request(*case))
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2 * len(CASES)
    for ours, gunicorns in zip(lines[::2], lines[1::2], strict=True):
        assert ours == gunicorns
    assert lines[0] == '127.0.0.1 "POST /v1/decisions" 200 512 3ms'
    assert lines[4] == '::1 "POST /v1/decisions/a\\"b c" 404 - 0ms'
    assert "secret" not in path.read_text(encoding="utf-8")


def test_another_format_is_gunicorns_to_write(logger, monkeypatch):
    made, path, cfg = logger
    _gunicorns_handlers_only(made, monkeypatch)
    cfg.set("access_log_format", '%(h)s "%(r)s" %(s)s')
    made.access(*_request(*CASES[0]))
    assert path.read_text(encoding="utf-8") == '127.0.0.1 "POST /v1/decisions HTTP/1.1" 200\n'
