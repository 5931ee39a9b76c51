"""Earnings reports: what each share earned, where, and what is owed to friends who re-share.

Rules (DESIGN.md, "Earnings"):

- estimated = pending + confirmed, settled, lost = invalid; ``unknown`` statuses are counted as
  orders but their commission stays apart (``unknown``) until the source's status is mapped.
- A row holds the orders *placed* in it (``ordered_at`` in the configured timezone); a later
  status change moves money between estimated, settled and lost of the same row, never to
  another row.
- One currency at a time. Orders in other currencies are counted in ``other_currencies`` so a
  person knows they exist, and never added in.
- Clicks come from the ``click_daily`` counters (local days), human clicks only
  (``clicks - bots``), joined to links for product and channel.
- An order whose channel (sub-id) matches no channel is reported under ``(none)`` and its
  sub-id listed in ``unmatched``: never dropped.
- When a line turns invalid and the supplier zeroes its commission, ``lost`` takes the last
  non-zero commission from the line's status history: what was lost is what had been expected.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from ..core.limits import MAX_REPORT_DAYS
from ..core.money import Money
from ..core.sanitize import csv_text
from ..core.timeutil import check_year, local_iso, parse_when, to_utc_iso, utcnow
from ..errors import ConfigError, InputError
from ..tracking.channels import NONE_KEY, channel_names, list_channels

BYS = ("day", "week", "month", "product", "channel", "source")
TIME_BYS = ("day", "week", "month")
HUMAN_CLICKS = "clicks - bots"  # click_daily counts every click in `clicks`; bots are a subset
DEFAULT_MAX_INVALID_RATE = Decimal("0.2")
RATE_PLACES = Decimal("0.0001")

_FIGURES_SQL = (
    "count(*), sum(amount_minor),"
    " sum(CASE WHEN status IN ('pending','confirmed') THEN commission_minor ELSE 0 END),"
    " sum(CASE WHEN status = 'settled' THEN commission_minor ELSE 0 END),"
    " sum(CASE WHEN status = 'invalid' THEN commission_minor ELSE 0 END),"
    " sum(CASE WHEN status = 'unknown' THEN commission_minor ELSE 0 END)"
)
# Invalid lines whose commission the supplier zeroed: what was lost is the last non-zero
# commission in their history. A partial index keeps this a small lookup.
_ZEROED_LOST_SQL = (
    "sum(coalesce((SELECT h.commission_minor FROM order_status_history h WHERE h.order_line = orders.id"
    " AND h.commission_minor <> 0 ORDER BY h.id DESC LIMIT 1), 0))"
)


def _order_groups(conn: sqlite3.Connection, key_sql: str, currency: str, range_sql: str,
                  params: list[str]) -> dict[str, list[int]]:
    """Per ``key_sql`` value, from the orders themselves: the six figures (see ``_Acc``)."""
    groups: dict[str, list[int]] = {}
    for row in conn.execute(
        f"SELECT {key_sql} AS k, {_FIGURES_SQL} FROM orders WHERE currency = ?{range_sql} GROUP BY k",
        (currency, *params),
    ):
        groups[row[0]] = [int(v or 0) for v in row[1:]]
    return groups


def _zeroed_lost(conn: sqlite3.Connection, key_sql: str, currency: str, range_sql: str,
                 params: list[str]) -> dict[str, int]:
    """Per key: the lost commission of invalid lines the supplier zeroed (from their history)."""
    return {key: int(lost) for key, lost in conn.execute(
        f"SELECT {key_sql} AS k, {_ZEROED_LOST_SQL} FROM orders WHERE currency = ? AND status = 'invalid'"
        f" AND commission_minor = 0{range_sql} GROUP BY k",
        (currency, *params),
    ) if lost}


def _add_into(groups: dict[str, list[int]], key: str, figures: Iterable[int]) -> None:
    acc = groups.setdefault(key, [0, 0, 0, 0, 0, 0])
    for i, v in enumerate(figures):
        acc[i] += v


def _aligned(lo: datetime | None, hi: datetime | None, unit: timedelta) -> tuple[datetime | None, datetime | None]:
    """[lo, hi) shrunk to whole UTC hours or days (``unit``); the parts outside are the edges."""
    def floor(t: datetime) -> datetime:
        epoch = datetime(1970, 1, 1, tzinfo=UTC)
        return epoch + ((t - epoch) // unit) * unit

    inner_lo = None if lo is None else (floor(lo) if floor(lo) == lo else floor(lo) + unit)
    inner_hi = None if hi is None else floor(hi)
    return inner_lo, inner_hi


_ROLLUP_FIGURES_SQL = _FIGURES_SQL.replace("count(*)", "sum(orders)")


def _rolled_up_groups(conn: sqlite3.Connection, *, table: str | None, key_rollup: str, key_raw: str,
                      bucket_col: str, unit: timedelta, bucket_fmt: str, currency: str, lo: datetime | None,
                      hi: datetime | None) -> dict[str, list[int]]:
    """The six figures per key: whole buckets from the rollup ``table``, the edges from ``orders``.

    With ``table`` None everything is read from the orders (zones with half-hour offsets).
    """
    inner_lo, inner_hi = _aligned(lo, hi, unit)
    groups: dict[str, list[int]] = {}
    if table is None or (inner_lo is not None and inner_hi is not None and inner_lo >= inner_hi):
        edges = [(lo, hi)]  # no rollup, or the range lies inside one bucket: read it all from the orders
    else:
        sql = f"SELECT {key_rollup} AS k, {_ROLLUP_FIGURES_SQL} FROM {table} WHERE currency = ?"
        params: list[str] = [currency]
        if inner_lo is not None:
            sql += f" AND {bucket_col} >= ?"
            params.append(inner_lo.strftime(bucket_fmt))
        if inner_hi is not None:
            sql += f" AND {bucket_col} < ?"
            params.append(inner_hi.strftime(bucket_fmt))
        for row in conn.execute(sql + " GROUP BY k", params):
            if any(row[1:]):
                _add_into(groups, row[0], row[1:])
        edges = [(lo, inner_lo)] if lo is not None and inner_lo is not None and lo < inner_lo else []
        if hi is not None and inner_hi is not None and inner_hi < hi:
            edges.append((inner_hi, hi))
    for a, b in edges:
        range_sql, params = _range_sql(a, b)
        for key, figures in _order_groups(conn, key_raw, currency, range_sql, params).items():
            _add_into(groups, key, figures)
    range_sql, params = _range_sql(lo, hi)
    for key, lost in _zeroed_lost(conn, key_raw, currency, range_sql, params).items():
        _add_into(groups, key, [0, 0, 0, 0, lost, 0])
    return groups


def _local_day_groups(conn: sqlite3.Connection, currency: str, lo: datetime, hi: datetime,
                      tz: str) -> dict[str, list[int]]:
    """The six figures per local day over [lo, hi): one pass per span of constant UTC offset.

    Whole-hour offsets read the hourly rollup (an hour lies in one local day); half-hour zones
    read the orders.
    """
    groups: dict[str, list[int]] = {}
    for a, b, minutes in offset_segments(lo, hi, tz):
        shift = f"'{minutes:+d} minutes'"
        part = _rolled_up_groups(
            conn, table="report_hourly" if minutes % 60 == 0 else None,
            key_rollup=f"date(hour || ':00:00', {shift})", key_raw=f"date(ordered_at, {shift})",
            bucket_col="hour", unit=HOUR, bucket_fmt="%Y-%m-%dT%H", currency=currency, lo=a, hi=b)
        for key, figures in part.items():
            _add_into(groups, key, figures)
    return groups


# --- results ----------------------------------------------------------------------------------


def _rate(numerator: Decimal | int, denominator: int) -> Decimal | None:
    if not denominator:
        return None
    return (Decimal(numerator) / Decimal(denominator)).quantize(RATE_PLACES, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class ReportRow:
    """One row of an earnings report (or its totals, key ``total``)."""

    key: str
    clicks: int
    orders: int
    gmv: Money          # what buyers paid on the lines placed in this row (all statuses)
    estimated: Money    # pending + confirmed commission
    settled: Money
    lost: Money         # invalid: refunded, cancelled, risk-rejected
    unknown: Money      # commission of lines whose status is not mapped yet

    @property
    def earned(self) -> Money:
        """Estimated plus settled: what the row is expected to bring."""
        return self.estimated + self.settled

    @property
    def conversion(self) -> Decimal | None:
        """Orders per click (4 places); None without clicks."""
        return _rate(self.orders, self.clicks)

    @property
    def epc(self) -> Decimal | None:
        """Earnings (estimated + settled) per click in major units (4 places); None without clicks."""
        return _rate(self.earned.amount, self.clicks)

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key, "clicks": self.clicks, "orders": self.orders, "gmv": self.gmv.to_json(),
            "estimated": self.estimated.to_json(), "settled": self.settled.to_json(), "lost": self.lost.to_json(),
            "unknown": self.unknown.to_json(),
            "conversion": None if self.conversion is None else str(self.conversion),
            "epc": None if self.epc is None else str(self.epc),
        }


@dataclass(frozen=True)
class Report:
    """An earnings report in one currency, grouped ``by`` one key."""

    by: str
    currency: str
    timezone: str
    since: str | None           # local ISO time, inclusive
    until: str | None           # local ISO time, exclusive
    rows: list[ReportRow]
    totals: ReportRow
    unmatched: dict[str, int] = field(default_factory=dict)         # sub-id -> orders under (none)
    other_currencies: dict[str, int] = field(default_factory=dict)  # currency -> orders not included

    def to_json(self) -> dict[str, Any]:
        return {
            "by": self.by, "currency": self.currency, "timezone": self.timezone, "since": self.since,
            "until": self.until, "rows": [r.to_json() for r in self.rows], "totals": self.totals.to_json(),
            "unmatched": [{"channel": k, "orders": v} for k, v in sorted(self.unmatched.items())],
            "other_currencies": dict(sorted(self.other_currencies.items())),
        }

    def series(self) -> tuple[list[str], list[int], list[int]]:
        """Labels, earnings (estimated + settled, minor units) and clicks per row, for charts."""
        return ([r.key for r in self.rows], [r.earned.minor for r in self.rows], [r.clicks for r in self.rows])


# --- time ranges ------------------------------------------------------------------------------

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
            check_year(first, text, "--until" if end else "--since")
            return _local_midnight(_next_month(first) if end else first, tz)
        if _DAY.match(text):
            d = date.fromisoformat(text)
            check_year(d, text, "--until" if end else "--since")
            return _local_midnight(d + timedelta(days=1) if end else d, tz)
    except ValueError:
        raise InputError(f"{text!r} is not a date: use YYYY-MM-DD or YYYY-MM.") from None
    return parse_when(text, tz, option="--until" if end else "--since")


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


def _week_key(day: str) -> str:
    year, week, _ = date.fromisoformat(day).isocalendar()
    return f"{year}-W{week:02d}"


def _time_key(by: str, day: str) -> str:
    if by == "day":
        return day
    if by == "month":
        return day[:7]
    return _week_key(day)


def _time_keys_between(by: str, first: date, last: date) -> list[str]:
    keys: list[str] = []
    d = first
    while d <= last:
        key = _time_key(by, d.isoformat())
        if not keys or keys[-1] != key:
            keys.append(key)
        d += timedelta(days=1)
    return keys


# --- the earnings report ----------------------------------------------------------------------


class _Acc:
    """Running sums per key: orders, gmv, estimated, settled, lost, unknown (minor units), clicks."""

    def __init__(self) -> None:
        self.figures: dict[str, list[int]] = {}
        self.clicks: dict[str, int] = {}

    def add(self, key: str, values: Iterable[int | None]) -> None:
        acc = self.figures.setdefault(key, [0, 0, 0, 0, 0, 0])
        for i, v in enumerate(values):
            acc[i] += int(v or 0)

    def add_clicks(self, key: str, n: int | None) -> None:
        self.clicks[key] = self.clicks.get(key, 0) + int(n or 0)

    def row(self, key: str, currency: str) -> ReportRow:
        o, g, e, s, lost, u = self.figures.get(key, [0, 0, 0, 0, 0, 0])
        return ReportRow(key, self.clicks.get(key, 0), o, Money(g, currency), Money(e, currency),
                         Money(s, currency), Money(lost, currency), Money(u, currency))


def _totals(rows: list[ReportRow], currency: str) -> ReportRow:
    def total(name: str) -> Money:
        return Money(sum(getattr(r, name).minor for r in rows), currency)

    return ReportRow("total", sum(r.clicks for r in rows), sum(r.orders for r in rows), total("gmv"),
                     total("estimated"), total("settled"), total("lost"), total("unknown"))


def _range_sql(lo: datetime | None, hi: datetime | None, column: str = "ordered_at") -> tuple[str, list[str]]:
    sql, params = "", []
    if lo is not None:
        sql += f" AND {column} >= ?"
        params.append(to_utc_iso(lo))
    if hi is not None:
        sql += f" AND {column} < ?"
        params.append(to_utc_iso(hi))
    return sql, params


def _local_day(moment: datetime, tz: str) -> date:
    return moment.astimezone(ZoneInfo(tz)).date()


def _other_currencies(conn: sqlite3.Connection, currency: str, lo: datetime | None,
                      hi: datetime | None) -> dict[str, int]:
    """Order lines in the range in currencies other than ``currency`` (from the hourly rollup)."""
    found: dict[str, int] = {}
    previous = ""
    while True:
        row = conn.execute("SELECT currency FROM report_hourly WHERE currency > ? ORDER BY currency LIMIT 1",
                           (previous,)).fetchone()
        if row is None:
            return found
        previous = row[0]
        if previous == currency:
            continue
        groups = _rolled_up_groups(conn, table="report_hourly", key_rollup="''", key_raw="''", bucket_col="hour",
                                   unit=HOUR, bucket_fmt="%Y-%m-%dT%H", currency=previous, lo=lo, hi=hi)
        n = sum(figures[0] for figures in groups.values())
        if n:
            found[previous] = n


def _foreign_codes_sql(conn: sqlite3.Connection, currency: str) -> tuple[str, list[str]]:
    """SQL excluding clicks on links whose product is priced in another currency."""
    row = conn.execute(
        "SELECT 1 FROM links l JOIN products p ON p.id = l.product_id WHERE p.currency <> ? LIMIT 1", (currency,)
    ).fetchone()
    if row is None:
        return "", []
    return (" AND code NOT IN (SELECT l.code FROM links l JOIN products p ON p.id = l.product_id"
            " WHERE p.currency <> ?)", [currency])


HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


def earnings_report(
    ws: Any,
    by: str = "month",
    since: str | date | datetime | None = None,
    until: str | date | datetime | None = None,
    currency: str | None = None,
) -> Report:
    """Clicks, orders, GMV, estimated/settled/lost commission, conversion and EPC per ``by`` key.

    ``since`` is inclusive, ``until`` exclusive (a date or month given as ``until`` is included
    whole). ``currency`` defaults to the configured one. Reads the rollups the m091 triggers
    keep, and the orders themselves only for partial hours/days at the range's edges.
    """
    if by not in BYS:
        raise InputError(f"Cannot report by {by!r}: use one of {', '.join(BYS)}.")
    tz = ws.config.timezone
    cur = (currency or ws.config.currency).strip().upper()
    Money(0, cur)  # validates the code
    conn: sqlite3.Connection = ws.db
    lo, hi = resolve_bound(since, tz, end=False), resolve_bound(until, tz, end=True)
    if lo is not None and hi is not None and lo >= hi:
        raise InputError("--since must be before --until.")
    ensure_rollups(conn)
    acc = _Acc()
    unmatched: dict[str, int] = {}

    # clicks are local-day counters: the day span follows the time range
    day_sql, day_params = "", []
    if lo is not None:
        day_sql += " AND day >= ?"
        day_params.append(_local_day(lo, tz).isoformat())
    if hi is not None:
        day_sql += " AND day <= ?"
        day_params.append(_local_day(hi - timedelta(microseconds=1), tz).isoformat())
    click_rollup = (f"SELECT {{key}}, sum({HUMAN_CLICKS}) FROM report_clicks WHERE currency IN (?, '')"
                    f"{day_sql} GROUP BY 1")

    if by in TIME_BYS:
        first = lo or _first_order(conn, cur)
        last = hi or _last_order(conn, cur)
        if first is not None and last is not None:
            for day, figures in _local_day_groups(conn, cur, first, last, tz).items():
                acc.add(_time_key(by, day), figures)
        for day, n in conn.execute(click_rollup.format(key="day"), (cur, *day_params)):
            acc.add_clicks(_time_key(by, day), n)
        keys = set(acc.figures) | set(acc.clicks)
        starts = [_key_start(k, by) for k in keys]
        first_day = _local_day(lo, tz) if lo else (date.fromisoformat(min(starts)) if starts else None)
        last_day = (_local_day(hi - timedelta(microseconds=1), tz) if hi
                    else (date.fromisoformat(max(starts)) if starts else None))
        if first_day and last_day and (last_day - first_day).days > MAX_REPORT_DAYS:
            # a span of decades: fill empty rows only between the first and last day with data
            first_day = max(first_day, date.fromisoformat(min(starts))) if starts else None
            last_day = min(last_day, date.fromisoformat(max(starts))) if starts else None
            if first_day and last_day and (last_day - first_day).days > MAX_REPORT_DAYS:
                first_day = last_day = None  # still too long: only the keys with data
        ordered_keys = _time_keys_between(by, first_day, last_day) if first_day and last_day else []
        ordered_keys += sorted(keys - set(ordered_keys))
        rows = [acc.row(k, cur) for k in ordered_keys]
    else:
        if by == "product":
            range_sql, params = _range_sql(lo, hi)
            groups = _order_groups(conn, "coalesce(product_id, '')", cur, range_sql, params)
            for key, lost in _zeroed_lost(conn, "coalesce(product_id, '')", cur, range_sql, params).items():
                _add_into(groups, key, [0, 0, 0, 0, lost, 0])
        else:
            groups = _rolled_up_groups(conn, table="report_daily", key_rollup=by, key_raw=by, bucket_col="day",
                                       unit=DAY, bucket_fmt="%Y-%m-%d", currency=cur, lo=lo, hi=hi)
        known = channel_names(conn) if by == "channel" else set()
        for k, figures in groups.items():
            key = k or NONE_KEY
            if by == "channel" and key != NONE_KEY and key not in known:
                unmatched[key] = unmatched.get(key, 0) + figures[0]
                key = NONE_KEY
            acc.add(key, figures)
        if by == "product":
            products = dict(conn.execute("SELECT code, product_id FROM links"))
            foreign_sql, foreign_params = _foreign_codes_sql(conn, cur)
            for code, n in conn.execute(
                f"SELECT code, sum({HUMAN_CLICKS}) FROM click_daily WHERE 1{day_sql}{foreign_sql} GROUP BY code",
                (*day_params, *foreign_params),
            ):
                acc.add_clicks(products.get(code) or NONE_KEY, n)
        else:
            for key, n in conn.execute(click_rollup.format(key=by), (cur, *day_params)):
                if by == "channel" and key not in known:
                    key = NONE_KEY
                acc.add_clicks(key or NONE_KEY, n)
        rows = [acc.row(k, cur) for k in set(acc.figures) | set(acc.clicks)]
        rows.sort(key=lambda r: (r.key == NONE_KEY, -r.earned.minor, -r.orders, -r.clicks, r.key))
    return Report(
        by=by, currency=cur, timezone=tz,
        since=local_iso(lo, tz) if lo else None, until=local_iso(hi, tz) if hi else None,
        rows=rows, totals=_totals(rows, cur), unmatched=unmatched,
        other_currencies=_other_currencies(conn, cur, lo, hi),
    )


def _key_start(key: str, by: str) -> str:
    if by == "day":
        return key
    if by == "month":
        return key + "-01"
    year, week = key.split("-W")
    return date.fromisocalendar(int(year), int(week), 1).isoformat()


def _first_order(conn: sqlite3.Connection, currency: str) -> datetime | None:
    row = conn.execute("SELECT min(hour) FROM report_hourly WHERE currency = ? AND orders <> 0", (currency,)).fetchone()
    return datetime.fromisoformat(row[0] + ":00:00+00:00") if row and row[0] else None


def _last_order(conn: sqlite3.Connection, currency: str) -> datetime | None:
    row = conn.execute("SELECT max(hour) FROM report_hourly WHERE currency = ? AND orders <> 0", (currency,)).fetchone()
    return datetime.fromisoformat(row[0] + ":00:00+00:00") + HOUR if row and row[0] else None


def ensure_rollups(conn: sqlite3.Connection) -> bool:
    """Rebuild the rollups when they drifted from the rows they sum; True when it rebuilt.

    The triggers keep them exact, but ``INSERT OR REPLACE`` deletes the old row without firing
    the delete trigger (unless ``recursive_triggers`` is on), which leaves a row counted twice:
    comparing row counts catches exactly that, for the cost of two index counts.
    """
    from ..store.db import transaction

    with transaction(conn, immediate=False):  # one snapshot: a concurrent writer cannot fake a drift
        orders = conn.execute("SELECT count(*) FROM orders").fetchone()[0]
        rolled = conn.execute("SELECT coalesce(sum(orders), 0) FROM report_hourly").fetchone()[0]
        counters = conn.execute("SELECT count(*) FROM click_daily").fetchone()[0]
        rolled_counters = conn.execute("SELECT coalesce(sum(counters), 0) FROM report_clicks").fetchone()[0]
    if (orders, counters) == (rolled, rolled_counters):
        return False
    rebuild_rollups(conn)
    return True


def rebuild_rollups(conn: sqlite3.Connection) -> None:
    """Recompute the report rollups from orders and click counters (one transaction).

    The triggers keep them exact; this is for a store edited by hand or a writer that used
    ``INSERT OR REPLACE`` (whose implicit delete fires no trigger).
    """
    from ..store.db import transaction
    from ..store.migrations import run_script
    from ..store.migrations.shipped import ROLLUP_FILL_SQL

    with transaction(conn):
        conn.execute("DELETE FROM report_hourly")
        conn.execute("DELETE FROM report_daily")
        conn.execute("DELETE FROM report_clicks")
        run_script(conn, ROLLUP_FILL_SQL)


# --- channels: spending, savings, thresholds --------------------------------------------------


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
    range_sql, params = _range_sql(lo, hi)
    channels = {c.name: c for c in list_channels(conn)}
    sums: dict[str, list[int]] = {name: [0, 0, 0] for name in channels}
    unmatched: dict[str, int] = {}
    for name, n, spent, saved in conn.execute(
        "SELECT channel, count(*), sum(amount_minor),"
        " sum(CASE WHEN list_amount_minor IS NOT NULL THEN list_amount_minor - amount_minor ELSE 0 END)"
        f" FROM orders WHERE currency = ? AND status <> 'invalid'{range_sql} GROUP BY channel",
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
            progress = _rate(spent, threshold.minor)
        rows.append(ChannelSpend(key, ch.kind if ch else None, n, Money(spent, cur), Money(saved, cur), threshold,
                                 remaining, progress))
    rows.sort(key=lambda r: (r.channel == NONE_KEY, -r.spent.minor, r.channel))
    return ChannelsReport(cur, local_iso(lo, tz) if lo else None, local_iso(hi, tz) if hi else None, rows, unmatched)


# --- payouts to friends -----------------------------------------------------------------------


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


# --- products: what buyers return -------------------------------------------------------------


@dataclass(frozen=True)
class ProductReturns:
    product: str
    title: str | None
    orders: int
    invalid: int
    invalid_rate: Decimal
    flagged: bool

    def to_json(self) -> dict[str, Any]:
        return {"product": self.product, "title": self.title, "orders": self.orders, "invalid": self.invalid,
                "invalid_rate": str(self.invalid_rate), "flagged": self.flagged}


@dataclass(frozen=True)
class ProductsReport:
    max_invalid_rate: Decimal
    since: str | None
    until: str | None
    rows: list[ProductReturns]

    def to_json(self) -> dict[str, Any]:
        return {"max_invalid_rate": str(self.max_invalid_rate), "since": self.since, "until": self.until,
                "rows": [r.to_json() for r in self.rows]}


def max_invalid_rate(config: Any) -> Decimal:
    """``[reports] max_invalid_rate`` (default 0.2) as an exact Decimal in [0, 1]."""
    raw = config.get("reports.max_invalid_rate", None)
    if raw is None:
        return DEFAULT_MAX_INVALID_RATE
    try:
        value = Decimal(str(raw).strip().rstrip("%")) / (100 if str(raw).strip().endswith("%") else 1)
        ok = value.is_finite() and Decimal(0) <= value <= Decimal(1)
    except ArithmeticError:
        ok = False
    if isinstance(raw, bool) or not ok:
        line = config.line_of("reports.max_invalid_rate") if hasattr(config, "line_of") else None
        where = f"{config.path}, line {line}" if line else str(getattr(config, "path", "config"))
        raise ConfigError(f"{where}: `reports.max_invalid_rate` must be a rate between 0 and 1, not {raw!r}.")
    return value


def products_report(ws: Any, since: str | date | datetime | None = None,
                    until: str | date | datetime | None = None) -> ProductsReport:
    """Per product: order lines placed, how many ended invalid, and a flag above the allowed rate."""
    tz = ws.config.timezone
    limit = max_invalid_rate(ws.config)
    lo, hi = resolve_bound(since, tz, end=False), resolve_bound(until, tz, end=True)
    range_sql, params = _range_sql(lo, hi)
    conn: sqlite3.Connection = ws.db
    rows: list[ProductReturns] = []
    for product, title, n, invalid in conn.execute(
        "SELECT coalesce(o.product_id, ''), coalesce(p.title, max(o.product_title)), count(*),"
        " sum(o.status = 'invalid') FROM orders o LEFT JOIN products p ON p.id = o.product_id"
        f" WHERE 1{range_sql.replace('ordered_at', 'o.ordered_at')} GROUP BY coalesce(o.product_id, '')",
        params,
    ):
        rate = _rate(invalid, n) or Decimal(0)
        rows.append(ProductReturns(product or NONE_KEY, title, n, invalid, rate, rate > limit))
    rows.sort(key=lambda r: (not r.flagged, -r.invalid_rate, -r.orders, r.product))
    return ProductsReport(limit, local_iso(lo, tz) if lo else None, local_iso(hi, tz) if hi else None, rows)


# --- CSV --------------------------------------------------------------------------------------


def report_csv(report: Report) -> str:
    """The report as CSV: money in major units with a currency column, totals as the last row."""
    header = [report.by, "currency", "clicks", "orders", "gmv", "estimated", "settled", "lost", "unknown",
              "conversion", "epc"]
    return csv_text(header, ([r.key, report.currency, r.clicks, r.orders, r.gmv.decimal_str(),
                              r.estimated.decimal_str(), r.settled.decimal_str(), r.lost.decimal_str(),
                              r.unknown.decimal_str(), "" if r.conversion is None else r.conversion,
                              "" if r.epc is None else r.epc] for r in [*report.rows, report.totals]))


def payouts_csv(result: Payouts) -> str:
    """Payouts as CSV a reseller can pay from: one line per friend and currency."""
    header = ["month", "channel", "note", "currency", "orders", "settled", "share", "payout"]
    return csv_text(header, ([result.month, r.channel, r.note or "", r.settled.currency, r.orders,
                              r.settled.decimal_str(), r.share, r.payout.decimal_str()] for r in result.rows))


# --- demo -------------------------------------------------------------------------------------


def demo_step(ws: Any, examples: Path, say: Callable[[str], None]) -> dict[str, Any]:
    """Add the example channels, then report earnings by month and by channel (and a chart).

    Channels come from ``examples/reports/channels.toml``. The orders are the example order file
    another demo step imported; when the store has none (this step run alone) the small
    ``examples/reports/orders.csv`` is loaded directly so the report is never empty.
    """
    import tomllib

    from ..tracking.channels import add_channel, parse_share, parse_threshold
    from .charts import render_chart, text_bars

    spec = tomllib.loads((examples / "reports" / "channels.toml").read_text(encoding="utf-8"))
    for name, item in spec.get("channels", {}).items():
        add_channel(
            ws.db, name, kind=item.get("kind"), note=item.get("note"),
            threshold=parse_threshold(item["threshold"], ws.config.currency) if item.get("threshold") else None,
            share=parse_share(item["share"]) if item.get("share") else None,
        )
        say(f"channel add {name} ({item.get('kind', 'other')})")
    if ws.db.execute("SELECT count(*) FROM orders").fetchone()[0] == 0:
        n = _load_sample_orders(ws, examples / "reports" / "orders.csv")
        say(f"no orders in the store yet: loaded {n} sample order lines from examples/reports/orders.csv")
    by_month = earnings_report(ws, by="month")
    by_channel = earnings_report(ws, by="channel")
    lines = [f"earnings by month ({by_month.currency}):"]
    for row in by_month.rows:
        lines.append(f"  {row.key}  orders {row.orders}  gmv {row.gmv}  estimated {row.estimated}"
                     f"  settled {row.settled}  lost {row.lost}")
    lines.append(f"earnings by channel ({by_channel.currency}):")
    labels, values, _ = by_channel.series()
    bars = text_bars(labels, values, by_channel.currency)
    for row, bar in zip(by_channel.rows, bars, strict=True):
        lines.append(f"  {bar}   orders {row.orders}  settled {row.settled}  lost {row.lost}")
    if by_channel.unmatched:
        lines.append("  under (none), sub-ids matching no channel: " + ", ".join(sorted(by_channel.unmatched)))
    for line in lines:
        say(line)
    chart = ws.home / "earnings-by-channel.png"
    render_chart(chart, labels, values, by_channel.currency, title="Earnings by channel",
                 clicks=by_channel.series()[2])
    say(f"chart written to {chart}")
    return {"step": "report", "done": True, "text": "\n".join(lines), "chart": str(chart),
            "by_month": by_month.to_json(), "by_channel": by_channel.to_json()}


def _load_sample_orders(ws: Any, path: Path) -> int:
    """Load the fallback sample (DESIGN's generic order CSV columns) through upsert_order_lines."""
    import csv

    from ..core.timeutil import parse_local
    from ..orders.store import upsert_order_lines
    from ..sources.base import OrderLine

    tz = ws.config.timezone
    lines: dict[str, list[OrderLine]] = {}
    with path.open(encoding="utf-8", newline="") as fh:
        for rec in csv.DictReader(fh):
            source, _, native = rec["product"].partition(":")
            cur = rec["currency"]
            lines.setdefault(source, []).append(OrderLine(
                row_id=rec["order_id"], order_id=rec["order_id"], status=rec["status"], raw_status=rec["status"],
                amount=Money.from_decimal(rec["amount"], cur), commission=Money.from_decimal(rec["commission"], cur),
                ordered_at=parse_local(rec["ordered_at"], tz), updated_at=parse_local(rec["updated_at"], tz),
                product_native_id=native or None, channel=rec["channel"],
                list_amount=Money.from_decimal(rec["list_amount"], cur) if rec.get("list_amount") else None,
                settled_at=parse_local(rec["updated_at"], tz) if rec["status"] == "settled" else None,
            ))
    total = 0
    for source, items in lines.items():
        counts = upsert_order_lines(ws.db, source, items)
        total += counts.inserted + counts.updated
    return total
