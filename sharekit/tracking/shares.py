"""Shares: a product put in front of a channel (a link made, a poster rendered), once per day.

A share counts once per product, channel and local day, whatever made it: the usual flow
(`link create`, then `poster` for the same product) is one share, not two. Two warnings come
from the log, each as one summary line per channel and command instead of one per product:

- *repeats*: products already shared to the channel on an earlier day within
  ``[channels] min_days_between`` (default 3);
- *volume*: more than ``[channels] max_shares_per_day`` (default 20) products shared to a
  group or Moments in one day (不刷屏: a busy group mutes you).

A ``self`` channel (one's own purchases) gets neither warning.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from ..core.timeutil import from_iso, to_utc_iso, utcnow
from ..store.db import transaction

DEFAULT_MIN_DAYS = 3
DEFAULT_MAX_PER_DAY = 20
VOLUME_KINDS = ("group", "moments")   # where a flood of shares annoys people
EXEMPT_KINDS = ("self",)              # one's own purchases: never a repeat or a flood


def day_start(now: datetime, tz: str) -> datetime:
    """Local midnight (in ``tz``) of the day ``now`` falls on, as an aware datetime."""
    local = now.astimezone(ZoneInfo(tz))
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def record_share(conn: sqlite3.Connection, product_id: str, channel: str, kind: str = "poster",
                 *, when: datetime | None = None, tz: str = "Asia/Shanghai") -> bool:
    """Note that ``product_id`` was shared to ``channel``; False (nothing written) when it already
    was that local day, by a link or another share."""
    if not channel:
        return False
    when = when or utcnow()
    start = to_utc_iso(day_start(when, tz))
    with transaction(conn):
        seen = conn.execute(
            "SELECT 1 FROM share_log WHERE product_id = ? AND channel = ? AND shared_at >= ?"
            " UNION ALL SELECT 1 FROM links WHERE product_id = ? AND channel = ? AND created_at >= ? LIMIT 1",
            (product_id, channel, start, product_id, channel, start)).fetchone()
        if seen:
            return False
        conn.execute("INSERT INTO share_log (product_id, channel, kind, shared_at) VALUES (?,?,?,?)",
                     (product_id, channel, kind, to_utc_iso(when)))
    return True


def last_shared(conn: sqlite3.Connection, product_id: str, channel: str, *, before: str | None = None) -> str | None:
    """UTC ISO time ``product_id`` was last shared to ``channel`` (link created or share logged),
    only counting shares before ``before`` (UTC ISO) when given."""
    bound = before or "9999"
    row = conn.execute(
        "SELECT max(t) FROM ("
        " SELECT max(created_at) AS t FROM links WHERE product_id = ? AND channel = ? AND created_at < ?"
        " UNION ALL SELECT max(shared_at) FROM share_log WHERE product_id = ? AND channel = ? AND shared_at < ?)",
        (product_id, channel, bound, product_id, channel, bound),
    ).fetchone()
    return row[0] if row and row[0] else None


def _ago(elapsed: timedelta) -> str:
    hours = max(int(elapsed.total_seconds() // 3600), 0)
    return f"{hours // 24} day(s) ago" if hours >= 24 else f"{hours} hour(s) ago"


def share_warning(conn: sqlite3.Connection, product_id: str, channel: str, min_days: int,
                  *, now: datetime | None = None, tz: str = "Asia/Shanghai") -> str | None:
    """A one-line warning when ``product_id`` was shared to ``channel`` on an earlier day less than
    ``min_days`` ago (a share earlier today is the same share). None without a channel, with
    ``min_days`` 0, or when the last share is old enough."""
    if not channel or min_days <= 0:
        return None
    now = now or utcnow()
    last = last_shared(conn, product_id, channel, before=to_utc_iso(day_start(now, tz)))
    if last is None:
        return None
    elapsed = now - from_iso(last)
    if elapsed >= timedelta(days=min_days):
        return None
    return (f"{product_id} was already shared to {channel} {_ago(elapsed)}; [channels] min_days_between is "
            f"{min_days}, sharing it again so soon may annoy the people there.")


def shared_today(conn: sqlite3.Connection, channel: str, *, now: datetime | None = None,
                 tz: str = "Asia/Shanghai") -> int:
    """How many distinct products were shared to ``channel`` this local day (links and shares)."""
    start = to_utc_iso(day_start(now or utcnow(), tz))
    row = conn.execute(
        "SELECT count(DISTINCT product_id) FROM (SELECT product_id FROM share_log WHERE channel = ? AND shared_at >= ?"
        " UNION ALL SELECT product_id FROM links WHERE channel = ? AND created_at >= ?)",
        (channel, start, channel, start)).fetchone()
    return int(row[0] or 0)


@dataclass
class ShareNotes:
    """What one command shared, per channel, and the summary warnings that follow from it.

    Call :meth:`share` once per product and channel, *before* the link is made; then
    :meth:`warnings` gives at most two lines per channel.
    """

    conn: sqlite3.Connection
    min_days: int = DEFAULT_MIN_DAYS
    max_per_day: int = DEFAULT_MAX_PER_DAY
    tz: str = "Asia/Shanghai"
    quiet_repeats: bool = False
    now: datetime | None = None
    shared: dict[str, list[str]] = field(default_factory=dict)    # channel -> products, in order
    repeats: dict[str, list[str]] = field(default_factory=dict)   # channel -> products shared lately
    _kinds: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_config(cls, ws: object, *, quiet_repeats: bool = False, now: datetime | None = None) -> ShareNotes:
        """Settings from the workspace's ``[channels]`` table."""
        config = ws.config  # type: ignore[attr-defined]
        return cls(ws.db, int(config.get("channels.min_days_between", DEFAULT_MIN_DAYS) or 0),  # type: ignore[attr-defined]
                   int(config.get("channels.max_shares_per_day", DEFAULT_MAX_PER_DAY) or 0),
                   config.timezone, quiet_repeats, now)

    def kind(self, channel: str) -> str:
        if channel not in self._kinds:
            row = self.conn.execute("SELECT kind FROM channels WHERE name = ?", (channel,)).fetchone()
            self._kinds[channel] = row[0] if row else ""
        return self._kinds[channel]

    def check(self, product_id: str, channel: str) -> str | None:
        """Note the coming share of ``product_id`` to ``channel``; the repeat warning text if any."""
        if not channel or self.kind(channel) in EXEMPT_KINDS:
            return None
        products = self.shared.setdefault(channel, [])
        if product_id not in products:
            products.append(product_id)
        warning = share_warning(self.conn, product_id, channel, self.min_days, now=self.now, tz=self.tz)
        if warning and product_id not in self.repeats.setdefault(channel, []):
            self.repeats[channel].append(product_id)
        return warning

    def record(self, product_id: str, channel: str, kind: str) -> bool:
        """Write the share (once per product, channel and day)."""
        return record_share(self.conn, product_id, channel, kind, when=self.now, tz=self.tz)

    def warnings(self) -> list[str]:
        """One repeat line and one volume line per channel, at most."""
        lines = []
        for channel, products in self.shared.items():
            repeats = self.repeats.get(channel) or []
            if repeats and not self.quiet_repeats:
                names = ", ".join(repeats[:3]) + (", …" if len(repeats) > 3 else "")
                lines.append(f"{len(repeats)} of {len(products)} products were shared to {channel} in the last "
                             f"{self.min_days} days ({names}); `--quiet-repeats` hides this line.")
            if self.max_per_day and self.kind(channel) in VOLUME_KINDS:
                today = shared_today(self.conn, channel, now=self.now, tz=self.tz)
                if today > self.max_per_day:
                    lines.append(f"{channel} has {today} products shared today, more than [channels] "
                                 f"max_shares_per_day ({self.max_per_day}): 不刷屏, a busy group mutes you.")
        return lines
