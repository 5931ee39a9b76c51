"""The one call the writers make: record what happened, then send it if a webhook is configured."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from ..errors import ConfigError
from . import record_order_events, record_source_failures
from .webhook import DeliveryResult, deliver_pending, settings_from


def send(ws: Any, *, client: Any = None, now: datetime | None = None, force: bool = False) -> DeliveryResult | None:
    """Send undelivered events to ``[notify] webhook``; None when none is configured.

    Never raises for the receiver: a failure is in the result and the events stay queued.
    """
    try:
        settings = settings_from(ws.config)
    except ConfigError as exc:
        return DeliveryResult(error=str(exc))
    if settings is None:
        return None
    return deliver_pending(ws.db, settings, client=client, now=now, force=force)


def after_orders(ws: Any, *, sync_results: Iterable[Any] = (), now: datetime | None = None,
                 client: Any = None) -> DeliveryResult | None:
    """After a sync or an order import: order events, failed sources, thresholds; then send."""
    conn = ws.db
    record_source_failures(conn, sync_results, now=now)
    record_order_events(conn, now=now, tz=ws.config.timezone)
    return send(ws, client=client, now=now)
