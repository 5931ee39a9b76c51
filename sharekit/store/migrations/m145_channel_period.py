"""m145: a spending threshold's period (group shops: the threshold resets each week or month)."""

from __future__ import annotations

import sqlite3

from . import migration, run_script


@migration
def m145_channel_period(db: sqlite3.Connection) -> None:
    """``channel_periods``: one row per channel whose threshold counts per ``week`` or ``month``
    (``none``: over the whole span, as before). A table of its own keyed by ``channel`` so a rename
    follows it like every other ``channel`` column."""
    run_script(
        db,
        """
        CREATE TABLE IF NOT EXISTS channel_periods (
            channel TEXT PRIMARY KEY,
            period TEXT NOT NULL CHECK (period IN ('week', 'month', 'none'))
        );
        """,
    )
