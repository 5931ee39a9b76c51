"""Report spans: local calendar bounds, DST segments, week keys, and what a report counts.

What every report counts is defined here once (issue: counts agree across views):

- an order line belongs to a span by ``ordered_at`` (when it was placed), in the configured
  timezone; a later status change never moves it to another span;
- a line of any status is an order placed (``orders`` in every report); money figures split
  it by status (estimated, settled, lost).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from ..core.timeutil import check_year, parse_when, to_utc_iso
from ..errors import InputError

RATE_PLACES = Decimal("0.0001")
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
ORDER_TIME = "ordered_at"  # the one timestamp that places an order line in a span


def rate(numerator: Decimal | int, denominator: int) -> Decimal | None:
    """``numerator / denominator`` to 4 places (half up); None when the denominator is 0."""
    if not denominator:
        return None
    return (Decimal(numerator) / Decimal(denominator)).quantize(RATE_PLACES, rounding=ROUND_HALF_UP)


def range_sql(lo: datetime | None, hi: datetime | None, column: str = ORDER_TIME) -> tuple[str, list[str]]:
    """`` AND column >= ? AND column < ?`` for the bounds given, with their parameters."""
    sql, params = "", []
    if lo is not None:
        sql += f" AND {column} >= ?"
        params.append(to_utc_iso(lo))
    if hi is not None:
        sql += f" AND {column} < ?"
        params.append(to_utc_iso(hi))
    return sql, params


def local_day(moment: datetime, tz: str) -> date:
    return moment.astimezone(ZoneInfo(tz)).date()


def day_span(lo: datetime | None, hi: datetime | None, tz: str) -> tuple[str | None, str | None]:
    """First and last local day (inclusive, ISO) touched by [lo, hi): the span of day counters."""
    first = local_day(lo, tz).isoformat() if lo is not None else None
    last = local_day(hi - timedelta(microseconds=1), tz).isoformat() if hi is not None else None
    return first, last


_MONTH = re.compile(r"^\d{4}-\d{2}$")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _local_midnight(d: date, tz: str) -> datetime:
    return datetime(d.year, d.month, d.day, tzinfo=ZoneInfo(tz)).astimezone(UTC)


def _next_month(d: date) -> date:
    return date(d.year + (d.month == 12), d.month % 12 + 1, 1)


def resolve_bound(value: str | date | datetime | None, tz: str, *, end: bool) -> datetime | None:
    """A report bound as an aware UTC time.

    A date (``2026-11-30``) or month (``2026-11``) is a local calendar span: as ``since`` it
    starts at its first local midnight; as ``until`` it is included whole (the bound is the
    local midnight after it). Other text goes through ``parse_when`` (``7d``, ISO times).
    """
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        if value.tzinfo is None:
            return value.replace(tzinfo=ZoneInfo(tz)).astimezone(UTC)
        return value.astimezone(UTC)
    if isinstance(value, date):
        return _local_midnight(value + timedelta(days=1) if end else value, tz)
    text = str(value).strip()
    try:
        if _MONTH.match(text):
            first = date.fromisoformat(text + "-01")
            check_year(first, text, "until" if end else "since")
            return _local_midnight(_next_month(first) if end else first, tz)
        if _DAY.match(text):
            d = date.fromisoformat(text)
            check_year(d, text, "until" if end else "since")
            return _local_midnight(d + timedelta(days=1) if end else d, tz)
    except ValueError:
        raise InputError(f"{text!r} is not a date: use YYYY-MM-DD or YYYY-MM.") from None
    return parse_when(text, tz, param="until" if end else "since")


def month_bounds(month: str, tz: str) -> tuple[datetime, datetime]:
    """UTC bounds [start, end) of local calendar month ``YYYY-MM``."""
    if not _MONTH.match(month or ""):
        raise InputError(f"Month {month!r} is not YYYY-MM (e.g. 2026-11).")
    start, end = resolve_bound(month, tz, end=False), resolve_bound(month, tz, end=True)
    assert start is not None and end is not None
    return start, end


def offset_segments(lo: datetime, hi: datetime, tz: str) -> list[tuple[datetime, datetime, int]]:
    """Split [lo, hi) into spans of one UTC offset (minutes) in ``tz``; DST makes several."""
    zone = ZoneInfo(tz)

    def offset(t: datetime) -> int:
        delta = t.astimezone(zone).utcoffset()
        return int(delta.total_seconds() // 60) if delta else 0

    segments: list[tuple[datetime, datetime, int]] = []
    start, current, t = lo, offset(lo), lo
    step = timedelta(days=1)
    while t < hi:
        nxt = min(t + step, hi)
        if offset(nxt) != current:
            a, b = t, nxt
            while b - a > timedelta(seconds=1):
                mid = a + (b - a) / 2
                if offset(mid) == current:
                    a = mid
                else:
                    b = mid
            b = b.replace(microsecond=0)
            segments.append((start, b, current))
            start, current = b, offset(b)
        t = nxt
    segments.append((start, hi, current))
    return [s for s in segments if s[0] < s[1]]


def week_key(day: str) -> str:
    year, week, _ = date.fromisoformat(day).isocalendar()
    return f"{year}-W{week:02d}"


def time_key(by: str, day: str) -> str:
    if by == "day":
        return day
    if by == "month":
        return day[:7]
    return week_key(day)


def time_keys_between(by: str, first: date, last: date) -> list[str]:
    keys: list[str] = []
    d = first
    while d <= last:
        key = time_key(by, d.isoformat())
        if not keys or keys[-1] != key:
            keys.append(key)
        d += timedelta(days=1)
    return keys


def key_start(key: str, by: str) -> str:
    """The first local day (ISO) of a day, ISO week or month key."""
    if by == "day":
        return key
    if by == "month":
        return key + "-01"
    year, week = key.split("-W")
    return date.fromisocalendar(int(year), int(week), 1).isoformat()
