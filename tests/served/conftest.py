"""Fixtures of the served tests."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def gunicorn_conf(tmp_path, monkeypatch) -> dict:
    """gunicorn.conf.py's names, as gunicorn reads them (its hooks, its logger class)."""
    # It makes a metrics directory unless one is set: keep it from this process's environment.
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path / "metrics"))
    return runpy.run_path(str(REPO / "gunicorn.conf.py"))
