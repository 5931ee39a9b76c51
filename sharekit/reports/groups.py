"""Group shops (群店): a group's spending toward its threshold in the current week or month.

A line counts as in ``report channels``: placed (``ordered_at``) in the period, in the report's
currency, not ``invalid``. ``unlocked_at`` is when the running total of a period first reached the
threshold: the ``ordered_at`` of the line that crossed it (recomputed from the lines, so a refund
that takes the total back under the threshold takes the unlock back too). Member savings are the
list amount minus what was paid, on lines whose list amount is known; ``None`` when none is.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from ..core.money import Money
from ..core.timeutil import from_iso, local_iso, to_utc_iso, utcnow
from ..errors import InputError
from ..tracking.channels import get_channel
from ..tracking.groups import period_of
from .spans import rate, resolve_bound

WORDS = {"week": "本周", "month": "本月", "none": ""}


def _midnight(d: date, tz: str) -> datetime:
    return datetime(d.year, d.month, d.day, tzinfo=ZoneInfo(tz)).astimezone(UTC)


def period_start(period: str, moment: datetime, tz: str) -> date | None:
    """The first local day of the week (Monday) or month holding ``moment``; None for ``none``."""
    day = moment.astimezone(ZoneInfo(tz)).date()
    if period == "week":
        return day - timedelta(days=day.weekday())
    if period == "month":
        return day.replace(day=1)
    return None


def _next_start(period: str, start: date) -> date:
    if period == "week":
        return start + timedelta(days=7)
    return date(start.year + (start.month == 12), start.month % 12 + 1, 1)


def _prev_start(period: str, start: date) -> date:
    if period == "week":
        return start - timedelta(days=7)
    return date(start.year - (start.month == 1), (start.month - 2) % 12 + 1, 1)


def period_key(period: str, start: date | None) -> str | None:
    """``2026-W49`` for a week, ``2026-12`` for a month, None for all time."""
    if start is None:
        return None
    if period == "week":
        year, week, _ = start.isocalendar()
        return f"{year}-W{week:02d}"
    return start.strftime("%Y-%m")


@dataclass(frozen=True)
class PeriodSpend:
    """One period of a group: what its members spent and saved, and when the threshold was reached."""

    key: str | None            # 2026-W49 / 2026-12; None: the whole span
    start: datetime | None     # UTC bounds [start, end)
    end: datetime | None
    orders: int                # lines placed, any status
    spent: Money               # paid on lines not invalid
    saved: Money | None        # list amount minus paid on lines whose list amount is known; None: unknown
    saved_orders: int
    unlocked_at: datetime | None = None

    def to_json(self, tz: str) -> dict[str, Any]:
        return {"period": self.key, "start": local_iso(self.start, tz) if self.start else None,
                "end": local_iso(self.end, tz) if self.end else None, "orders": self.orders,
                "spent": self.spent.to_json(), "saved": self.saved.to_json() if self.saved is not None else None,
                "saved_orders": self.saved_orders,
                "unlocked_at": local_iso(self.unlocked_at, tz) if self.unlocked_at else None}


@dataclass(frozen=True)
class GroupProgress:
    """A channel's progress toward its threshold in the current period, with earlier periods."""

    channel: str
    kind: str
    period: str                 # week | month | none
    threshold: Money | None
    current: PeriodSpend
    tz: str
    history: list[PeriodSpend] = field(default_factory=list)  # newest first, the current one included

    @property
    def remaining(self) -> Money | None:
        if self.threshold is None or self.threshold.currency != self.current.spent.currency:
            return None
        return Money(max(self.threshold.minor - self.current.spent.minor, 0), self.threshold.currency)

    @property
    def progress(self) -> Decimal | None:
        if self.remaining is None or self.threshold is None:
            return None
        return rate(self.current.spent.minor, self.threshold.minor)

    @property
    def reached(self) -> bool:
        return self.remaining is not None and self.remaining.minor == 0

    def share_line(self) -> str:
        """The line to post in the group: 本群本周已消费¥29.80，还差¥70.20解锁群专享价."""
        head = f"本群{WORDS.get(self.period, '')}已消费{self.current.spent.format()}"
        if self.remaining is None:
            return head
        if self.reached:
            when = self.current.unlocked_at
            at = ""
            if when is not None:
                local = when.astimezone(ZoneInfo(self.tz))
                at = f"于{local.month}月{local.day}日{local.hour:02d}:{local.minute:02d}"
            return f"{head}，已{at}解锁群专享价"
        return f"{head}，还差{self.remaining.format()}解锁群专享价"

    def to_json(self) -> dict[str, Any]:
        return {
            "channel": self.channel, "kind": self.kind, "period": self.period,
            "threshold": self.threshold.to_json() if self.threshold else None,
            **self.current.to_json(self.tz),
            "remaining": self.remaining.to_json() if self.remaining else None,
            "progress": None if self.progress is None else str(self.progress), "reached": self.reached,
            "share_line": self.share_line(),
            "history": [p.to_json(self.tz) for p in self.history],
        }


def _lines(conn: sqlite3.Connection, channel: str, currency: str, lo: datetime | None,
           hi: datetime | None) -> list[sqlite3.Row]:
    sql = ("SELECT ordered_at, status, amount_minor, list_amount_minor FROM orders"
           " WHERE channel = ? AND currency = ?")
    params: list[Any] = [channel, currency]
    if lo is not None:
        sql += " AND ordered_at >= ?"
        params.append(to_utc_iso(lo))
    if hi is not None:
        sql += " AND ordered_at < ?"
        params.append(to_utc_iso(hi))
    return conn.execute(sql + " ORDER BY ordered_at, rowid", params).fetchall()


def spend_of(lines: list[Any], currency: str, threshold: Money | None, key: str | None,
             lo: datetime | None, hi: datetime | None) -> PeriodSpend:
    """Sum ``lines`` (ordered by ``ordered_at``) into one period, with the moment the threshold was reached."""
    spent = saved = saved_n = 0
    unlocked = None
    limit = threshold.minor if threshold is not None and threshold.currency == currency else None
    for line in lines:
        if line["status"] == "invalid":
            continue
        spent += int(line["amount_minor"])
        if line["list_amount_minor"] is not None:
            saved += int(line["list_amount_minor"]) - int(line["amount_minor"])
            saved_n += 1
        if unlocked is None and limit is not None and spent >= limit:
            unlocked = from_iso(line["ordered_at"])
    return PeriodSpend(key, lo, hi, len(lines), Money(spent, currency), Money(saved, currency) if saved_n else None,
                       saved_n, unlocked)


def span_spend(conn: sqlite3.Connection, channel: str, period: str, currency: str, threshold: Money | None,
               tz: str, *, now: datetime | None = None, lo: datetime | None = None,
               hi: datetime | None = None) -> PeriodSpend:
    """The current week or month (holding ``now``) of ``channel``; for ``none``, the span [lo, hi)."""
    start = period_start(period, now or utcnow(), tz)
    if start is not None:
        lo, hi = _midnight(start, tz), _midnight(_next_start(period, start), tz)
    rows = _lines(conn, channel, currency, lo, hi)
    return spend_of(rows, currency, threshold, period_key(period, start), lo, hi)


def group_progress(ws: Any, channel: str, *, at: str | date | datetime | None = None, periods: int = 1,
                   currency: str | None = None) -> GroupProgress:
    """``channel``'s spending toward its threshold in the period holding ``at`` (default now), and the
    ``periods - 1`` periods before it (newest first), each with its member savings."""
    if periods < 1 or periods > 520:
        raise InputError(f"--periods {periods} must be from 1 to 520.")
    tz = ws.config.timezone
    conn: sqlite3.Connection = ws.db
    ch = get_channel(conn, channel)
    cur = (currency or (ch.threshold.currency if ch.threshold else ws.config.currency)).strip().upper()
    Money(0, cur)
    moment = resolve_bound(at, tz, end=False) if at not in (None, "") else utcnow()
    assert moment is not None
    period = period_of(conn, channel)
    first = period_start(period, moment, tz)
    if first is None:
        until = resolve_bound(at, tz, end=True) if at not in (None, "") else None
        current = span_spend(conn, channel, period, cur, ch.threshold, tz, now=moment, hi=until)
        return GroupProgress(ch.name, ch.kind, period, ch.threshold, current, tz, [current])
    starts = [first]
    while len(starts) < periods:
        starts.append(_prev_start(period, starts[-1]))
    lo, hi = _midnight(starts[-1], tz), _midnight(_next_start(period, first), tz)
    rows = _lines(conn, channel, cur, lo, hi)
    history = []
    for start in starts:
        a, b = _midnight(start, tz), _midnight(_next_start(period, start), tz)
        a_text, b_text = to_utc_iso(a), to_utc_iso(b)
        mine = [r for r in rows if a_text <= r["ordered_at"] < b_text]
        history.append(spend_of(mine, cur, ch.threshold, period_key(period, start), a, b))
    return GroupProgress(ch.name, ch.kind, period, ch.threshold, history[0], tz, history)


def apply_periods(ws: Any, rows: list[Any], lo: datetime | None, hi: datetime | None, currency: str,
                  *, now: datetime | None = None) -> list[Any]:
    """``report channels`` rows with each threshold's period: a week or month channel's progress is
    that of the current period (holding ``now``, or the report's end when it is earlier); every
    threshold gets the moment it was reached."""
    from dataclasses import replace

    from ..tracking.groups import channel_periods

    conn: sqlite3.Connection = ws.db
    tz = ws.config.timezone
    periods = channel_periods(conn)
    if now is None and hi is not None:  # a report that ends in the past: the period holding its end
        now = min(hi - timedelta(microseconds=1), utcnow())
    out = []
    for row in rows:
        if row.kind is None or row.threshold is None or row.threshold.currency != currency:
            out.append(row)
            continue
        period = periods.get(row.channel, "none")
        spend = span_spend(conn, row.channel, period, currency, row.threshold, tz, now=now, lo=lo, hi=hi)
        fields: dict[str, Any] = {"period_kind": period,
                                  "unlocked_at": local_iso(spend.unlocked_at, tz) if spend.unlocked_at else None}
        if period != "none":
            fields.update(period=spend.key, period_spent=spend.spent, period_saved=spend.saved,
                          remaining=Money(max(row.threshold.minor - spend.spent.minor, 0), currency),
                          progress=rate(spend.spent.minor, row.threshold.minor))
        out.append(replace(row, **fields))
    return out
