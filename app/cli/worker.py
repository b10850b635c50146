"""`dealguard worker`: delivers the webhooks' events until told to stop (CONTRACT §8, §10).

SIGTERM or SIGINT (Ctrl-C) lets the deliveries under way finish (5 s at most), hands
back the others it had taken, and exits 0. Run as many as you like, on one host or several.
"""

from __future__ import annotations

import logging
import signal

import click

from app.cli.database import open_database, settings


@click.command("worker")
@click.option("--once", is_flag=True,
              help="Do one round (fan out, deliver what is due) and exit.")
def worker_command(once: bool) -> None:
    """Deliver webhook events (the outbox) until SIGTERM or Ctrl-C."""
    from app.webhooks.worker import Worker

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    current = settings()
    worker = Worker(open_database(current), current.secret_key)

    def stop(_signum, _frame) -> None:
        worker.stop()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    log = logging.getLogger("dealguard.worker")
    log.info("webhook worker %s started", worker.name)
    try:
        if once:
            worker.run_once()
        else:
            worker.run()
    finally:
        worker.close()
    log.info("webhook worker %s stopped", worker.name)


commands = [worker_command]
