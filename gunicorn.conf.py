"""gunicorn settings for dealguard (`gunicorn -c gunicorn.conf.py wsgi:app`).

Every value can be overridden with GUNICORN_* variables or command-line flags.
"""

import collections
import json
import logging
import os
import shutil
import sys
import tempfile
import traceback

from gunicorn.glogging import Logger

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "2"))
# Threads, so that the decisions of one worker that arrive together share one fsync'ed
# commit (app/log/write/group_commit.py); a sync worker would commit them one by one.
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "gthread")
threads = int(os.environ.get("GUNICORN_THREADS", "8"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 20
# A listening socket per worker (SO_REUSEPORT): the kernel spreads new connections over
# the workers. On one shared socket, the worker that wakes first takes them, and a
# client's keep-alive pool of 16 connections was seen split 16 to 0: one worker (one
# GIL) served everything while the other idled, at half the throughput.
# Only for TCP (see on_starting): on a unix: socket each worker would replace the
# others' socket file. (With it, a second server started on the same port by mistake
# shares the traffic instead of failing to start.)
reuse_port = os.environ.get("GUNICORN_REUSE_PORT", "1") != "0"
keepalive = 5
# Each worker runs on one CPU of those the master may use (the one fewest live workers
# have), and so does the log writer process it starts (a child inherits it): a worker's
# threads then hand its GIL to each other on one core, without waking each other across
# cores, and its data stays in that core's caches. Measured on 2 CPUs (README,
# Performance): 13 - 28 % more durable decisions a second at 16 connections, less CPU per
# decision. GUNICORN_PIN_WORKERS=0 leaves the placement to the kernel: for a host where
# other busy programs share the CPUs, which a pinned worker cannot move away from.
pin_workers = (os.environ.get("GUNICORN_PIN_WORKERS", "1") != "0"
               and hasattr(os, "sched_setaffinity"))
# gunicorn refuses these itself, before the application sees the request (README,
# Reliability). The longest request line the API needs is a log query with every filter
# at its 128 characters, percent-encoded: about 6 KiB for ids in Chinese (9 bytes a
# character), over gunicorn's default of 4094; 8190 is the most gunicorn allows. A
# longer filter within that reaches the application, which answers it with a 422.
limit_request_line = 8190
# gunicorn's defaults, written down: a client sends some ten header fields; the longest,
# Authorization, some 60 bytes.
limit_request_fields = 100
limit_request_field_size = 8190
accesslog = os.environ.get("GUNICORN_ACCESSLOG", "-")
# The query string may name a client; the access log keeps method, path and status only.
# Written by _QuietAboutRequests.access without gunicorn's general formatting.
ACCESS_LOG_FORMAT = '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms'
access_log_format = ACCESS_LOG_FORMAT

# /metrics must sum every worker: prometheus-client's multiprocess mode keeps each
# worker's values in files in this directory. It is set here, in the master, before
# any worker imports prometheus_client, and emptied at each start so counters of a
# previous run are not added in.
_OWN_METRICS_DIR = not os.environ.get("PROMETHEUS_MULTIPROC_DIR")
if _OWN_METRICS_DIR:
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="dealguard-metrics-")


class _QuietAboutRequests(Logger):
    """gunicorn's logger, except that a request it refuses is not quoted, and the access
    line of ACCESS_LOG_FORMAT costs a fraction of gunicorn's own.

    gunicorn logs "Invalid request from ip=...: <the error>", and the error quotes the
    request line or a header: a query string may name a client (no client data in a log
    line). The line keeps who sent it and says what kind of request it was.
    """

    def access(self, resp, req, environ, request_time):
        # gunicorn's access() makes a dict of every atom, request and response header and
        # environ variable, escapes each, and goes through logging (a LogRecord, a search
        # of the caller's frame): 75 - 110 µs of a request under load. For our own format
        # the same line is made from its six atoms, as gunicorn would make them
        # (tests/served/test_access_log.py compares the two), and written to the
        # handlers gunicorn set up, under their locks. Any other format or logging set-up
        # (syslog, logconfig, a filter) takes gunicorn's way.
        handlers = self._plain_access_handlers()
        if handlers is None or self.cfg.access_log_format != ACCESS_LOG_FORMAT:
            return super().access(resp, req, environ, request_time)
        status = resp.status
        if isinstance(status, str):
            status = status.split(None, 1)[0]
        sent = getattr(resp, "sent", None)
        atoms = {"h": environ.get("REMOTE_ADDR", "-"), "m": environ.get("REQUEST_METHOD"),
                 "U": environ.get("PATH_INFO"), "s": status,
                 "b": sent is not None and str(sent) or "-",
                 "M": request_time.seconds * 1000 + int(request_time.microseconds / 1000)}
        for name, value in atoms.items():
            if isinstance(value, str) and '"' in value:
                atoms[name] = value.replace('"', '\\"')
        line = ACCESS_LOG_FORMAT % atoms  # noqa: UP031 - gunicorn's own format, as it applies it
        try:
            for handler in handlers:
                with handler.lock:
                    handler.stream.write(line + handler.terminator)
                    handler.flush()
        except Exception:  # noqa: BLE001 - as gunicorn's access(): said, never raised
            self.error(traceback.format_exc())

    def _plain_access_handlers(self):
        """The access log's handlers if each writes the bare message to a stream, else None
        (or [] when the access log is off)."""
        log = self.access_log
        if not self.access_log_enabled:
            return []
        if log.propagate or log.filters or not log.isEnabledFor(logging.INFO):
            return None
        handlers = log.handlers
        for handler in handlers:
            if (type(handler) not in (logging.StreamHandler, logging.FileHandler)
                    or handler.filters or handler.level > logging.INFO
                    or handler.stream is None or handler.formatter is None
                    or handler.formatter._fmt != "%(message)s"):
                return None
        return handlers

    def warning(self, msg, *args, **kwargs):
        if isinstance(msg, str) and msg.startswith("Invalid request from ip="):
            sender = msg.split(": ", 1)[0]
            msg = (f"{sender}: refused as invalid HTTP or over the request limits "
                   "(not quoted: it may hold client data)")
        super().warning(msg, *args, **kwargs)


logger_class = _QuietAboutRequests


def on_starting(server):
    if any(str(address).startswith("unix:") for address in server.cfg.bind):
        server.cfg.set("reuse_port", False)
    _answer_own_errors_as_problems(server.cfg)
    directory = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    shutil.rmtree(directory, ignore_errors=True)
    os.makedirs(directory, exist_ok=True)


def worker_exit(server, worker):
    # In the worker, before it ends: its last second of counts (app/telemetry.py publishes
    # them to the metrics files once a second) must reach the files it leaves behind.
    telemetry = sys.modules.get("app.telemetry")
    if telemetry is not None:
        telemetry.flush()


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    if _OWN_METRICS_DIR:
        shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)


def pre_fork(server, worker):
    # In the master, which knows the live workers' CPUs; post_fork applies the choice.
    if pin_workers:
        worker.dealguard_cpu = least_taken_cpu(server.WORKERS.values())


def post_fork(server, worker):
    cpu = getattr(worker, "dealguard_cpu", None)
    if cpu is None:
        return
    try:
        os.sched_setaffinity(0, {cpu})
    except OSError as error:
        # The CPUs allowed changed since the master read them (a container's cpuset):
        # an unpinned worker still serves; one that failed to boot would not.
        server.log.warning("worker not pinned to CPU %d: %s", cpu, error.strerror)


def least_taken_cpu(workers) -> int:
    """The CPU, of those this process may use, that the fewest of `workers` run on."""
    allowed = sorted(os.sched_getaffinity(0))
    taken = collections.Counter(getattr(worker, "dealguard_cpu", None) for worker in workers)
    return min(allowed, key=lambda cpu: (taken[cpu], cpu))


def post_worker_init(worker):
    # Each worker writes the log through a child process (app/log/write/writer_process.py):
    # start it now, so the first decision does not wait for it.
    writer = getattr(worker.wsgi, "extensions", {}).get("dealguard.writer_process")
    if writer is not None:
        writer.start()


def _answer_own_errors_as_problems(cfg):
    """Have gunicorn write its own error answers as problem+json, like the application's.

    gunicorn writes them as an HTML page through `gunicorn.util.write_error`, which has
    no setting: it is replaced here, in the master, so every worker forked from it has
    the replacement. The detail is fixed text, never the request's own (a request line
    may name a client). Should a later gunicorn call it differently, its HTML page stays;
    tests/api/test_gunicorn_input.py fails then.
    """
    from gunicorn import util

    html_error = util.write_error
    # What gunicorn answers itself: a malformed request (400), a request line over the
    # limit (414), too many or too long header fields (431); the rest keep their reason.
    own_errors = {
        400: ("bad-request", "Bad request", "The request is not valid HTTP."),
        414: ("uri-too-long", "URI too long",
              f"The request line is longer than {cfg.limit_request_line} bytes."),
        431: ("request-header-fields-too-large", "Request header fields too large",
              f"More than {cfg.limit_request_fields} header fields, or one longer than "
              f"{cfg.limit_request_field_size} bytes."),
    }

    def write_problem(sock, status_int, reason, mesg):
        try:
            status = int(status_int)
            kind, title, detail = own_errors.get(status, ("error", str(reason), f"{reason}."))
            body = json.dumps({"type": f"https://dealguard.dev/problems/{kind}", "title": title,
                               "status": status, "detail": detail, "errors": {}}).encode()
            head = (f"HTTP/1.1 {status} {reason}\r\nConnection: close\r\n"
                    "Content-Type: application/problem+json\r\n"
                    f"Content-Length: {len(body)}\r\n\r\n").encode("latin-1")
        except Exception:  # noqa: BLE001 - an unforeseen call: gunicorn's own page then
            return html_error(sock, status_int, reason, mesg)
        util.write_nonblock(sock, head + body)

    util.write_error = write_problem
