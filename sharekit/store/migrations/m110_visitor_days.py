"""m110: distinct visitors per channel, product and day (issue 14: visitors of a grouping)."""

from __future__ import annotations

import sqlite3

from . import migration, run_script


@migration
def m110_visitor_days(db: sqlite3.Connection) -> None:
    """``visitor_days``: one row per grouping, visitor and local day, kept by a trigger.

    ``click_visitors`` holds each link's distinct visitors per day; a visitor who opens three
    links of one channel is one visitor of that channel. The trigger fires only for a visitor
    new to a link and day (``INSERT OR IGNORE`` fires nothing for a row already there), and adds
    them to the link's channel (``dim`` 'c'), product ('p') and to everyone ('a', key '').
    Distinct visitors over a span are then ``count(DISTINCT visitor)`` of one grouping, read in
    key and visitor order from the primary key: exact, and never a scan of raw clicks.
    """
    run_script(
        db,
        """
        CREATE TABLE visitor_days (
            dim TEXT NOT NULL,                   -- 'c' channel, 'p' product, 'a' all
            key TEXT NOT NULL,
            visitor TEXT NOT NULL,
            day TEXT NOT NULL,                   -- local day, as in click_daily
            PRIMARY KEY (dim, key, visitor, day)
        ) WITHOUT ROWID;

        INSERT OR IGNORE INTO visitor_days
            SELECT 'c', l.channel, v.visitor, v.day FROM click_visitors v JOIN links l ON l.code = v.code;
        INSERT OR IGNORE INTO visitor_days
            SELECT 'p', l.product_id, v.visitor, v.day FROM click_visitors v JOIN links l ON l.code = v.code;
        INSERT OR IGNORE INTO visitor_days SELECT 'a', '', visitor, day FROM click_visitors;

        CREATE TRIGGER visitor_days_insert AFTER INSERT ON click_visitors BEGIN
            INSERT OR IGNORE INTO visitor_days
                SELECT 'c', l.channel, NEW.visitor, NEW.day FROM links l WHERE l.code = NEW.code
                UNION ALL SELECT 'p', l.product_id, NEW.visitor, NEW.day FROM links l WHERE l.code = NEW.code
                UNION ALL SELECT 'a', '', NEW.visitor, NEW.day;
        END;
        """,
    )
