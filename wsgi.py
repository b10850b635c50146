"""The WSGI entry point: `gunicorn -c gunicorn.conf.py wsgi:app`."""

import os
import sys
import tempfile

# /metrics must sum all workers. gunicorn.conf.py (read by default from the working
# directory) sets PROMETHEUS_MULTIPROC_DIR; when gunicorn runs without it, the workers
# still agree on one directory per master process. Set before prometheus_client loads.
if "gunicorn" in sys.modules and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    _directory = os.path.join(tempfile.gettempdir(), f"dealguard-metrics-{os.getppid()}")
    os.makedirs(_directory, exist_ok=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = _directory

from app import create_app  # noqa: E402 - after the metrics directory is chosen

app = create_app()
