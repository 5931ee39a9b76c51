"""m190: orders credited to a channel by the clicks before them (issue 17, part 6)."""

from __future__ import annotations

import sqlite3

from . import migration, run_script


@migration
def m190_order_attribution(db: sqlite3.Connection) -> None:
    """``order_attribution``: the inferred channel of an order line that came back without one.

    One row per line that had people's clicks on its product's short links within the window
    before it was ordered: ``channel`` is the one channel whose links were clicked (NULL when
    several were: ``candidates`` names them all, and the line stays unattributed). The
    supplier's own ``orders.channel`` is never touched; a line that later carries one loses its
    row here. ``clicks_people_by_time`` (people only, in time order) lets the attribution pass
    read just the clicks of its orders' windows; clicks arrive in time order, so the index
    grows at its right edge and costs a click write little.
    """
    run_script(
        db,
        """
        CREATE TABLE order_attribution (
            order_line TEXT PRIMARY KEY REFERENCES orders(id) ON DELETE CASCADE,
            channel TEXT,                        -- the inferred channel; NULL = ambiguous
            candidates TEXT NOT NULL,            -- JSON list of the channels clicked in the window
            clicks INTEGER NOT NULL,             -- people's clicks counted for the line
            last_click_at TEXT,                  -- UTC ISO: the last such click
            window_seconds INTEGER NOT NULL,
            computed_at TEXT NOT NULL
        ) WITHOUT ROWID;
        CREATE INDEX order_attribution_by_channel ON order_attribution(channel) WHERE channel IS NOT NULL;
        CREATE INDEX clicks_people_by_time ON clicks(clicked_at, product_id, channel) WHERE is_bot = 0;
        """,
    )
