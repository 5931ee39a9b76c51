"""Inferred order lines in reports: lines without a supplier channel that the attribution pass
credited to a channel (``sharekit.orders.attribution``).

``--attribution`` chooses the view: ``supplier`` (the default, and what ``report channels`` and
``report payouts`` always count: a friend is paid and a group unlocked on what the supplier
reported) counts every line where the supplier put it (lines without a sub-id under
``(none)``); ``all`` is the same, except that by
channel each inferred line moves from ``(none)`` to its own row ``CHANNEL (inferred)``, so the
totals never change; ``inferred`` counts the inferred lines alone. Inferred lines are a subset
read line by line through ``order_attribution`` (its primary key joins each to its order).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime

from .rollups import Figures
from .spans import range_sql

ATTRIBUTIONS = ("supplier", "inferred", "all")
# the last non-zero commission of a line (what an invalid line whose commission was zeroed lost)
_LAST_COMMISSION_SQL = (
    "(SELECT h.commission_minor FROM order_status_history h WHERE h.order_line = orders.id"
    " AND h.commission_minor <> 0 AND h.ignored = 0 ORDER BY h.id DESC LIMIT 1)"
)


@dataclass(frozen=True)
class InferredLine:
    """One inferred line: where it belongs in a report, and its figures."""

    ordered_at: str
    product: str
    source: str
    channel: str
    figures: Figures


def inferred_lines(conn: sqlite3.Connection, currency: str, lo: datetime | None,
                   hi: datetime | None) -> list[InferredLine]:
    """The inferred lines in ``currency`` ordered in [lo, hi), with their figures (lost as in
    every report: an invalid line the supplier zeroed lost its last non-zero commission)."""
    where_sql, params = range_sql(lo, hi, "orders.ordered_at")
    found = []
    for at, product, source, channel, status, amount, commission, zeroed in conn.execute(
        "SELECT orders.ordered_at, coalesce(orders.product_id, ''), orders.source, a.channel, orders.status,"
        " orders.amount_minor, orders.commission_minor,"
        f" CASE WHEN orders.status = 'invalid' AND orders.commission_minor = 0 THEN {_LAST_COMMISSION_SQL} END"
        " FROM order_attribution a JOIN orders ON orders.id = a.order_line"
        f" WHERE a.channel IS NOT NULL AND orders.channel = '' AND orders.currency = ?{where_sql}",
        (currency, *params),
    ):
        figures = Figures(orders=1, gmv=amount)
        if status in ("pending", "confirmed"):
            figures.estimated = commission
        elif status == "settled":
            figures.settled = commission
        elif status == "invalid":
            figures.lost = commission or int(zeroed or 0)
        else:
            figures.unknown = commission
        found.append(InferredLine(at, product, source, channel, figures))
    return found


def count_inferred(conn: sqlite3.Connection, currency: str, lo: datetime | None, hi: datetime | None) -> int:
    """How many lines in ``currency`` ordered in [lo, hi) carry an inferred channel."""
    where_sql, params = range_sql(lo, hi, "orders.ordered_at")
    return int(conn.execute(
        "SELECT count(*) FROM order_attribution a JOIN orders ON orders.id = a.order_line"
        f" WHERE a.channel IS NOT NULL AND orders.channel = '' AND orders.currency = ?{where_sql}",
        (currency, *params)).fetchone()[0])


def negated(figures: Figures) -> Figures:
    """``figures`` with every sign flipped (to move a line out of a row)."""
    return Figures(-figures.orders, -figures.gmv, -figures.estimated, -figures.settled, -figures.lost,
                   -figures.unknown)
