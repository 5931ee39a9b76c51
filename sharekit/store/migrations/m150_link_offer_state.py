"""m150: a link's offer state, set by `sharekit link check` (sold out, coupon expired)."""

from __future__ import annotations

import sqlite3

from . import migration, run_script


@migration
def m150_link_offer_state(db: sqlite3.Connection) -> None:
    """``links.state``: ok | sold_out | coupon_expired; ``alternatives``: JSON list of short codes of
    available products (same source and channel) the server offers instead; ``checked_at``: UTC."""
    run_script(
        db,
        """
        ALTER TABLE links ADD COLUMN state TEXT NOT NULL DEFAULT 'ok'
            CHECK (state IN ('ok', 'sold_out', 'coupon_expired'));
        ALTER TABLE links ADD COLUMN alternatives TEXT NOT NULL DEFAULT '[]';
        ALTER TABLE links ADD COLUMN checked_at TEXT;
        """,
    )
