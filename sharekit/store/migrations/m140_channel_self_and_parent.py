"""m140: channel kind ``self`` (one's own purchases) and a friend's parent and override rate."""

from __future__ import annotations

import sqlite3

from . import migration, run_script


@migration
def m140_channel_self_and_parent(db: sqlite3.Connection) -> None:
    """Rebuild ``channels`` (SQLite cannot alter a CHECK) with kind ``self`` allowed, ``parent``
    (the friend who brought this friend in: two levels at most, checked by the library) and
    ``override_rate`` (the parent's cut of this friend's commission, a decimal string)."""
    run_script(
        db,
        """
        CREATE TABLE channels_new (
            name TEXT PRIMARY KEY,
            kind TEXT NOT NULL DEFAULT 'other' CHECK (kind IN ('group','moments','friend','other','self')),
            note TEXT,
            threshold_minor INTEGER,
            threshold_currency TEXT,
            share_rate TEXT,
            created_at TEXT NOT NULL,
            parent TEXT,
            override_rate TEXT
        );
        INSERT INTO channels_new (name, kind, note, threshold_minor, threshold_currency, share_rate, created_at)
            SELECT name, kind, note, threshold_minor, threshold_currency, share_rate, created_at FROM channels;
        DROP TABLE channels;
        ALTER TABLE channels_new RENAME TO channels;
        """,
    )
