"""What the daily pick knows about products and channels, read from the store.

The channel-independent part of every product's score is computed inside SQLite, and the
candidates come back best first, so a pick over 100,000 products reads only the few hundred
rows at the top (see :class:`Candidates`). Prices are only those this store saw: the
``price_history`` rows of the last 30 days plus the one in effect when the window opened.
Nothing is written.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from ..core.timeutil import from_iso, to_utc_iso
from ..offers.coupons import parse_end

WINDOW_DAYS = 30
FRESH_DAYS = 14.0
FULL_OFF = 0.3   # a drop or coupon worth 30% of the price counts fully
ENDING_SOON = timedelta(days=2)
_END_KEYS = ("coupon_end_ms", "coupon_end", "coupon_end_time", "sale_price_effective_date")
_CATEGORY_KEYS = ("category", "product_type", "google_product_category")


@dataclass(slots=True)
class ProductFacts:
    """One candidate product and the figures its score is made of (money in minor units)."""

    id: str
    source: str
    title: str
    brand: str | None
    category: str | None
    currency: str
    price: int                      # what the buyer pays now
    list_price: int | None          # the supplier's list / original price
    coupon: int | None
    commission_rate: str | None
    first_seen_at: str
    low_30d: int | None             # lowest price charged earlier in the window (None: never changed)
    list_price_seen: bool           # the list price was itself charged within the window
    coupon_ends_at: datetime | None
    last_shared_at: str | None
    base_score: float
    parts: dict[str, float]
    affinity_keys: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        keys = [("source", self.source)]
        if self.brand:
            keys.append(("brand", self.brand))
        if self.category:
            keys.append(("category", self.category))
        self.affinity_keys = tuple(keys)


@dataclass(slots=True)
class ChannelFacts:
    """One channel's history: what it bought by source/brand/category, and what it was shared."""

    name: str
    kind: str
    orders_by_key: dict[tuple[str, str], int] = field(default_factory=dict)
    orders_total: int = 0
    clicks_by_key: dict[tuple[str, str], int] = field(default_factory=dict)
    clicks_total: int = 0
    last_shared: dict[str, str] = field(default_factory=dict)   # product id -> UTC ISO
    shared_today: int = 0


def _end_epoch(*values: Any) -> float | None:
    """The first end time present among a product's fields, as epoch seconds (a
    ``sale_price_effective_date`` range ends after its ``/``)."""
    for value in values:
        if isinstance(value, str) and "/" in value:
            value = value.rsplit("/", 1)[1]
        end = parse_end(value)
        if end is not None:
            return end.timestamp()
    return None


FACTS_TABLE = "temp.sk_today_facts"
_EXTRA_PATHS = ", ".join(f"'$.{k}'" for k in _END_KEYS + _CATEGORY_KEYS)

# One row per product: the price story (prices charged in the last 30 days: every change
# recorded in them plus the price in effect when they began), order health, last share and the
# few source fields the pick reads. A multi-path json_extract parses each product's extra once.
_BUILD = f"""
CREATE TEMP TABLE sk_today_facts AS
WITH win AS (
    SELECT product_id, price_minor, recorded_at FROM price_history
    WHERE recorded_at >= :start AND price_minor IS NOT NULL
    UNION ALL
    SELECT product_id, price_minor, max(recorded_at) FROM price_history
    WHERE recorded_at < :start AND price_minor IS NOT NULL GROUP BY product_id
), ranked AS (
    SELECT product_id, price_minor,
           row_number() OVER (PARTITION BY product_id ORDER BY recorded_at DESC) AS rn
    FROM win
), story AS (   -- the newest price recorded, the lowest before it, and every price seen
    SELECT product_id, max(CASE WHEN rn = 1 THEN price_minor END) AS newest,
           min(CASE WHEN rn > 1 THEN price_minor END) AS low_rest, ',' || group_concat(price_minor) || ',' AS seen
    FROM ranked GROUP BY product_id
), health AS (
    SELECT product_id, count(*) AS n, sum(status = 'invalid') AS bad FROM orders
    WHERE product_id IS NOT NULL GROUP BY product_id
), shared AS (
    SELECT product_id, max(t) AS last FROM (
        SELECT product_id, max(shared_at) AS t FROM share_log GROUP BY 1
        UNION ALL SELECT product_id, max(created_at) FROM links WHERE channel != '' GROUP BY 1)
    GROUP BY 1
), raw AS MATERIALIZED (
    SELECT p.id, p.source, p.title, p.brand, p.currency, p.price_minor AS price, p.available,
           p.original_price_minor AS list_price,
           CASE WHEN p.coupon_usable = 0 THEN NULL ELSE p.coupon_minor END AS coupon,
           p.commission_rate, p.first_seen_at,
           CASE WHEN s.newest = p.price_minor THEN s.low_rest
                WHEN s.newest IS NOT NULL THEN min(coalesce(s.low_rest, s.newest), s.newest) END AS low,
           coalesce(instr(s.seen, ',' || p.original_price_minor || ',') > 0, 0)
               OR p.original_price_minor = p.price_minor AS list_seen,
           coalesce(h.n, 0) AS orders, coalesce(h.bad, 0) AS invalid, sh.last AS last_shared,
           CASE WHEN p.extra != '{{}}' AND json_valid(p.extra) THEN json_extract(p.extra, {_EXTRA_PATHS}) END AS x
    FROM products p
    LEFT JOIN story s ON s.product_id = p.id
    LEFT JOIN health h ON h.product_id = p.id
    LEFT JOIN shared sh ON sh.product_id = p.id
)
SELECT id, source, title, brand, currency, price, available, list_price, coupon, commission_rate, first_seen_at,
       low, list_seen, orders, invalid, last_shared,
       CASE WHEN x IS NULL THEN NULL
            WHEN typeof(x ->> 0) IN ('integer', 'real') THEN (x ->> 0) / 1000.0
            WHEN typeof(x ->> 1) IN ('integer', 'real') THEN
                 CASE WHEN (x ->> 1) > 1e11 THEN (x ->> 1) / 1000.0 ELSE (x ->> 1) END
            WHEN coalesce(x ->> 1, x ->> 2, x ->> 3) IS NOT NULL THEN sk_coupon_end(x ->> 1, x ->> 2, x ->> 3)
       END AS ends,
       CASE WHEN c IS NULL OR trim(c) = '' THEN NULL WHEN instr(c, '>') > 0 THEN sk_category(c) ELSE trim(c) END
           AS category
FROM (SELECT *, CASE WHEN x IS NOT NULL THEN coalesce(x ->> 4, x ->> 5, x ->> 6) END AS c FROM raw)
"""

_CANDIDATES = """
WITH parts AS (
    SELECT *,
        CASE WHEN low IS NOT NULL AND price < low THEN min(1.0, (low - price) / (:full_off * low)) ELSE 0.0 END
            AS p_drop,
        CASE WHEN coupon > 0 THEN min(1.0, coupon / (:full_off * (price + coupon))
             * CASE WHEN ends IS NOT NULL AND ends - :now_epoch <= :soon THEN 1.5 ELSE 1.0 END) ELSE 0.0 END
            AS p_coupon,
        CASE WHEN :ref > 0 AND CAST(commission_rate AS REAL) > 0
             THEN min(1.0, CAST(commission_rate AS REAL) * price / :ref) ELSE 0.0 END AS p_commission,
        CASE WHEN last_shared IS NULL THEN 1.0
             ELSE max(0.0, min(1.0, (julianday(:now) - julianday(last_shared)) / :fresh_days)) END AS p_fresh
    FROM temp.sk_today_facts
    WHERE available = 1 AND price IS NOT NULL
      AND NOT (coupon > 0 AND ends IS NOT NULL AND ends <= :now_epoch)
      AND NOT (orders > 0 AND invalid * :rate_den > orders * :rate_num)
)
SELECT *, :w_drop * p_drop + :w_coupon * p_coupon + :w_commission * p_commission + :w_fresh * p_fresh AS score
FROM parts ORDER BY score DESC, first_seen_at DESC, id
"""


def _category(value: Any) -> str | None:
    """A category path's last part ("家居 > 厨房" -> "厨房")."""
    if isinstance(value, str) and value.strip():
        return value.strip().split(">")[-1].strip()
    return None


def build_facts(conn: sqlite3.Connection, now: datetime) -> None:
    """Fill the connection's temporary facts table (dropped by :func:`drop_facts`)."""
    conn.create_function("sk_coupon_end", 3, _end_epoch, deterministic=True)
    conn.create_function("sk_category", 1, _category, deterministic=True)
    conn.execute("DROP TABLE IF EXISTS temp.sk_today_facts")
    conn.execute(_BUILD, {"start": to_utc_iso(now - timedelta(days=WINDOW_DAYS))})


def drop_facts(conn: sqlite3.Connection) -> None:
    conn.execute("DROP TABLE IF EXISTS temp.sk_today_facts")


class Candidates:
    """Available products best first (by the channel-independent score), read on demand.

    ``get(i)`` fetches rows from the open query only as far as someone looks.
    """

    def __init__(self, conn: sqlite3.Connection, now: datetime, params: dict[str, Any]) -> None:
        args = dict(params, now=to_utc_iso(now), now_epoch=now.timestamp(), soon=ENDING_SOON.total_seconds(),
                    fresh_days=FRESH_DAYS, full_off=FULL_OFF)
        self._rows: list[ProductFacts] = []
        self._done = False
        self.expired, self.flagged = conn.execute(
            "SELECT count(*) FILTER (WHERE coupon > 0 AND ends <= :now_epoch),"
            " count(*) FILTER (WHERE orders > 0 AND invalid * :rate_den > orders * :rate_num)"
            " FROM temp.sk_today_facts WHERE available = 1", args).fetchone()
        self._cursor = conn.execute(_CANDIDATES, args)

    def close(self) -> None:
        self._cursor.close()

    def get(self, index: int) -> ProductFacts | None:
        while index >= len(self._rows) and not self._done:
            batch = self._cursor.fetchmany(256)
            if not batch:
                self._done = True
                break
            self._rows.extend(_facts(row) for row in batch)
        return self._rows[index] if index < len(self._rows) else None


def _facts(row: sqlite3.Row) -> ProductFacts:
    ends = row["ends"]
    return ProductFacts(
        id=row["id"], source=row["source"], title=row["title"], brand=row["brand"] or None,
        category=row["category"], currency=row["currency"], price=row["price"],
        list_price=row["list_price"], coupon=row["coupon"], commission_rate=row["commission_rate"],
        first_seen_at=row["first_seen_at"], low_30d=row["low"], list_price_seen=bool(row["list_seen"]),
        coupon_ends_at=datetime.fromtimestamp(ends, UTC) if ends is not None else None,
        last_shared_at=row["last_shared"], base_score=row["score"],
        parts={"drop": row["p_drop"], "coupon": row["p_coupon"], "commission": row["p_commission"],
               "fresh": row["p_fresh"]})


def previous_price(conn: sqlite3.Connection, product_id: str, current: int) -> int | None:
    """The price charged just before the current one (the "was" of a drop)."""
    row = conn.execute("SELECT price_minor FROM price_history WHERE product_id = ? AND price_minor != ?"
                       " ORDER BY recorded_at DESC, id DESC LIMIT 1", (product_id, current)).fetchone()
    return row[0] if row else None


def key_counts(conn: sqlite3.Connection) -> tuple[dict[tuple[str, str], int], int]:
    """How many available products each source, brand and category has (the catalog's mix)."""
    counts: dict[tuple[str, str], int] = {}
    total = 0
    for source, brand, category, n in conn.execute(
            "SELECT source, brand, category, count(*) FROM temp.sk_today_facts WHERE available = 1 GROUP BY 1, 2, 3"):
        total += n
        for key in (("source", source), ("brand", brand), ("category", category)):
            if key[1]:
                counts[key] = counts.get(key, 0) + n
    return counts, total


def load_channels(conn: sqlite3.Connection, names: list[str], kinds: dict[str, str], now: datetime, *,
                  day_start: datetime, history_days: int = 60) -> list[ChannelFacts]:
    """The named channels, each with what it bought in the last ``history_days`` and its shares."""
    channels = [ChannelFacts(name, kinds.get(name, "other")) for name in names]
    by_name = {c.name: c for c in channels}
    for channel, source, brand, category, n in conn.execute(
            "SELECT o.channel, coalesce(f.source, substr(o.product_id, 1, instr(o.product_id, ':') - 1)),"
            " f.brand, f.category, count(*)"
            " FROM orders o LEFT JOIN temp.sk_today_facts f ON f.id = o.product_id"
            " WHERE o.channel != '' AND o.status != 'invalid' AND o.ordered_at >= ? AND o.product_id IS NOT NULL"
            " GROUP BY 1, 2, 3, 4", (to_utc_iso(now - timedelta(days=history_days)),)):
        c = by_name.get(channel)
        if c is None:
            continue
        c.orders_total += n
        for key in (("source", source), ("brand", brand), ("category", category)):
            if key[1]:
                c.orders_by_key[key] = c.orders_by_key.get(key, 0) + n
    # people's clicks on the channel's links (click_daily counts people; bots are apart)
    first_day = (now - timedelta(days=history_days)).date().isoformat()
    for channel, source, brand, category, n in conn.execute(
            "SELECT l.channel, coalesce(f.source, substr(l.product_id, 1, instr(l.product_id, ':') - 1)),"
            " f.brand, f.category, sum(d.clicks)"
            " FROM click_daily d JOIN links l ON l.code = d.code LEFT JOIN temp.sk_today_facts f ON f.id = l.product_id"
            " WHERE d.day >= ? AND l.channel != '' GROUP BY 1, 2, 3, 4", (first_day,)):
        c = by_name.get(channel)
        if c is None or not n:
            continue
        c.clicks_total += n
        for key in (("source", source), ("brand", brand), ("category", category)):
            if key[1]:
                c.clicks_by_key[key] = c.clicks_by_key.get(key, 0) + n
    today = to_utc_iso(day_start)
    marks = ",".join("?" * len(names))
    for channel, pid, last in conn.execute(
            "SELECT channel, product_id, max(t) FROM (SELECT channel, product_id, shared_at AS t FROM share_log"
            f" WHERE channel IN ({marks}) UNION ALL SELECT channel, product_id, created_at FROM links"
            f" WHERE channel IN ({marks})) GROUP BY 1, 2", [*names, *names]):
        c = by_name[channel]
        c.last_shared[pid] = last
        if last >= today:
            c.shared_today += 1
    return channels


def days_since(iso: str | None, now: datetime) -> float | None:
    """Days from the UTC ISO time ``iso`` to ``now`` (None for None)."""
    if not iso:
        return None
    return (now - from_iso(iso)).total_seconds() / 86400
