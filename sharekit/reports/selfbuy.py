"""Self-purchase (自购省钱): orders placed through one's own links are savings, not income.

A channel of kind ``self`` is the reseller buying through their own link. Its lines are still
orders placed (``orders`` and ``gmv`` count them, so counts agree across views), but their
commission is never income: every report takes it out of ``estimated``, ``settled``, ``lost``
and ``unknown`` and shows it apart as ``self_saved`` = the commission of the self lines that are
pending, confirmed or settled (a refunded self purchase saved nothing; an unmapped status is not
counted until it is known). Payouts never see them (they are not a friend's), nor do share
warnings.

Which channels are ``self`` is read when the report runs, so changing a channel's kind moves
its history too. The self lines are read from the orders through the ``orders_by_channel``
index: the rollups stay as they are, and a store without a self channel pays nothing.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import datetime

from .rollups import Figures, Groups, add_into, order_groups, zeroed_lost
from .spans import offset_segments, range_sql


def self_channels(conn: sqlite3.Connection) -> list[str]:
    """Names of the channels of kind ``self``, sorted."""
    return [r[0] for r in conn.execute("SELECT name FROM channels WHERE kind = 'self' ORDER BY name")]


def self_groups(conn: sqlite3.Connection, key_sql: str, currency: str, lo: datetime | None,
                hi: datetime | None, names: list[str]) -> Groups:
    """Figures of the lines placed through ``names`` (self channels) over [lo, hi), per ``key_sql``."""
    if not names:
        return {}
    range_where, range_params = range_sql(lo, hi)
    where = f" AND channel IN ({','.join('?' * len(names))})" + range_where
    params = [*names, *range_params]
    groups = order_groups(conn, key_sql, currency, where, params)
    for key, lost in zeroed_lost(conn, key_sql, currency, where, params).items():
        add_into(groups, key, Figures(lost=lost))
    return groups


def self_day_groups(conn: sqlite3.Connection, currency: str, lo: datetime, hi: datetime, tz: str,
                    names: list[str], key: Callable[[str], str]) -> Groups:
    """Figures of the self lines per ``key(local day)`` over [lo, hi) (one pass per UTC offset)."""
    groups: Groups = {}
    if not names:
        return groups
    for a, b, minutes in offset_segments(lo, hi, tz):
        for day, figures in self_groups(conn, f"date(ordered_at, '{minutes:+d} minutes')", currency, a, b,
                                        names).items():
            add_into(groups, key(day), figures)
    return groups


def split_self(figures: Groups, self_figures: Groups, key: Callable[[str], str] = lambda k: k) -> dict[str, int]:
    """Take the self lines' commission out of ``figures`` (in place); return ``self_saved`` per key.

    ``orders`` and ``gmv`` keep the self lines: they are orders placed, as in every view.
    """
    saved: dict[str, int] = {}
    for raw_key, s in self_figures.items():
        k = key(raw_key)
        f = figures.setdefault(k, Figures())
        f.estimated -= s.estimated
        f.settled -= s.settled
        f.lost -= s.lost
        f.unknown -= s.unknown
        saved[k] = saved.get(k, 0) + s.estimated + s.settled
    return saved
