"""m151: events (order.new, order.settled, ..., link.dead) and their webhook delivery state."""

from __future__ import annotations

import sqlite3

from . import migration, run_script


@migration
def m151_events(db: sqlite3.Connection) -> None:
    """``events``: one row per thing the reseller should hear about, deduplicated by ``key``
    (``order.settled:jd:123``); ``delivered_at`` stays NULL until the webhook took it.
    ``event_cursors``: how far order status history has been turned into events; history that
    exists when this migration runs predates events and is not announced."""
    run_script(
        db,
        """
        CREATE TABLE events (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL,
            key TEXT NOT NULL UNIQUE,
            payload TEXT NOT NULL,               -- JSON
            created_at TEXT NOT NULL,            -- UTC ISO 8601
            delivered_at TEXT,
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at TEXT,
            last_error TEXT
        );
        CREATE INDEX events_by_time ON events(created_at);
        CREATE INDEX events_undelivered ON events(id) WHERE delivered_at IS NULL;
        CREATE TABLE event_cursors (
            name TEXT PRIMARY KEY,
            value INTEGER NOT NULL
        );
        INSERT INTO event_cursors (name, value)
            SELECT 'order_status_history', coalesce(max(id), 0) FROM order_status_history;
        """,
    )
