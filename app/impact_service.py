"""A candidate policy's impact: the logged requests decided again under it (CONTRACT §5).

The log gives the requests (app.log.read.requests), the engine decides them again
(app.engine.replay); `POST /v1/policy/impact` and `dealguard policy impact` both
answer with this.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine

from app.engine.policy import Policy
from app.engine.replay import replay
from app.log.read.lookup import claim_lookup
from app.log.read.query import Filters
from app.log.read.requests import logged_requests

DEFAULT_LIMIT = 1000


def impact(db_engine: Engine, candidate: Policy, filters: Filters, limit: int,
           timezone: str) -> dict[str, Any]:
    """Decide the newest `limit` matching logged requests again under `candidate`."""
    requests = logged_requests(db_engine, filters, limit)
    return replay(candidate, requests, claim_lookup(db_engine), timezone).as_dict(candidate)
