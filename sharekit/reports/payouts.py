"""Payouts: what each friend who re-shares is owed for a month."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from ..core.money import Money
from ..core.sanitize import csv_text
from ..core.timeutil import to_utc_iso, utcnow
from ..tracking.channels import list_channels
from .spans import month_bounds


@dataclass(frozen=True)
class Payout:
    """A friend's share of the commission her channel's orders settled in the month."""

    channel: str
    note: str | None
    share: Decimal
    orders: int
    settled: Money
    payout: Money

    def to_json(self) -> dict[str, Any]:
        return {"channel": self.channel, "note": self.note, "share": str(self.share), "orders": self.orders,
                "settled": self.settled.to_json(), "payout": self.payout.to_json()}


@dataclass(frozen=True)
class Payouts:
    month: str
    timezone: str
    rows: list[Payout]

    def to_json(self) -> dict[str, Any]:
        return {"month": self.month, "timezone": self.timezone, "rows": [r.to_json() for r in self.rows]}


def previous_month(tz: str, now: datetime | None = None) -> str:
    today = (now or utcnow()).astimezone(ZoneInfo(tz)).date()
    last = today.replace(day=1) - timedelta(days=1)
    return f"{last.year:04d}-{last.month:02d}"


def payouts(ws: Any, month: str | None = None) -> Payouts:
    """For each ``friend`` channel with a share: her share of the commission settled in ``month``.

    A line counts in the local month its commission settled (``settled_at``, else the time the
    supplier reported it settled), so a paid month never changes when older orders settle
    later. One row per friend and currency; ``month`` defaults to the previous month.
    """
    tz = ws.config.timezone
    month = month or previous_month(tz)
    start, end = month_bounds(month, tz)
    conn: sqlite3.Connection = ws.db
    friends = [c for c in list_channels(conn, kind="friend")]
    rows: list[Payout] = []
    for ch in friends:
        found = conn.execute(
            "SELECT currency, count(*), sum(commission_minor) FROM orders WHERE channel = ? AND status = 'settled'"
            " AND coalesce(settled_at, updated_at) >= ? AND coalesce(settled_at, updated_at) < ?"
            " GROUP BY currency ORDER BY currency",
            (ch.name, to_utc_iso(start), to_utc_iso(end)),
        ).fetchall()
        share = ch.share if ch.share is not None else Decimal(0)
        if not found:
            found = [(ws.config.currency, 0, 0)]
        for currency, n, settled in found:
            money = Money(settled or 0, currency)
            rows.append(Payout(ch.name, ch.note, share, n, money, money.times(share)))
    return Payouts(month, tz, rows)


def payouts_csv(result: Payouts) -> str:
    """Payouts as CSV a reseller can pay from: one line per friend and currency."""
    header = ["month", "channel", "note", "currency", "orders", "settled", "share", "payout"]
    return csv_text(header, ([result.month, r.channel, r.note or "", r.settled.currency, r.orders,
                              r.settled.decimal_str(), r.share, r.payout.decimal_str()] for r in result.rows))
