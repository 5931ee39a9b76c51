"""m111: statuses only move forward; the reports a line ignored are kept in its history."""

from __future__ import annotations

import sqlite3

from . import migration, run_script


@migration
def m111_status_forward(db: sqlite3.Connection) -> None:
    """``order_status_history.ignored``: 1 for a report of an older state the line did not take
    (a settled line later reported ``paid``). ``orders.settled_at`` is set for every settled line
    (the supplier's time of the report that settled it, when the supplier gives no settle time),
    so the month a line settled never moves with later updates."""
    run_script(
        db,
        """
        ALTER TABLE order_status_history ADD COLUMN ignored INTEGER NOT NULL DEFAULT 0;
        UPDATE orders SET settled_at = updated_at WHERE status = 'settled' AND settled_at IS NULL;
        """,
    )
