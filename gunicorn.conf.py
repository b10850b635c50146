"""gunicorn settings for dealguard (`gunicorn -c gunicorn.conf.py wsgi:app`).

Every value can be overridden with GUNICORN_* variables or command-line flags.
"""

import os
import shutil
import tempfile

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "2"))
# Threads, so that the decisions of one worker that arrive together share one fsync'ed
# commit (app/audit/group_commit.py); a sync worker would commit them one by one.
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
accesslog = os.environ.get("GUNICORN_ACCESSLOG", "-")
# The query string may name a client; the access log keeps method, path and status only.
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms'

# /metrics must sum every worker: prometheus-client's multiprocess mode keeps each
# worker's values in files in this directory. It is set here, in the master, before
# any worker imports prometheus_client, and emptied at each start so counters of a
# previous run are not added in.
_OWN_METRICS_DIR = not os.environ.get("PROMETHEUS_MULTIPROC_DIR")
if _OWN_METRICS_DIR:
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="dealguard-metrics-")


def on_starting(server):
    if any(str(address).startswith("unix:") for address in server.cfg.bind):
        server.cfg.set("reuse_port", False)
    directory = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    shutil.rmtree(directory, ignore_errors=True)
    os.makedirs(directory, exist_ok=True)


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    if _OWN_METRICS_DIR:
        shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)


def post_worker_init(worker):
    # Each worker writes the log through a child process (app/audit/writer_process.py):
    # start it now, so the first decision does not wait for it.
    writer = getattr(worker.wsgi, "extensions", {}).get("dealguard.writer_process")
    if writer is not None:
        writer.start()
