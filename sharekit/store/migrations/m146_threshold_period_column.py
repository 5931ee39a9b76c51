"""m146: the threshold period moves onto the channel (``channels.threshold_period``)."""

from __future__ import annotations

import sqlite3

from . import migration


@migration
def m146_threshold_period_column(db: sqlite3.Connection) -> None:
    """``channels.threshold_period``: ``week`` or ``month`` (the threshold counts per period) or
    ``none``; NULL is ``none``. Rows of m145's ``channel_periods`` table are carried over and the
    table is dropped (the events' threshold check reads the column)."""
    columns = {r[1] for r in db.execute("PRAGMA table_info(channels)")}
    if "threshold_period" not in columns:
        db.execute("ALTER TABLE channels ADD COLUMN threshold_period TEXT"
                   " CHECK (threshold_period IN ('week', 'month', 'none'))")
    if db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'channel_periods'").fetchone():
        db.execute("UPDATE channels SET threshold_period = (SELECT p.period FROM channel_periods p"
                   " WHERE p.channel = channels.name) WHERE name IN (SELECT channel FROM channel_periods)")
        db.execute("DROP TABLE channel_periods")
