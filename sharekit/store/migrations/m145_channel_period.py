"""m145: a spending threshold's period (group shops: the threshold resets each week or month)."""

from __future__ import annotations

import sqlite3

from . import migration


@migration
def m145_channel_period(db: sqlite3.Connection) -> None:
    """``channels.threshold_period``: ``week`` or ``month`` (the threshold counts per period) or
    ``none``; NULL is ``none`` (over the report's span, as before)."""
    columns = {r[1] for r in db.execute("PRAGMA table_info(channels)")}
    if "threshold_period" not in columns:
        db.execute("ALTER TABLE channels ADD COLUMN threshold_period TEXT"
                   " CHECK (threshold_period IN ('week', 'month', 'none'))")
