"""One definition of a click and of a visitor, for every view that counts them.

- **A click** is a person's request for a short link. The recorder counts people in
  ``click_daily.clicks`` (and the ``report_clicks`` rollup sums that column); bot hits are counted
  apart in ``bots`` and never subtracted again downstream. ``PEOPLE`` is that column.
- **Visitors** of a grouping (link, channel, product, day, or everyone) over a span of local
  days are the distinct visitors of that grouping and span, never a sum of per-link or per-day
  uniques. They are exact (``VISITORS_METHOD``), read from ``click_visitors`` (a link's visitors
  per day) and ``visitor_days`` (per channel, product and day, kept by a trigger), not from raw
  clicks.
- **Returning visitors** of a grouping and span are its visitors who had already visited the same
  grouping on an earlier local day (see :func:`returning_visitors`).
"""

from __future__ import annotations

import sqlite3

PEOPLE = "clicks"           # the counter column holding people's clicks
VISITORS_METHOD = "exact"   # distinct visitor ids per grouping and span (no sketch, no error)
GROUPINGS = ("link", "channel", "product", "day", "all")
_DIM = {"channel": "c", "product": "p", "day": "a", "all": "a"}


def _days(first: str | None, last: str | None) -> tuple[str, list[str]]:
    sql, params = "", []
    if first:
        sql += " AND day >= ?"
        params.append(first)
    if last:
        sql += " AND day <= ?"
        params.append(last)
    return sql, params


def distinct_visitors(conn: sqlite3.Connection, by: str, first: str | None = None,
                      last: str | None = None) -> dict[str, int]:
    """Distinct visitors per ``by`` key (link code, channel, product id, local day; ``all``: key
    ``''``) over local days ``first``..``last`` (inclusive, ISO; None = open)."""
    if by not in GROUPINGS:
        raise ValueError(f"no visitor grouping {by!r}")
    days, params = _days(first, last)
    if by == "link":
        sql = f"SELECT code, count(DISTINCT visitor) FROM click_visitors WHERE 1{days} GROUP BY code"
    elif by == "day":  # a row per visitor and day: counting rows is counting distinct visitors
        sql = f"SELECT day, count(*) FROM visitor_days WHERE dim = 'a' AND key = ''{days} GROUP BY day"
    else:
        sql = (f"SELECT key, count(*) FROM (SELECT DISTINCT key, visitor FROM visitor_days WHERE dim = ?{days})"
               " GROUP BY key")
        params = [_DIM[by], *params]
    return {key: int(n) for key, n in conn.execute(sql, params)}


RETURNING_GROUPINGS = ("channel", "product", "day", "all")


def returning_visitors(conn: sqlite3.Connection, by: str, first: str | None = None,
                       last: str | None = None) -> dict[str, int]:
    """Returning visitors per ``by`` key (channel, product id, local day; ``all``: key ``''``) over
    local days ``first``..``last``: the distinct visitors of that grouping and span who had already
    visited the same grouping on an earlier local day (before the span or inside it). For ``day``
    (and ``all``) the grouping is every link: a visitor seen on any earlier day. Exact, read from
    ``visitor_days`` by its primary key (no raw clicks)."""
    if by not in RETURNING_GROUPINGS:
        raise ValueError(f"no returning-visitor grouping {by!r}")
    days, params = _days(first, last)
    dim = _DIM[by]
    if by == "day":
        in_span = days.replace("day", "v.day")
        sql = (f"SELECT v.day, count(*) FROM visitor_days v WHERE v.dim = 'a' AND v.key = ''{in_span}"
               " AND EXISTS (SELECT 1 FROM visitor_days e WHERE e.dim = 'a' AND e.key = '' AND e.visitor = v.visitor"
               " AND e.day < v.day) GROUP BY v.day")
        return {key: int(n) for key, n in conn.execute(sql, params)}
    sql = (f"SELECT s.key, count(*) FROM (SELECT key, visitor, max(day) AS last FROM visitor_days WHERE dim = ?{days}"
           " GROUP BY key, visitor) s WHERE EXISTS (SELECT 1 FROM visitor_days e WHERE e.dim = ? AND e.key = s.key"
           " AND e.visitor = s.visitor AND e.day < s.last) GROUP BY s.key")
    return {key: int(n) for key, n in conn.execute(sql, [dim, *params, dim])}
