"""The report rollups: what they sum, how reports read them, and how they are rebuilt.

``report_hourly`` sums orders per currency, UTC hour and status (time reports map hours to
local days); ``report_daily`` per currency, UTC day, channel, source and status (channel and
source reports; the partial days at a range's edges are read from ``orders``); ``report_clicks``
sums the click counters per local day, channel, source and product currency. Triggers (created
by migrations) keep them exact on every write; the SQL that refills them lives here, so a
rebuild never runs text frozen inside a shipped migration.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from .spans import DAY, HOUR, offset_segments, range_sql

ROLLUP_FILL_SQL = """
        INSERT INTO report_hourly
            SELECT currency, substr(ordered_at, 1, 13), status, count(*), sum(amount_minor), sum(commission_minor)
            FROM orders GROUP BY 1, 2, 3;
        INSERT INTO report_daily
            SELECT currency, substr(ordered_at, 1, 10), channel, source, status, count(*), sum(amount_minor),
                   sum(commission_minor)
            FROM orders GROUP BY 1, 2, 3, 4, 5;
        INSERT INTO report_clicks
            SELECT c.day, coalesce(l.channel, ''), coalesce(substr(l.product_id, 1, instr(l.product_id, ':') - 1), ''),
                   coalesce(p.currency, ''), sum(c.clicks), sum(c.bots), count(*)
            FROM click_daily c LEFT JOIN links l ON l.code = c.code LEFT JOIN products p ON p.id = l.product_id
            GROUP BY 1, 2, 3, 4;
"""


@dataclass
class Figures:
    """Order figures of one report row, in minor units of one currency."""

    orders: int = 0
    gmv: int = 0
    estimated: int = 0   # pending + confirmed commission
    settled: int = 0
    lost: int = 0        # invalid
    unknown: int = 0     # commission of lines whose status is not mapped yet

    def add(self, other: Figures) -> None:
        self.orders += other.orders
        self.gmv += other.gmv
        self.estimated += other.estimated
        self.settled += other.settled
        self.lost += other.lost
        self.unknown += other.unknown

    def any(self) -> bool:
        return any((self.orders, self.gmv, self.estimated, self.settled, self.lost, self.unknown))

    @classmethod
    def of_row(cls, values: tuple[int | None, ...]) -> Figures:
        return cls(*(int(v or 0) for v in values))


Groups = dict[str, Figures]

FIGURES_SQL = (
    "count(*), sum(amount_minor),"
    " sum(CASE WHEN status IN ('pending','confirmed') THEN commission_minor ELSE 0 END),"
    " sum(CASE WHEN status = 'settled' THEN commission_minor ELSE 0 END),"
    " sum(CASE WHEN status = 'invalid' THEN commission_minor ELSE 0 END),"
    " sum(CASE WHEN status = 'unknown' THEN commission_minor ELSE 0 END)"
)
_ROLLUP_FIGURES_SQL = FIGURES_SQL.replace("count(*)", "sum(orders)")
# Invalid lines whose commission the supplier zeroed: what was lost is the last non-zero
# commission in their history. A partial index keeps this a small lookup.
_ZEROED_LOST_SQL = (
    "sum(coalesce((SELECT h.commission_minor FROM order_status_history h WHERE h.order_line = orders.id"
    " AND h.commission_minor <> 0 AND h.ignored = 0 ORDER BY h.id DESC LIMIT 1), 0))"
)


def add_into(groups: Groups, key: str, figures: Figures) -> None:
    groups.setdefault(key, Figures()).add(figures)


def order_groups(conn: sqlite3.Connection, key_sql: str, currency: str, where_sql: str,
                 params: list[str]) -> Groups:
    """Per ``key_sql`` value, from the orders themselves: their figures."""
    return {row[0]: Figures.of_row(row[1:]) for row in conn.execute(
        f"SELECT {key_sql} AS k, {FIGURES_SQL} FROM orders WHERE currency = ?{where_sql} GROUP BY k",
        (currency, *params),
    )}


def zeroed_lost(conn: sqlite3.Connection, key_sql: str, currency: str, where_sql: str,
                params: list[str]) -> dict[str, int]:
    """Per key: the lost commission of invalid lines the supplier zeroed (from their history)."""
    return {key: int(lost) for key, lost in conn.execute(
        f"SELECT {key_sql} AS k, {_ZEROED_LOST_SQL} FROM orders WHERE currency = ? AND status = 'invalid'"
        f" AND commission_minor = 0{where_sql} GROUP BY k",
        (currency, *params),
    ) if lost}


def _aligned(lo: datetime | None, hi: datetime | None, unit: timedelta) -> tuple[datetime | None, datetime | None]:
    """[lo, hi) shrunk to whole UTC hours or days (``unit``); the parts outside are the edges."""
    def floor(t: datetime) -> datetime:
        epoch = datetime(1970, 1, 1, tzinfo=UTC)
        return epoch + ((t - epoch) // unit) * unit

    inner_lo = None if lo is None else (floor(lo) if floor(lo) == lo else floor(lo) + unit)
    inner_hi = None if hi is None else floor(hi)
    return inner_lo, inner_hi


def rolled_up_groups(conn: sqlite3.Connection, *, table: str | None, key_rollup: str, key_raw: str,
                     bucket_col: str, unit: timedelta, bucket_fmt: str, currency: str, lo: datetime | None,
                     hi: datetime | None) -> Groups:
    """Figures per key: whole buckets from the rollup ``table``, the edges from ``orders``.

    With ``table`` None everything is read from the orders (zones with half-hour offsets).
    """
    inner_lo, inner_hi = _aligned(lo, hi, unit)
    groups: Groups = {}
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
            figures = Figures.of_row(row[1:])
            if figures.any():
                add_into(groups, row[0], figures)
        edges = [(lo, inner_lo)] if lo is not None and inner_lo is not None and lo < inner_lo else []
        if hi is not None and inner_hi is not None and inner_hi < hi:
            edges.append((inner_hi, hi))
    for a, b in edges:
        where_sql, params = range_sql(a, b)
        for key, figures in order_groups(conn, key_raw, currency, where_sql, params).items():
            add_into(groups, key, figures)
    where_sql, params = range_sql(lo, hi)
    for key, lost in zeroed_lost(conn, key_raw, currency, where_sql, params).items():
        add_into(groups, key, Figures(lost=lost))
    return groups


def hourly_groups(conn: sqlite3.Connection, key_rollup: str, key_raw: str, currency: str,
                  lo: datetime | None, hi: datetime | None) -> Groups:
    """Figures per key over [lo, hi) from the hourly rollup (edges from the orders)."""
    return rolled_up_groups(conn, table="report_hourly", key_rollup=key_rollup, key_raw=key_raw, bucket_col="hour",
                            unit=HOUR, bucket_fmt="%Y-%m-%dT%H", currency=currency, lo=lo, hi=hi)


def daily_groups(conn: sqlite3.Connection, key: str, currency: str, lo: datetime | None,
                 hi: datetime | None) -> Groups:
    """Figures per ``key`` column of ``report_daily`` (channel, source) over [lo, hi)."""
    return rolled_up_groups(conn, table="report_daily", key_rollup=key, key_raw=key, bucket_col="day", unit=DAY,
                            bucket_fmt="%Y-%m-%d", currency=currency, lo=lo, hi=hi)


def local_day_groups(conn: sqlite3.Connection, currency: str, lo: datetime, hi: datetime, tz: str) -> Groups:
    """Figures per local day over [lo, hi): one pass per span of constant UTC offset.

    Whole-hour offsets read the hourly rollup (an hour lies in one local day); half-hour zones
    read the orders.
    """
    groups: Groups = {}
    for a, b, minutes in offset_segments(lo, hi, tz):
        shift = f"'{minutes:+d} minutes'"
        part = rolled_up_groups(
            conn, table="report_hourly" if minutes % 60 == 0 else None,
            key_rollup=f"date(hour || ':00:00', {shift})", key_raw=f"date(ordered_at, {shift})",
            bucket_col="hour", unit=HOUR, bucket_fmt="%Y-%m-%dT%H", currency=currency, lo=a, hi=b)
        for key, figures in part.items():
            add_into(groups, key, figures)
    return groups


def click_sums(conn: sqlite3.Connection, key: str, currency: str, first_day: str | None,
               last_day: str | None) -> dict[str, int]:
    """People's clicks per ``key`` (day, channel, source) of ``report_clicks`` over local days
    ``first_day``..``last_day``, on links whose product is in ``currency`` (or unknown)."""
    from ..tracking.counting import PEOPLE

    sql, params = "", [currency]
    if first_day is not None:
        sql += " AND day >= ?"
        params.append(first_day)
    if last_day is not None:
        sql += " AND day <= ?"
        params.append(last_day)
    return {k: int(n or 0) for k, n in conn.execute(
        f"SELECT {key}, sum({PEOPLE}) FROM report_clicks WHERE currency IN (?, ''){sql} GROUP BY 1", params)}


def first_order(conn: sqlite3.Connection, currency: str) -> datetime | None:
    row = conn.execute("SELECT min(hour) FROM report_hourly WHERE currency = ? AND orders <> 0", (currency,)).fetchone()
    return datetime.fromisoformat(row[0] + ":00:00+00:00") if row and row[0] else None


def last_order(conn: sqlite3.Connection, currency: str) -> datetime | None:
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

    with transaction(conn):
        conn.execute("DELETE FROM report_hourly")
        conn.execute("DELETE FROM report_daily")
        conn.execute("DELETE FROM report_clicks")
        run_script(conn, ROLLUP_FILL_SQL)
