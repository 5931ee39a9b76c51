"""Channels: what each channel's members spent and saved, and progress toward its threshold."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from ..core.money import Money
from ..core.timeutil import local_iso
from ..tracking.channels import NONE_KEY, list_channels
from .spans import range_sql, rate, resolve_bound


@dataclass(frozen=True)
class ChannelSpend:
    """What one channel's members spent and saved, and how far it is from its threshold."""

    channel: str
    kind: str | None
    orders: int              # lines not invalid
    spent: Money             # what members paid on lines not invalid
    saved: Money             # list price minus paid (coupons included), where the list price is known
    threshold: Money | None
    remaining: Money | None  # threshold minus spent, never below zero; None without a threshold
    progress: Decimal | None  # spent / threshold (4 places); None without a threshold in this currency

    @property
    def reached(self) -> bool:
        return self.threshold is not None and self.remaining is not None and self.remaining.minor == 0

    def to_json(self) -> dict[str, Any]:
        return {
            "channel": self.channel, "kind": self.kind, "orders": self.orders, "spent": self.spent.to_json(),
            "saved": self.saved.to_json(), "threshold": self.threshold.to_json() if self.threshold else None,
            "remaining": self.remaining.to_json() if self.remaining else None,
            "progress": None if self.progress is None else str(self.progress), "reached": self.reached,
        }


@dataclass(frozen=True)
class ChannelsReport:
    currency: str
    since: str | None
    until: str | None
    rows: list[ChannelSpend]
    unmatched: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"currency": self.currency, "since": self.since, "until": self.until,
                "rows": [r.to_json() for r in self.rows],
                "unmatched": [{"channel": k, "orders": v} for k, v in sorted(self.unmatched.items())]}


def channels_report(ws: Any, since: str | date | datetime | None = None, until: str | date | datetime | None = None,
                    currency: str | None = None) -> ChannelsReport:
    """Per channel: orders, spent, saved and progress toward its threshold, in one currency."""
    tz = ws.config.timezone
    cur = (currency or ws.config.currency).strip().upper()
    Money(0, cur)
    conn: sqlite3.Connection = ws.db
    lo, hi = resolve_bound(since, tz, end=False), resolve_bound(until, tz, end=True)
    where_sql, params = range_sql(lo, hi)
    channels = {c.name: c for c in list_channels(conn)}
    sums: dict[str, list[int]] = {name: [0, 0, 0] for name in channels}
    unmatched: dict[str, int] = {}
    for name, n, spent, saved in conn.execute(
        "SELECT channel, count(*), sum(amount_minor),"
        " sum(CASE WHEN list_amount_minor IS NOT NULL THEN list_amount_minor - amount_minor ELSE 0 END)"
        f" FROM orders WHERE currency = ? AND status <> 'invalid'{where_sql} GROUP BY channel",
        (cur, *params),
    ):
        key = name if name in channels else NONE_KEY
        if name and key == NONE_KEY:
            unmatched[name] = unmatched.get(name, 0) + n
        acc = sums.setdefault(key, [0, 0, 0])
        acc[0] += n
        acc[1] += spent or 0
        acc[2] += saved or 0
    rows = []
    for key, (n, spent, saved) in sums.items():
        ch = channels.get(key)
        threshold = ch.threshold if ch else None
        remaining = progress = None
        if threshold is not None and threshold.currency == cur:
            remaining = Money(max(threshold.minor - spent, 0), cur)
            progress = rate(spent, threshold.minor)
        rows.append(ChannelSpend(key, ch.kind if ch else None, n, Money(spent, cur), Money(saved, cur), threshold,
                                 remaining, progress))
    rows.sort(key=lambda r: (r.channel == NONE_KEY, -r.spent.minor, r.channel))
    return ChannelsReport(cur, local_iso(lo, tz) if lo else None, local_iso(hi, tz) if hi else None, rows, unmatched)
