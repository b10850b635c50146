"""DEALGUARD_SQLITE_SYNCHRONOUS: FULL unless an operator chooses NORMAL (README Performance)."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from app.config import Settings
from app.db import make_engine

LEVEL = {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}


def synchronous(url: str, mode: str | None = None) -> str:
    engine = make_engine(url) if mode is None else make_engine(url, mode)
    try:
        with engine.connect() as connection:
            return LEVEL[connection.execute(text("PRAGMA synchronous")).scalar()]
    finally:
        engine.dispose()


def test_full_by_default(tmp_path):
    url = f"sqlite:///{tmp_path / 'a.db'}"
    assert Settings.from_env({}).sqlite_synchronous == "FULL"
    assert synchronous(url) == "FULL"


def test_normal_when_chosen(tmp_path):
    settings = Settings.from_env({"DEALGUARD_SQLITE_SYNCHRONOUS": "normal"})
    assert settings.sqlite_synchronous == "NORMAL"
    assert synchronous(f"sqlite:///{tmp_path / 'a.db'}", settings.sqlite_synchronous) == "NORMAL"


def test_an_unknown_mode_stops_the_start():
    with pytest.raises(RuntimeError, match="DEALGUARD_SQLITE_SYNCHRONOUS"):
        Settings.from_env({"DEALGUARD_SQLITE_SYNCHRONOUS": "OFF"})
