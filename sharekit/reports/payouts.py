"""Payouts: what each friend who re-shares is owed for a month, and what the reseller keeps.

Two-level sharing: a friend's channel may have a parent friend with an override rate. Of each
commission base of a friend's channel (settled in the month, or an adjustment learned in it):

- the friend's own line is her share, rounded half away from zero to the minor unit (as always);
- her parent's override line is the override rate, rounded toward zero;
- the reseller keeps the rest (``reseller``), so the odd fen goes to the friend when her share
  rounds up and otherwise stays with the reseller, and own + override + kept is always exactly
  the base. Share plus override is at most 1 (``channel add`` refuses more), so what is kept is
  never negative (for a refund adjustment: never positive).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from itertools import groupby
from typing import Any
from zoneinfo import ZoneInfo

from ..core.money import Money
from ..core.sanitize import csv_text
from ..core.timeutil import to_utc_iso, utcnow
from ..tracking.channels import list_channels
from .spans import month_bounds

KINDS = ("settled", "adjustment")  # row kinds, in the order shown per friend


@dataclass(frozen=True)
class Payout:
    """One row of a friend's payout for a month: a share of a commission base of one kind.

    ``settled``: commission of her channel's lines that settled in the month (local time of
    ``settled_at``). ``adjustment``: changes the month learned of to lines settled earlier (a
    refund after settlement, a corrected commission), negative for money taken back; charged in
    the month sharekit recorded them, so a month already paid never changes.
    """

    channel: str
    note: str | None
    share: Decimal
    orders: int
    settled: Money      # the commission base of this row (negative for a refund adjustment)
    payout: Money
    kind: str = "settled"
    line: str = "own"   # own: her share of her channel; override: her cut of a child friend's channel
    via: str | None = None  # for an override line: the child friend's channel whose commission it is on

    def to_json(self) -> dict[str, Any]:
        return {"channel": self.channel, "kind": self.kind, "line": self.line, "via": self.via, "note": self.note,
                "share": str(self.share), "orders": self.orders, "settled": self.settled.to_json(),
                "payout": self.payout.to_json()}


@dataclass(frozen=True)
class Kept:
    """What the reseller keeps of one friend channel's commission base (one kind, one currency):
    ``settled`` = ``own`` + ``override`` + ``kept``, exactly."""

    channel: str
    kind: str
    orders: int
    settled: Money
    own: Money
    override: Money
    kept: Money

    def to_json(self) -> dict[str, Any]:
        return {"channel": self.channel, "kind": self.kind, "orders": self.orders, "settled": self.settled.to_json(),
                "own": self.own.to_json(), "override": self.override.to_json(), "kept": self.kept.to_json()}


@dataclass(frozen=True)
class Payouts:
    month: str
    timezone: str
    rows: list[Payout]
    reseller: list[Kept] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"month": self.month, "timezone": self.timezone, "rows": [r.to_json() for r in self.rows],
                "reseller": [k.to_json() for k in self.reseller]}

    def total(self, channel: str, currency: str) -> Money:
        """What ``channel`` is owed in ``currency`` for the month, all row kinds together."""
        return Money(sum(r.payout.minor for r in self.rows if r.channel == channel
                         and r.payout.currency == currency), currency)


def previous_month(tz: str, now: datetime | None = None) -> str:
    today = (now or utcnow()).astimezone(ZoneInfo(tz)).date()
    last = today.replace(day=1) - timedelta(days=1)
    return f"{last.year:04d}-{last.month:02d}"


def _ledger(conn: sqlite3.Connection, channel: str, start: str, end: str) -> dict[tuple[str, str], list[int]]:
    """Per (kind, currency): [lines, commission base] of ``channel`` for the month [start, end).

    A line's base is its commission while settled, 0 otherwise (refunded). Its first settlement
    counts in the month of ``settled_at``; each later change of the base (from the status
    history; ignored reports change nothing) counts in the month it was recorded.
    """
    found: dict[tuple[str, str], list[int]] = {}

    def add(kind: str, currency: str, amount: int, line: bool = True) -> None:
        acc = found.setdefault((kind, currency), [0, 0])
        acc[0] += line
        acc[1] += amount

    rows = conn.execute(  # one pass: each line with its history rows, in order
        "SELECT o.id, o.currency, o.status, o.commission_minor, o.settled_at, h.status, h.commission_minor,"
        " h.recorded_at FROM orders o LEFT JOIN order_status_history h ON h.order_line = o.id AND h.ignored = 0"
        " WHERE o.channel = ? AND o.settled_at IS NOT NULL AND o.settled_at < ? AND o.status IN ('settled', 'invalid')"
        " ORDER BY o.id, h.id", (channel, end))
    for (_, currency, status, commission, settled_at), group in groupby(rows, key=lambda r: r[:5]):
        history = [r[5:] for r in group if r[5] is not None]
        first = next((i for i, h in enumerate(history) if h[0] == "settled"), None)
        if first is None:  # written without history (a hand-made store): its current state settled it
            if status == "settled" and start <= settled_at < end:
                add("settled", currency, commission)
            continue
        base = history[first][1]
        if start <= settled_at < end:
            add("settled", currency, base)
        moved = 0
        for h_status, h_commission, recorded_at in history[first + 1:]:
            new = h_commission if h_status == "settled" else 0
            if start <= recorded_at < end and new != base:
                moved += new - base
            base = new
        if moved:
            add("adjustment", currency, moved)
    return found


def override_amount(base: int, rate: Decimal) -> int:
    """A parent's override of ``base`` minor units: ``base * rate`` rounded toward zero (exact)."""
    numerator, denominator = rate.as_integer_ratio()
    value = abs(base) * numerator // denominator
    return -value if base < 0 else value


def payouts(ws: Any, month: str | None = None) -> Payouts:
    """For each ``friend`` channel: her share of the commission settled in ``month``, and of the
    adjustments learned in it (see :class:`Payout`); her parent's override on it; and what the
    reseller keeps (see the module's doc for where the odd fen goes).

    Per friend, in name order: one ``settled`` own row per currency (zero when nothing settled),
    an ``adjustment`` row where the month learned of a refund or a changed commission of a line
    settled before, then the override rows she earns on her child friends' channels.
    ``month`` defaults to the previous month.
    """
    tz = ws.config.timezone
    month = month or previous_month(tz)
    start, end = month_bounds(month, tz)
    conn: sqlite3.Connection = ws.db
    friends = list_channels(conn, kind="friend")
    notes = {ch.name: ch.note for ch in friends}
    own_rows: dict[str, list[Payout]] = {ch.name: [] for ch in friends}
    override_rows: dict[str, list[Payout]] = {ch.name: [] for ch in friends}
    kept: list[Kept] = []
    for ch in friends:
        share = ch.share if ch.share is not None else Decimal(0)
        rate = ch.override if ch.parent and ch.override is not None and ch.parent in own_rows else None
        found = _ledger(conn, ch.name, to_utc_iso(start), to_utc_iso(end))
        currencies = sorted({cur for _, cur in found}) or [ws.config.currency]
        for currency in currencies:
            for kind in KINDS:
                n, base = found.get((kind, currency), [0, 0])
                if kind != "settled" and not n:
                    continue
                money = Money(base, currency)
                own = money.times(share)
                cut = Money(override_amount(base, rate), currency) if rate is not None else Money(0, currency)
                own_rows[ch.name].append(Payout(ch.name, ch.note, share, n, money, own, kind))
                if rate is not None and ch.parent:
                    override_rows[ch.parent].append(Payout(ch.parent, notes.get(ch.parent), rate, n, money, cut, kind,
                                                           "override", ch.name))
                kept.append(Kept(ch.name, kind, n, money, own, cut, money - own - cut))
    rows = [r for ch in friends for r in (*own_rows[ch.name], *override_rows[ch.name])]
    return Payouts(month, tz, rows, kept)


def payouts_csv(result: Payouts) -> str:
    """Payouts as CSV a reseller can pay from: one line per friend, row kind, line and currency
    (``line`` own or override; ``via`` the child friend an override is on)."""
    header = ["month", "channel", "kind", "note", "currency", "orders", "settled", "share", "payout", "line", "via"]
    return csv_text(header, ([result.month, r.channel, r.kind, r.note or "", r.settled.currency, r.orders,
                              r.settled.decimal_str(), r.share, r.payout.decimal_str(), r.line, r.via or ""]
                             for r in result.rows))
