"""Webhook deliveries a second of one `dealguard worker` to a receiver on this host.

N events of one webhook are put in the outbox at once; one worker fans them out and
delivers them (signed, to a local HTTP receiver in a process of its own, answering 204);
the time from the first fan-out to the last delivery recorded gives deliveries/s.

    .venv/bin/python -m bench.webhooks [--database URL] [--events 3000]

Without --database, a SQLite file in a temp directory. A PostgreSQL URL must name an
empty database or schema (the run migrates it and leaves its rows there).
"""

from __future__ import annotations

import argparse
import multiprocessing
import socket
import tempfile
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.cli.service import upgrade
from app.db import make_engine
from app.log.models import OutboxEvent
from app.log.write.outbox import event_row
from app.webhooks import registry
from app.webhooks.models import WebhookDelivery
from app.webhooks.worker import Worker
from bench.timing import machine

SERVICE_SECRET = "bench-service-secret"
DATA = {"decision_id": "0b4f6a0e-3c1e-4f57-9a53-5b1f1f0f7c11", "action": "discount",
        "outcome": "require_approval", "required_approvals": ["head_of_sales"],
        "reasons": [{"rule": "pricing.segment-limit", "principle": "pricing-policy",
                     "message": "Discount 12.5% exceeds the manager's 10% limit."}]}


class _Receiver(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as a real receiver would

    def do_POST(self) -> None:  # noqa: N802
        self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(204)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *_args) -> None:
        pass


def _serve(listener: socket.socket) -> None:
    server = ThreadingHTTPServer(listener.getsockname(), _Receiver, bind_and_activate=False)
    server.socket = listener
    server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", help="SQLAlchemy URL (default: a temp SQLite file)")
    parser.add_argument("--events", type=int, default=3000)
    args = parser.parse_args()
    listener = socket.create_server(("127.0.0.1", 0))
    receiver = multiprocessing.Process(target=_serve, args=(listener,), daemon=True)
    receiver.start()
    url_of_receiver = f"http://127.0.0.1:{listener.getsockname()[1]}/hook"
    with tempfile.TemporaryDirectory(prefix="dealguard-webhooks-") as directory:
        url = args.database or f"sqlite:///{Path(directory) / 'webhooks.db'}"
        upgrade(url)
        engine = make_engine(url)
        backend = engine.dialect.name
        with Session(engine) as session:
            registry.create(session, SERVICE_SECRET, url_of_receiver,
                            ["decision.require_approval"], "bench-receiver-secret")
        now = datetime.now(UTC)
        with engine.begin() as connection:
            connection.execute(OutboxEvent.__table__.insert(), [
                event_row("decision.require_approval", DATA, now)
                for _ in range(args.events)])
        worker = Worker(engine, SERVICE_SECRET)
        started = time.perf_counter()
        while worker.run_once():
            pass
        seconds = time.perf_counter() - started
        worker.close()
        with engine.connect() as connection:
            delivered = connection.execute(select(func.count()).select_from(
                WebhookDelivery).where(WebhookDelivery.state == "delivered")).scalar_one()
        engine.dispose()
    receiver.terminate()
    print(f"database: {backend}; {machine()}")
    print(f"{delivered} of {args.events} events delivered by one worker in {seconds:.2f} s: "
          f"{delivered / seconds:.0f} deliveries/s")


if __name__ == "__main__":
    main()
