"""The daily pick's score: a small formula a person can check, and the reasons behind it.

score = w_drop × drop + w_coupon × coupon + w_commission × commission + w_channel × channel
        + w_fresh × fresh

each part between 0 and 1:

- drop: how far the price is below the lowest price this store saw charged in the last 30
  days, ``(low − price) / low``, 0 unless it is a new low, a 30% drop or more counting fully.
  Measured against the low, not a median or the supplier's list price, so raising a price
  before a "sale" (先涨后降) earns nothing, and a list price never seen charged is never called
  a deal;
- coupon: a usable coupon's share of the price before it, ``coupon / (price + coupon)``, a
  30% share or more counting fully, × 1.5 when it ends within two days (capped at 1);
- commission: estimated commission per order against ``[today] commission_ref`` (default 20.00
  in the product's currency): ``min(1, rate × price / ref)``;
- channel: how much more of the product's source, brand or category this channel bought (an
  order = 1) and clicked (a person's click = 0.1) in the last 60 days than the catalog's own mix
  would give (the best of the three): what it has shown it wants;
- fresh: days since the product was last shared anywhere, over 14 (never shared: 1).

Weights are ``[today.weights] drop coupon commission channel fresh`` (3, 2, 1, 2, 1).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from ..core.money import Money
from .features import ENDING_SOON, ChannelFacts, ProductFacts

DEFAULT_WEIGHTS = {"drop": 3.0, "coupon": 2.0, "commission": 1.0, "channel": 2.0, "fresh": 1.0}


@dataclass(frozen=True, slots=True)
class Weights:
    """The formula's weights and the commission reference (minor units of a product's currency)."""

    drop: float = 3.0
    coupon: float = 2.0
    commission: float = 1.0
    channel: float = 2.0
    fresh: float = 1.0
    commission_ref_minor: int = 2000

    @classmethod
    def from_config(cls, config: Any) -> Weights:
        values: dict[str, Any] = {}
        for name, default in DEFAULT_WEIGHTS.items():
            raw = config.get(f"today.weights.{name}")
            values[name] = float(raw) if raw is not None else default
        ref = config.get("today.commission_ref")
        if ref is not None:
            values["commission_ref_minor"] = int(Decimal(str(ref)) * 100)
        return cls(**values)


@dataclass(slots=True)
class Scored:
    """A product's score for one channel: its parts (0–1 each, before weights) and reasons."""

    product: ProductFacts
    score: float
    parts: dict[str, float]
    reasons: list[str] = field(default_factory=list)


def _money(minor: int, currency: str) -> str:
    return Money(minor, currency).format()


@lru_cache(maxsize=4096)
def rate(text: str | None) -> Decimal | None:
    """A stored commission rate (decimal string) as a Decimal; None when absent or not positive."""
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    return value if value > 0 else None


def reasons(f: ProductFacts, now: datetime, was: int | None) -> list[str]:
    """The checkable sentences behind the parts (only for the products picked)."""
    out: list[str] = []
    note = None
    if f.parts["drop"] > 0:
        was_text = f" (was {_money(was, f.currency)})" if was is not None else ""
        out.append(f"price {_money(f.price, f.currency)} is the lowest in 30 days{was_text}")
    elif f.list_price is not None and f.list_price > f.price and not f.list_price_seen:
        note = f"list price {_money(f.list_price, f.currency)} not seen charged here: not called a deal"
    if f.coupon:
        ends = ""
        if f.coupon_ends_at is not None and f.coupon_ends_at - now <= ENDING_SOON:
            ends = " ends today" if f.coupon_ends_at - now < timedelta(days=1) else " ends tomorrow"
        out.append(f"coupon {_money(f.coupon, f.currency)}{ends}")
    r = rate(f.commission_rate)
    if r is not None:
        per_order = int((r * f.price).to_integral_value())
        percent = format((r * 100).normalize(), "f")
        out.append(f"commission {percent}% ≈ {_money(per_order, f.currency)} per order")
    return out + ([note] if note else [])


CLICK_WEIGHT = 0.1   # ten people clicking say as much about a channel's taste as one order


def _signals(channel: ChannelFacts, key: tuple[str, str]) -> float:
    return channel.orders_by_key.get(key, 0) + CLICK_WEIGHT * channel.clicks_by_key.get(key, 0)


def _signal_total(channel: ChannelFacts) -> float:
    return channel.orders_total + CLICK_WEIGHT * channel.clicks_total


def _lift(share: float, base: float) -> float:
    return (share - base) / (1.0 - base)


def best_lift(channel: ChannelFacts, catalog_share: dict[tuple[str, str], float]) -> float:
    """The highest channel part any product could get in ``channel`` (bounds the search)."""
    total = _signal_total(channel)
    if not total:
        return 0.0
    best = 0.0
    for key in set(channel.orders_by_key) | set(channel.clicks_by_key):
        base = catalog_share.get(key, 0.0)
        if base < 1.0:
            best = max(best, _lift(_signals(channel, key) / total, base))
    return min(1.0, best)


def channel_part(f: ProductFacts, channel: ChannelFacts, catalog_share: dict[tuple[str, str], float]
                 ) -> tuple[float, str | None]:
    """How much more than the catalog's own mix this channel bought and clicked of the product's
    source, brand or category in the last 60 days (best of the three, 0–1).

    Signals are orders plus a tenth of people's clicks; ``(channel share − catalog share) /
    (1 − catalog share)``: a channel that bought only what the catalog is made of anyway (one
    source, say) shows no taste, one that bought nothing but this brand shows a full one.
    """
    total = _signal_total(channel)
    if not total:
        return 0.0, None
    best, reason = 0.0, None
    for key in f.affinity_keys:
        signal = _signals(channel, key)
        base = catalog_share.get(key, 0.0)
        if not signal or base >= 1.0:
            continue
        lift = _lift(signal / total, base)
        if lift > best:
            best = min(1.0, lift)
            bought, clicked = channel.orders_by_key.get(key, 0), channel.clicks_by_key.get(key, 0)
            did = [f"bought {bought}"] if bought else []
            did += [f"clicked {clicked}"] if clicked else []
            reason = f"this {_kind_word(channel.kind)} {' and '.join(did)} {key[1]} item(s) in the last 60 days"
    return best, reason


def _kind_word(kind: str) -> str:
    return {"group": "group", "moments": "audience", "friend": "friend"}.get(kind, "channel")


def total(parts: dict[str, float], w: Weights) -> float:
    return (w.drop * parts["drop"] + w.coupon * parts["coupon"] + w.commission * parts["commission"]
            + w.channel * parts.get("channel", 0.0) + w.fresh * parts["fresh"])
