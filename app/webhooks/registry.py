"""The registered webhooks and their deliveries, as the API shows them."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.log.write.columns import decided_at_text
from app.webhooks.models import FAILED, PENDING, Webhook, WebhookDelivery
from app.webhooks.secrets import seal

DELIVERIES_SHOWN = 100
DELETED_ERROR = "webhook deleted"


def create(session: Session, service_secret: str, url: str, events: list[str],
           secret: str) -> dict[str, Any]:
    webhook = Webhook(id=str(uuid.uuid4()), url=url, events=json.dumps(events),
                      secret_sealed=seal(service_secret, secret), created_at=_now())
    session.add(webhook)
    session.commit()
    return shown(webhook)


def active(session: Session) -> list[dict[str, Any]]:
    rows = session.scalars(select(Webhook).where(Webhook.deleted_at.is_(None))
                           .order_by(Webhook.created_at, Webhook.id))
    return [shown(webhook) for webhook in rows]


def delete(session: Session, webhook_id: str) -> bool:
    """Stop a webhook: it gets no new deliveries, and its pending ones are given up."""
    now = _now()
    changed = session.execute(
        update(Webhook).where(Webhook.id == webhook_id, Webhook.deleted_at.is_(None))
        .values(deleted_at=now)).rowcount
    if changed:
        session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.webhook_id == webhook_id, WebhookDelivery.state == PENDING)
            .values(state=FAILED, next_attempt_at=None, last_error=DELETED_ERROR))
    session.commit()
    return bool(changed)


def deliveries(session: Session, webhook_id: str,
               limit: int = DELIVERIES_SHOWN) -> list[dict[str, Any]] | None:
    """The webhook's latest deliveries, newest first; None for no (active) such webhook."""
    found = session.scalar(select(Webhook.id).where(Webhook.id == webhook_id,
                                                    Webhook.deleted_at.is_(None)))
    if found is None:
        return None
    rows = session.scalars(
        select(WebhookDelivery).where(WebhookDelivery.webhook_id == webhook_id)
        .order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id.desc()).limit(limit))
    return [{
        "id": row.id,
        "event": row.event,
        "event_id": row.event_id,
        "state": row.state,
        "attempts": row.attempts,
        "last_status_code": row.last_status_code,
        "last_error": row.last_error,
        "next_attempt_at": _text(row.next_attempt_at),
        "created_at": _text(row.created_at),
        "delivered_at": _text(row.delivered_at),
    } for row in rows]


def shown(webhook: Webhook) -> dict[str, Any]:
    """A webhook as answered: never its secret."""
    return {"id": webhook.id, "url": webhook.url, "events": json.loads(webhook.events),
            "created_at": _text(webhook.created_at)}


def _now() -> datetime:
    return datetime.now(UTC)


def _text(moment: datetime | None) -> str | None:
    return None if moment is None else decided_at_text(moment)
