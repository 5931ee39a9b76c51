"""One definition of a click and of a visitor, for every view that counts them.

- **A click** is a person's request for a short link. The recorder counts people in
  ``click_daily.clicks`` (and the ``report_clicks`` rollup sums that column); bot hits are counted
  apart in ``bots`` and never subtracted again downstream. ``PEOPLE`` is that column.
- **Visitors** of a grouping (link, channel, product, day, or everyone) over a span of local
  days are the distinct visitors of that grouping and span, never a sum of per-link or per-day
  uniques. They are exact (``VISITORS_METHOD``), read from ``click_visitors`` (a link's visitors
  per day) and ``visitor_days`` (per channel, product and day, kept by a trigger), not from raw
  clicks.
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
