"""Channels: what each channel's members spent and saved, and progress toward its threshold.

Counts are those of every report (see ``spans``): ``orders`` are the lines placed in the span,
whatever their status, the same number ``report --by channel`` shows; ``spent`` and ``saved``
leave out ``invalid`` lines (nothing was bought). Clicks, visitors and returning visitors follow
``tracking.counting``. Buyers (fans who bought) are counted only where an order line carries a
buyer hint (the order CSV's ``buyer`` column): JD, PDD and Taobao give none per buyer, so their
lines are never guessed at; ``buyers`` is None for a channel without any hinted line.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from ..core.money import Money
from ..core.timeutil import local_iso
from ..tracking.channels import NONE_KEY, list_channels
from ..tracking.counting import distinct_visitors, returning_visitors
from .groups import apply_periods
from .rollups import click_sums
from .spans import day_span, range_sql, rate, resolve_bound


@dataclass(frozen=True)
class ChannelSpend:
    """What one channel's members spent and saved, and how far it is from its threshold."""

    channel: str
    kind: str | None
    orders: int              # lines placed in the span, any status (as in every report)
    invalid: int             # of those: invalid (refunded, cancelled), left out of spent and saved
    spent: Money             # what members paid on lines not invalid
    saved: Money | None      # list price minus paid on lines whose list price is known; None: unknown
    saved_orders: int        # lines (not invalid) whose list price is known
    threshold: Money | None
    remaining: Money | None  # threshold minus spent, never below zero; None without a threshold
    progress: Decimal | None  # spent / threshold (4 places); None without a threshold in this currency
    clicks: int = 0          # people's clicks on the channel's links in the span's local days (products
    #                          in this currency, as in `report --by channel`)
    visitors: int = 0        # distinct visitors of the channel over those days
    returning: int = 0       # of those: seen on the channel's links on an earlier day
    buyers: int | None = None         # distinct buyers among lines with a buyer hint; None: no hint
    repeat_buyers: int | None = None  # of those: buyers with more than one order in the span
    buyer_orders: int = 0             # lines placed in the span that carry a buyer hint
    # a threshold's period (group shops): week | month | none; with week or month, remaining and
    # progress are those of the current period (see reports.groups); None without a threshold
    period_kind: str | None = None
    period: str | None = None          # the current period's key (2026-W48, 2026-11)
    period_spent: Money | None = None
    period_saved: Money | None = None  # None: no list amount known in the period
    unlocked_at: str | None = None     # local ISO time the threshold was reached (in the period or span)

    @property
    def reached(self) -> bool:
        return self.threshold is not None and self.remaining is not None and self.remaining.minor == 0

    def to_json(self) -> dict[str, Any]:
        return {
            "channel": self.channel, "kind": self.kind, "orders": self.orders, "invalid": self.invalid,
            "spent": self.spent.to_json(), "saved": self.saved.to_json() if self.saved is not None else None,
            "saved_orders": self.saved_orders, "clicks": self.clicks, "visitors": self.visitors,
            "returning": self.returning, "buyers": self.buyers, "repeat_buyers": self.repeat_buyers,
            "buyer_orders": self.buyer_orders,
            "threshold": self.threshold.to_json() if self.threshold else None,
            "remaining": self.remaining.to_json() if self.remaining is not None else None,
            "progress": None if self.progress is None else str(self.progress), "reached": self.reached,
            "period_kind": self.period_kind, "period": self.period,
            "period_spent": self.period_spent.to_json() if self.period_spent is not None else None,
            "period_saved": self.period_saved.to_json() if self.period_saved is not None else None,
            "unlocked_at": self.unlocked_at,
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
                "visitors_method": "exact", "buyers_method": BUYERS_METHOD, "rows": [r.to_json() for r in self.rows],
                "unmatched": [{"channel": k, "orders": v} for k, v in sorted(self.unmatched.items())]}


BUYERS_METHOD = ("distinct buyer hints of the lines that carry one (the order CSV's `buyer` column); "
                 "JD, PDD and Taobao orders name no buyer, so their lines are not counted")
_BUYERS_SQL = (
    "SELECT channel, json_extract(extra, '$.buyer') AS b, order_id FROM orders WHERE currency = ?{where}"
    " AND extra LIKE '%\"buyer\"%' AND b IS NOT NULL"
)
_SUMS_SQL = (
    "SELECT channel, count(*), sum(status = 'invalid'),"
    " sum(CASE WHEN status <> 'invalid' THEN amount_minor ELSE 0 END),"
    " sum(CASE WHEN status <> 'invalid' AND list_amount_minor IS NOT NULL"
    "     THEN list_amount_minor - amount_minor ELSE 0 END),"
    " sum(status <> 'invalid' AND list_amount_minor IS NOT NULL)"
    " FROM orders WHERE currency = ?{where} GROUP BY channel"
)


def channels_report(ws: Any, since: str | date | datetime | None = None, until: str | date | datetime | None = None,
                    currency: str | None = None) -> ChannelsReport:
    """Per channel: orders, spent, saved, clicks, visitors (and returning ones), buyers where the
    orders name them, and progress toward its threshold."""
    tz = ws.config.timezone
    cur = (currency or ws.config.currency).strip().upper()
    Money(0, cur)
    conn: sqlite3.Connection = ws.db
    lo, hi = resolve_bound(since, tz, end=False), resolve_bound(until, tz, end=True)
    where_sql, params = range_sql(lo, hi)
    channels = {c.name: c for c in list_channels(conn)}
    sums: dict[str, list[int]] = {name: [0, 0, 0, 0, 0] for name in channels}
    unmatched: dict[str, int] = {}
    for name, *figures in conn.execute(_SUMS_SQL.format(where=where_sql), (cur, *params)):
        key = name if name in channels else NONE_KEY
        if name and key == NONE_KEY:
            unmatched[name] = unmatched.get(name, 0) + figures[0]
        acc = sums.setdefault(key, [0, 0, 0, 0, 0])
        for i, v in enumerate(figures):
            acc[i] += int(v or 0)
    first, last = day_span(lo, hi, tz)
    clicks: dict[str, int] = {}
    for name, n in click_sums(conn, "channel", cur, first, last).items():  # as `report --by channel`
        key = name if name in channels else NONE_KEY
        clicks[key] = clicks.get(key, 0) + int(n or 0)
    visitors = distinct_visitors(conn, "channel", first, last)
    visitors[NONE_KEY] = visitors.get("", 0)  # links without a channel (never a sum over sub-ids)
    returning = returning_visitors(conn, "channel", first, last)
    returning[NONE_KEY] = returning.get("", 0)
    bought: dict[str, dict[str, set[str]]] = {}   # channel -> buyer -> orders
    hinted: dict[str, int] = {}
    for name, buyer, order_id in conn.execute(_BUYERS_SQL.format(where=where_sql), (cur, *params)):
        key = name if name in channels else NONE_KEY
        bought.setdefault(key, {}).setdefault(str(buyer), set()).add(order_id)
        hinted[key] = hinted.get(key, 0) + 1
    buyers = {key: (len(found), sum(len(o) > 1 for o in found.values()), hinted[key])
              for key, found in bought.items()}
    rows = []
    for key, (n, invalid, spent, saved, saved_n) in sums.items():
        ch = channels.get(key)
        threshold = ch.threshold if ch else None
        remaining = progress = None
        if threshold is not None and threshold.currency == cur:
            remaining = Money(max(threshold.minor - spent, 0), cur)
            progress = rate(spent, threshold.minor)
        rows.append(ChannelSpend(key, ch.kind if ch else None, n, invalid, Money(spent, cur),
                                 Money(saved, cur) if saved_n else None, saved_n, threshold, remaining, progress,
                                 clicks.get(key, 0), visitors.get(key, 0), returning.get(key, 0),
                                 *(buyers[key] if key in buyers else (None, None, 0))))
    rows = apply_periods(ws, rows, lo, hi, cur)
    rows.sort(key=lambda r: (r.channel == NONE_KEY, -r.spent.minor, r.channel))
    return ChannelsReport(cur, local_iso(lo, tz) if lo else None, local_iso(hi, tz) if hi else None, rows, unmatched)
