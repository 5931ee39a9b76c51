"""m148: a link's poster variant (`poster --variants`: one short link per template, scans told apart)."""

from __future__ import annotations

import sqlite3

from . import migration, run_script


@migration
def m148_link_variant(db: sqlite3.Connection) -> None:
    """``links.variant``: the poster template this link was made for (``''``: an ordinary link, the
    one every other command reuses). A product and channel then have one link per variant."""
    run_script(
        db,
        """
        ALTER TABLE links ADD COLUMN variant TEXT NOT NULL DEFAULT '';
        CREATE INDEX links_by_variant ON links(variant) WHERE variant <> '';
        """,
    )
