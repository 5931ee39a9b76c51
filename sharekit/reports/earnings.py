"""Earnings reports: what each share earned, where (by day/week/month, product, channel, source).

Rules:

- estimated = pending + confirmed, settled, lost = invalid; ``unknown`` statuses are counted as
  orders but their commission stays apart (``unknown``) until the source's status is mapped.
- A row holds the orders *placed* in it (``ordered_at`` in the configured timezone); a later
  status change moves money between estimated, settled and lost of the same row, never to
  another row.
- One currency at a time. Orders in other currencies are counted in ``other_currencies`` so a
  person knows they exist, and never added in.
- Clicks come from the click counters (local days): people only, as the recorder counts them;
  bot hits are counted apart and never subtracted again here.
- An order whose channel (sub-id) matches no channel is reported under ``(none)`` and its
  sub-id listed in ``unmatched``: never dropped.
- When a line turns invalid and the supplier zeroes its commission, ``lost`` takes the last
  non-zero commission from the line's status history: what was lost is what had been expected.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from ..core.limits import MAX_REPORT_DAYS
from ..core.money import Money
from ..core.sanitize import csv_text
from ..core.timeutil import local_iso
from ..errors import InputError
from ..orders.attribution import inferred_label
from ..tracking.channels import NONE_KEY, channel_names
from ..tracking.counting import PEOPLE
from .inferred import ATTRIBUTIONS, count_inferred, inferred_lines, negated
from .rollups import (
    Figures,
    Groups,
    add_into,
    click_sums,
    daily_groups,
    ensure_rollups,
    first_order,
    hourly_groups,
    last_order,
    local_day_groups,
    order_groups,
    zeroed_lost,
)
from .selfbuy import self_channels, self_day_groups, self_groups, split_self
from .spans import day_span, key_start, local_day, range_sql, rate, resolve_bound, time_key, time_keys_between

BYS = ("day", "week", "month", "product", "channel", "source")
TIME_BYS = ("day", "week", "month")


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
    self_saved: Money   # commission of one's own purchases (self channels): savings, not income

    @property
    def earned(self) -> Money:
        """Estimated plus settled: what the row is expected to bring."""
        return self.estimated + self.settled

    @property
    def conversion(self) -> Decimal | None:
        """Orders per click (4 places); None without clicks."""
        return rate(self.orders, self.clicks)

    @property
    def epc(self) -> Decimal | None:
        """Earnings (estimated + settled) per click in major units (4 places); None without clicks."""
        return rate(self.earned.amount, self.clicks)

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key, "clicks": self.clicks, "orders": self.orders, "gmv": self.gmv.to_json(),
            "estimated": self.estimated.to_json(), "settled": self.settled.to_json(), "lost": self.lost.to_json(),
            "unknown": self.unknown.to_json(), "self_saved": self.self_saved.to_json(),
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
    attribution: str = "supplier"    # supplier | inferred | all (see reports.inferred)
    inferred_lines: int = 0          # lines of the span credited from clicks (shown by --attribution all)

    def to_json(self) -> dict[str, Any]:
        return {
            "by": self.by, "attribution": self.attribution, "inferred_lines": self.inferred_lines,
            "currency": self.currency, "timezone": self.timezone,
            "since": self.since,
            "until": self.until, "rows": [r.to_json() for r in self.rows], "totals": self.totals.to_json(),
            "unmatched": [{"channel": k, "orders": v} for k, v in sorted(self.unmatched.items())],
            "other_currencies": dict(sorted(self.other_currencies.items())),
        }

    def series(self) -> tuple[list[str], list[int], list[int]]:
        """Labels, earnings (estimated + settled, minor units) and clicks per row, for charts."""
        return ([r.key for r in self.rows], [r.earned.minor for r in self.rows], [r.clicks for r in self.rows])


@dataclass
class _Rows:
    """Running figures and clicks per report key."""

    figures: Groups = field(default_factory=dict)
    clicks: dict[str, int] = field(default_factory=dict)
    saved: dict[str, int] = field(default_factory=dict)   # self_saved per key

    def add_clicks(self, key: str, n: int | None) -> None:
        self.clicks[key] = self.clicks.get(key, 0) + int(n or 0)

    def row(self, key: str, currency: str) -> ReportRow:
        f = self.figures.get(key) or Figures()
        return ReportRow(key, self.clicks.get(key, 0), f.orders, Money(f.gmv, currency), Money(f.estimated, currency),
                         Money(f.settled, currency), Money(f.lost, currency), Money(f.unknown, currency),
                         Money(self.saved.get(key, 0), currency))

    def keys(self) -> set[str]:
        return set(self.figures) | set(self.clicks)


def _totals(rows: list[ReportRow], currency: str) -> ReportRow:
    def total(name: str) -> Money:
        return Money(sum(getattr(r, name).minor for r in rows), currency)

    return ReportRow("total", sum(r.clicks for r in rows), sum(r.orders for r in rows), total("gmv"),
                     total("estimated"), total("settled"), total("lost"), total("unknown"), total("self_saved"))


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
        n = sum(f.orders for f in hourly_groups(conn, "''", "''", previous, lo, hi).values())
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


def _day_sql(lo: datetime | None, hi: datetime | None, tz: str) -> tuple[str, list[str]]:
    first, last = day_span(lo, hi, tz)
    sql, params = "", []
    if first is not None:
        sql += " AND day >= ?"
        params.append(first)
    if last is not None:
        sql += " AND day <= ?"
        params.append(last)
    return sql, params


def _time_rows(conn: sqlite3.Connection, by: str, cur: str, lo: datetime | None, hi: datetime | None,
               tz: str) -> list[ReportRow]:
    acc = _Rows()
    first = lo or first_order(conn, cur)
    last = hi or last_order(conn, cur)
    if first is not None and last is not None:
        for day, figures in local_day_groups(conn, cur, first, last, tz).items():
            add_into(acc.figures, time_key(by, day), figures)
        acc.saved = split_self(acc.figures, self_day_groups(conn, cur, first, last, tz, self_channels(conn),
                                                            lambda day: time_key(by, day)))
    for day, n in click_sums(conn, "day", cur, *day_span(lo, hi, tz)).items():
        acc.add_clicks(time_key(by, day), n)
    keys = acc.keys()
    starts = [key_start(k, by) for k in keys]
    first_day = local_day(lo, tz) if lo else (date.fromisoformat(min(starts)) if starts else None)
    last_day = (date.fromisoformat(day_span(lo, hi, tz)[1] or "") if hi
                else (date.fromisoformat(max(starts)) if starts else None))
    if first_day and last_day and (last_day - first_day).days > MAX_REPORT_DAYS:
        # a span of decades: fill empty rows only between the first and last day with data
        first_day = max(first_day, date.fromisoformat(min(starts))) if starts else None
        last_day = min(last_day, date.fromisoformat(max(starts))) if starts else None
        if first_day and last_day and (last_day - first_day).days > MAX_REPORT_DAYS:
            first_day = last_day = None  # still too long: only the keys with data
    ordered_keys = time_keys_between(by, first_day, last_day) if first_day and last_day else []
    ordered_keys += sorted(keys - set(ordered_keys))
    return [acc.row(k, cur) for k in ordered_keys]


def _inferred_rows(conn: sqlite3.Connection, by: str, cur: str, lo: datetime | None, hi: datetime | None,
                   tz: str) -> list[ReportRow]:
    """``--attribution inferred``: the inferred lines alone, per ``by`` key (no clicks: a click
    is not split by what it was credited with)."""
    acc = _Rows()
    for line in inferred_lines(conn, cur, lo, hi):
        if by in TIME_BYS:
            key = time_key(by, local_iso(line.ordered_at, tz)[:10])  # type: ignore[index]
        else:
            key = {"channel": line.channel, "product": line.product or NONE_KEY, "source": line.source}[by]
        add_into(acc.figures, key, line.figures)
    rows = [acc.row(k, cur) for k in acc.keys()]
    if by in TIME_BYS:
        rows.sort(key=lambda r: r.key)
    else:
        rows.sort(key=lambda r: (-r.earned.minor, -r.orders, r.key))
    return rows


def _move_inferred(conn: sqlite3.Connection, acc: _Rows, cur: str, lo: datetime | None, hi: datetime | None) -> None:
    """``--attribution all`` by channel: each inferred line moves from ``(none)`` to ``CHANNEL (inferred)``."""
    for line in inferred_lines(conn, cur, lo, hi):
        add_into(acc.figures, NONE_KEY, negated(line.figures))
        add_into(acc.figures, inferred_label(line.channel), line.figures)
    none = acc.figures.get(NONE_KEY)
    if none is not None and not none.any():
        del acc.figures[NONE_KEY]


def _key_rows(conn: sqlite3.Connection, by: str, cur: str, lo: datetime | None, hi: datetime | None,
              tz: str, unmatched: dict[str, int], attribution: str = "all") -> list[ReportRow]:
    acc = _Rows()
    if by == "product":
        where_sql, params = range_sql(lo, hi)
        groups = order_groups(conn, "coalesce(product_id, '')", cur, where_sql, params)
        for key, lost in zeroed_lost(conn, "coalesce(product_id, '')", cur, where_sql, params).items():
            add_into(groups, key, Figures(lost=lost))
    else:
        groups = daily_groups(conn, by, cur, lo, hi)
    key_sql = "coalesce(product_id, '')" if by == "product" else by
    saved = split_self(groups, self_groups(conn, key_sql, cur, lo, hi, self_channels(conn)))
    acc.saved = {k or NONE_KEY: v for k, v in saved.items()}  # self channels are known channels
    known = channel_names(conn) if by == "channel" else set()
    for k, figures in groups.items():
        key = k or NONE_KEY
        if by == "channel" and key != NONE_KEY and key not in known:
            unmatched[key] = unmatched.get(key, 0) + figures.orders
            key = NONE_KEY
        add_into(acc.figures, key, figures)
    day_sql, day_params = _day_sql(lo, hi, tz)
    if by == "product":
        products = dict(conn.execute("SELECT code, product_id FROM links"))
        foreign_sql, foreign_params = _foreign_codes_sql(conn, cur)
        for code, n in conn.execute(
            f"SELECT code, sum({PEOPLE}) FROM click_daily WHERE 1{day_sql}{foreign_sql} GROUP BY code",
            (*day_params, *foreign_params),
        ):
            acc.add_clicks(products.get(code) or NONE_KEY, n)
    else:
        for key, n in click_sums(conn, by, cur, *day_span(lo, hi, tz)).items():
            if by == "channel" and key not in known:
                key = NONE_KEY
            acc.add_clicks(key or NONE_KEY, n)
    if by == "channel" and attribution == "all":
        _move_inferred(conn, acc, cur, lo, hi)
    rows = [acc.row(k, cur) for k in acc.keys()]
    rows.sort(key=lambda r: (r.key == NONE_KEY, -r.earned.minor, -r.orders, -r.clicks, r.key))
    return rows


def earnings_report(
    ws: Any,
    by: str = "month",
    since: str | date | datetime | None = None,
    until: str | date | datetime | None = None,
    currency: str | None = None,
    attribution: str = "supplier",
) -> Report:
    """Clicks, orders, GMV, estimated/settled/lost commission, conversion and EPC per ``by`` key.

    ``attribution``: ``supplier`` (default: where the supplier put each line, as `report
    channels` and `report payouts` count), ``all`` (by channel, lines credited from clicks are
    their own ``CHANNEL (inferred)`` rows instead of ``(none)``; totals unchanged) or
    ``inferred`` (only the inferred lines); see :mod:`.inferred`. ``inferred_lines`` counts the
    inferred lines of the span whatever the view.

    ``since`` is inclusive, ``until`` exclusive (a date or month given as ``until`` is included
    whole). ``currency`` defaults to the configured one. Reads the rollups the triggers keep,
    and the orders themselves only for partial hours/days at the range's edges.
    """
    if by not in BYS:
        raise InputError(f"Cannot report by {by!r}: use one of {', '.join(BYS)}.")
    if attribution not in ATTRIBUTIONS:
        raise InputError(f"Unknown attribution {attribution!r}: use one of {', '.join(ATTRIBUTIONS)}.",
                         params=("attribution",))
    tz = ws.config.timezone
    cur = (currency or ws.config.currency).strip().upper()
    Money(0, cur)  # validates the code
    conn: sqlite3.Connection = ws.db
    lo, hi = resolve_bound(since, tz, end=False), resolve_bound(until, tz, end=True)
    if lo is not None and hi is not None and lo >= hi:
        raise InputError("`since` must be before `until`.", params=("since", "until"))
    ensure_rollups(conn)
    unmatched: dict[str, int] = {}
    if attribution == "inferred":
        rows = _inferred_rows(conn, by, cur, lo, hi, tz)
    elif by in TIME_BYS:
        rows = _time_rows(conn, by, cur, lo, hi, tz)
    else:
        rows = _key_rows(conn, by, cur, lo, hi, tz, unmatched, attribution)
    return Report(
        by=by, currency=cur, timezone=tz,
        since=local_iso(lo, tz) if lo else None, until=local_iso(hi, tz) if hi else None,
        rows=rows, totals=_totals(rows, cur), unmatched=unmatched,
        other_currencies=_other_currencies(conn, cur, lo, hi), attribution=attribution,
        inferred_lines=count_inferred(conn, cur, lo, hi),
    )


def report_csv(report: Report) -> str:
    """The report as CSV: money in major units with a currency column, totals as the last row."""
    header = [report.by, "currency", "clicks", "orders", "gmv", "estimated", "settled", "lost", "unknown",
              "conversion", "epc", "self_saved"]
    return csv_text(header, ([r.key, report.currency, r.clicks, r.orders, r.gmv.decimal_str(),
                              r.estimated.decimal_str(), r.settled.decimal_str(), r.lost.decimal_str(),
                              r.unknown.decimal_str(), "" if r.conversion is None else r.conversion,
                              "" if r.epc is None else r.epc, r.self_saved.decimal_str()]
                             for r in [*report.rows, report.totals]))
