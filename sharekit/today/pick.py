"""`sharekit today`: per channel, the few products most worth sharing now, with checkable reasons.

Rules that no score can override: a product is never picked when it is unavailable or delisted,
when its coupon has ended, when it was shared to that channel within ``[channels]
min_days_between`` days, or when `report products` flags it (its invalid rate above ``[reports]
max_invalid_rate``); and a channel never gets
more than ``[channels] max_shares_per_day`` shares in a day, counting what was already shared
today. ``self`` channels (one's own purchases) are skipped unless named.
"""

from __future__ import annotations

import heapq
import sqlite3
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from ..core.money import Money
from ..core.timeutil import utcnow
from ..errors import InputError, NotFoundError
from .features import (
    Candidates,
    ChannelFacts,
    build_facts,
    days_since,
    drop_facts,
    key_counts,
    load_channels,
    previous_price,
)
from .score import Scored, Weights, best_lift, channel_part, reasons

if TYPE_CHECKING:
    from ..store.workspace import Workspace

DEFAULT_COUNT = 5
DEFAULT_MAX_PER_DAY = 20


@dataclass(frozen=True, slots=True)
class Rules:
    """The exclusion rules and limits, from ``[channels]`` and ``[today]``."""

    min_days_between: int = 3
    max_shares_per_day: int = DEFAULT_MAX_PER_DAY   # 0 = no limit
    max_invalid_rate: Decimal = Decimal("0.2")       # the same flag as `report products`

    @classmethod
    def from_config(cls, config: Any) -> Rules:
        from ..reports.products import max_invalid_rate

        def num(key: str, default: int) -> int:
            value = config.get(key)
            return default if value is None else int(value)

        return cls(min_days_between=num("channels.min_days_between", 3),
                   max_shares_per_day=num("channels.max_shares_per_day", DEFAULT_MAX_PER_DAY),
                   max_invalid_rate=max_invalid_rate(config))


@dataclass(slots=True)
class Pick:
    """One product picked for one channel."""

    product_id: str
    title: str
    price: Money
    score: float
    parts: dict[str, float]
    reasons: list[str]
    list_price_seen: bool = True   # False: the list price was never charged in 30 days (no deal, not struck)
    poster: str | None = None
    text_file: str | None = None
    share_text: str | None = None
    short_url: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"product": self.product_id, "title": self.title, "price": self.price.to_json(),
                "score": round(self.score, 4), "parts": {k: round(v, 4) for k, v in self.parts.items()},
                "reasons": self.reasons, "list_price_seen": self.list_price_seen, "poster": self.poster,
                "text_file": self.text_file,
                "share_text": self.share_text, "short_url": self.short_url}


@dataclass(slots=True)
class ChannelPicks:
    """A channel's picks, how many shares it had left today and why candidates were left out."""

    channel: str
    kind: str
    picks: list[Pick]
    shared_today: int
    left_today: int
    excluded: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"channel": self.channel, "kind": self.kind, "shared_today": self.shared_today,
                "left_today": self.left_today, "excluded": self.excluded,
                "picks": [p.to_json() for p in self.picks]}


def _day_start(now: datetime, tz: str) -> datetime:
    local = now.astimezone(ZoneInfo(tz))
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def pick_today(ws: Workspace, channels: list[str] | None = None, *, count: int | None = None,
               now: datetime | None = None) -> list[ChannelPicks]:
    """The picks for each channel (all channels but ``self`` ones when ``channels`` is None)."""
    now = now or utcnow()
    config = ws.config
    if count is None:
        count = int(config.get("channels.daily_count") or DEFAULT_COUNT)
    if count < 1:
        raise InputError("The number of picks per channel must be at least 1.")
    weights = Weights.from_config(config)
    rules = Rules.from_config(config)
    conn = ws.db
    known = {r[0]: r[1] for r in conn.execute("SELECT name, kind FROM channels")}
    if channels:
        for name in channels:
            if name not in known:
                raise NotFoundError(f"No channel named {name}.",
                                    hint="See `sharekit channel list`, or add it with `sharekit channel add`.")
        names = list(dict.fromkeys(channels))
    else:
        names = sorted(n for n, kind in known.items() if kind != "self")
        if not names:
            raise NotFoundError("No channels yet.", hint="Add one with `sharekit channel add NAME --kind group`.")
    weights_sql = {"w_drop": weights.drop, "w_coupon": weights.coupon, "w_commission": weights.commission,
                   "w_fresh": weights.fresh, "ref": weights.commission_ref_minor,
                   # exact, as `report products` compares: invalid / orders > num / den
                   "rate_num": rules.max_invalid_rate.as_integer_ratio()[0],
                   "rate_den": rules.max_invalid_rate.as_integer_ratio()[1]}
    build_facts(conn, now)
    candidates = None
    try:
        candidates = Candidates(conn, now, weights_sql)
        excluded: dict[str, int] = {}
        if candidates.expired:
            excluded["coupon ended"] = candidates.expired
        if candidates.flagged:
            excluded["too many invalid orders"] = candidates.flagged
        counts, total_products = key_counts(conn)
        catalog_share = {key: n / total_products for key, n in counts.items()} if total_products else {}
        chans = load_channels(conn, names, known, now, day_start=_day_start(now, config.timezone))
        return [_rank_channel(conn, candidates, channel, catalog_share, weights, rules, count, now, dict(excluded))
                for channel in chans]
    finally:
        if candidates is not None:
            candidates.close()
        drop_facts(conn)


def _rank_channel(conn: sqlite3.Connection, candidates: Candidates, channel: ChannelFacts,
                  catalog_share: dict[tuple[str, str], float], weights: Weights, rules: Rules, count: int,
                  now: datetime, excluded: dict[str, int]) -> ChannelPicks:
    """The best ``count`` candidates ``channel`` may still receive today.

    Candidates arrive best first by their channel-independent score; the channel's own part can
    add at most ``weights.channel × best_lift``, so the walk stops as soon as no later candidate
    could beat the current picks.
    """
    left = max(0, rules.max_shares_per_day - channel.shared_today) if rules.max_shares_per_day else count
    wanted = min(count, left)
    recent = {pid for pid, last in channel.last_shared.items()
              if rules.min_days_between > 0 and (days_since(last, now) or 0) < rules.min_days_between}
    if recent:
        excluded["shared recently"] = len(recent)
    bonus_cap = weights.channel * best_lift(channel, catalog_share)
    heap: list[tuple[float, str, int, Scored]] = []
    index = 0
    while wanted:
        f = candidates.get(index)
        if f is None or (len(heap) >= wanted and f.base_score + bonus_cap < heap[0][0]):
            break
        index += 1
        if f.id in recent:
            continue
        aff, why = channel_part(f, channel, catalog_share) if bonus_cap else (0.0, None)
        value = f.base_score + weights.channel * aff
        entry = (value, f.first_seen_at, -index, Scored(f, value, dict(f.parts, channel=aff), [why] if why else []))
        if len(heap) < wanted:
            heapq.heappush(heap, entry)
        elif entry[:3] > heap[0][:3]:
            heapq.heapreplace(heap, entry)
    chosen = [e[3] for e in sorted(heap, key=lambda e: e[:3], reverse=True)]
    picks = []
    for s in chosen:
        f = s.product
        was = previous_price(conn, f.id, f.price) if f.parts["drop"] > 0 else None
        picks.append(Pick(f.id, f.title, Money(f.price, f.currency), s.score, s.parts,
                          reasons(f, now, was) + s.reasons,
                          list_price_seen=f.list_price_seen or f.list_price is None or f.list_price <= f.price))
    return ChannelPicks(channel.name, channel.kind, picks, channel.shared_today, left, excluded)


def plain_scan(conn: sqlite3.Connection) -> int:
    """The benchmark's baseline: one plain SQL pass over the same tables (no scoring)."""
    row = conn.execute(
        "SELECT count(*) FROM products p LEFT JOIN (SELECT product_id, min(price_minor) AS low FROM price_history"
        " GROUP BY product_id) h ON h.product_id = p.id LEFT JOIN (SELECT product_id, count(*) AS n FROM orders"
        " GROUP BY product_id) o ON o.product_id = p.id WHERE p.available = 1").fetchone()
    return int(row[0])
