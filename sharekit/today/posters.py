"""`sharekit today --posters`: render the picks into posters/today/<date>/<channel>/ and record them.

Each pick gets the channel's short link (created when missing) and the link is tagged with the
day it was picked (``links.extra.picked``); rendering records the share, so tomorrow's pick and
the repeat warnings know about it. A list price the store never saw charged is left off these
posters and share texts: nothing is struck through that was not really a price.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from ..core.timeutil import utcnow
from ..store.db import transaction
from .pick import ChannelPicks

if TYPE_CHECKING:
    from ..store.workspace import Workspace


def today_folder(ws: Workspace, channel: str, now: datetime | None = None) -> Path:
    day = (now or utcnow()).astimezone(ZoneInfo(ws.config.timezone)).date().isoformat()
    return ws.paths.posters / "today" / day / channel


def render_picks(ws: Workspace, results: list[ChannelPicks], *, template: str | None = None,
                 now: datetime | None = None) -> list[str]:
    """Render each channel's picks (posters + share texts) and fill in files and short URLs.

    Returns the warnings the poster batch had (placeholder photos and the like).
    """
    from ..poster.batch import make_posters
    from ..tracking.links import find_link

    warnings: list[str] = []
    day = (now or utcnow()).astimezone(ZoneInfo(ws.config.timezone)).date().isoformat()
    for result in results:
        if not result.picks:
            continue
        folder = today_folder(ws, result.channel, now)
        batch = make_posters(ws, [p.product_id for p in result.picks], template=template,
                             channels=[result.channel], out=folder,
                             unseen_list_price={p.product_id for p in result.picks if not p.list_price_seen})
        warnings.extend(batch.warnings)
        by_product = {o.product: o for o in batch.outcomes}
        for pick in result.picks:
            outcome = by_product.get(pick.product_id)
            if outcome is None or outcome.status == "failed":
                if outcome is not None and outcome.error:
                    warnings.append(f"{pick.product_id}: {outcome.error}")
                continue
            pick.poster = outcome.path
            text = Path(outcome.path).with_suffix(".txt")
            pick.text_file = str(text)
            pick.share_text = text.read_text(encoding="utf-8") if text.exists() else None
            link = find_link(ws.db, pick.product_id, result.channel, _base_url(ws))
            if link is not None:
                pick.short_url = link.share_url
                _tag(ws, link.code, day)
    return warnings


def _base_url(ws: Workspace) -> str | None:
    return ws.config.get("server.base_url") or None


def _tag(ws: Workspace, code: str, day: str) -> None:
    conn = ws.db
    row = conn.execute("SELECT extra FROM links WHERE code = ?", (code,)).fetchone()
    extra = json.loads(row[0]) if row and row[0] else {}
    if extra.get("picked") == day:
        return
    extra["picked"] = day
    with transaction(conn):
        conn.execute("UPDATE links SET extra = ? WHERE code = ?", (json.dumps(extra, ensure_ascii=False), code))
