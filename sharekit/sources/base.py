"""The Source interface every supplier kind implements.

A kind is a subclass of :class:`Source` registered under the entry-point group
``sharekit.sources`` (the built-in kinds register the same way, in pyproject.toml). It is
built from its ``[sources.NAME]`` settings and an injected ``httpx.Client``:

- ``iter_products(query, ids, limit)`` yields *pages* (lists) of :class:`Product`; the pull
  command stores one page per transaction. A full listing (no query) lets the store mark
  products the supplier no longer lists as unavailable.
- ``check()`` makes one cheap call and returns a one-line description of what worked.
- ``promotion_link(product, channel)`` returns a :class:`PromotionLink` tagged with the
  channel; kinds without an affiliate API leave the default, which raises ``NotImplementedError``
  so the link command falls back to the product URL and ``link_template``.
- ``iter_orders(start, end, cursor)`` yields :class:`OrderPage` objects for updates in
  ``[start, end)``, which is never longer than ``order_window``; each page carries the cursor
  to resume from after it. Kinds without an order API leave ``order_window = None``.

Sources never print; they raise :class:`~sharekit.errors.SourceError` (or a subclass) with
messages that never include a secret.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar

from ..core.money import Money
from ..core.pricing import PriceStory, price_story
from ..errors import ConfigError

if TYPE_CHECKING:  # httpx loads when a source is built, so command modules may import this at top
    import httpx


@dataclass
class Product:
    """A normalised product as a source yields it: the prices exactly as the supplier states them.

    ``price`` is the selling price (在售价: the sale price when there is one) BEFORE any coupon;
    ``original_price`` the list price (原价); ``coupon`` the best coupon's discount and
    ``coupon_threshold`` its minimum order (满X; None = none). Whether the coupon is usable and
    what the buyer finally pays are derived by :func:`sharekit.core.pricing.price_story`
    (``product.story``), never by a source."""

    native_id: str
    title: str
    currency: str
    price: Money | None                 # selling price (在售价), before any coupon
    original_price: Money | None = None  # list price (原价)
    coupon: Money | None = None          # discount of the best coupon
    coupon_url: str | None = None
    commission_rate: Decimal | None = None
    url: str | None = None
    image_urls: list[str] = field(default_factory=list)
    available: bool = True
    description: str | None = None
    brand: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    coupon_threshold: Money | None = None  # the coupon's minimum order (满X), None = no threshold

    @property
    def story(self) -> PriceStory:
        """Selling price, coupon usability and final price, derived from the stated prices."""
        return price_story(list_price=self.original_price, sale_price=self.price, coupon=self.coupon,
                           threshold=self.coupon_threshold)


@dataclass(frozen=True)
class Skipped:
    """Input a source could not turn into a product: where (file and line, or item) and why."""

    where: str
    reason: str
    native_id: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"where": self.where, "reason": self.reason, "id": self.native_id}



@dataclass
class PromotionLink:
    """A supplier's tracked link for one product and channel."""

    url: str
    short_url: str | None = None
    share_text: str | None = None     # e.g. Taobao 淘口令, for pages inside WeChat
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class OrderLine:
    """One supplier order line, normalised (see DESIGN.md for the statuses)."""

    row_id: str                # the supplier's unique id of the line
    order_id: str
    status: str                # pending | confirmed | settled | invalid | unknown
    raw_status: str
    amount: Money              # what the buyer paid for the line
    commission: Money          # estimated, or actual once known
    ordered_at: datetime       # aware
    updated_at: datetime       # aware
    product_native_id: str | None = None
    product_title: str | None = None
    channel: str = ""
    list_amount: Money | None = None
    quantity: int | None = None
    refund_tag: str | None = None
    settled_at: datetime | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class OrderPage:
    """A page of order lines and the cursor to resume from after it (None = window done)."""

    lines: list[OrderLine]
    next_cursor: dict[str, Any] | None = None


class Source:
    """Base class of a supplier kind. Subclasses set ``kind`` and override what they support."""

    kind: ClassVar[str] = ""
    description: ClassVar[str] = ""
    required_keys: ClassVar[tuple[str, ...]] = ()
    order_window: ClassVar[timedelta | None] = None   # max span of one order query
    order_lookback: ClassVar[timedelta] = timedelta(days=90)
    default_rate_limit: ClassVar[float | None] = None  # requests per second

    def __init__(self, name: str, settings: Mapping[str, Any], *, client: httpx.Client | None = None,
                 sleep: Any = None) -> None:
        self.name = name
        self.settings = dict(settings)
        missing = [k for k in self.required_keys if self.settings.get(k) in (None, "")]
        if missing:
            raise ConfigError(
                f"Source `{name}` ({self.kind}) is missing {', '.join(missing)}.",
                hint=f"Set them in [sources.{name}] or as SHAREKIT_{re.sub(r'[^A-Za-z0-9]', '_', name).upper()}_<KEY>.",
            )
        from ..core.http import RetryingClient, make_client

        self._own_client = client is None
        self.client = client or make_client()
        kwargs: dict[str, Any] = {
            "timeout": float(self.settings.get("timeout", 20)),
            "retries": int(self.settings.get("retries", 4)),
            "rate_limit": self.settings.get("rate_limit", self.default_rate_limit),
        }
        if sleep is not None:
            kwargs["sleep"] = sleep
        self.http = RetryingClient(name, self.client, **kwargs)

    def close(self) -> None:
        if self._own_client:
            self.client.close()

    def __enter__(self) -> Source:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # catalog -------------------------------------------------------------------------------
    def iter_products(self, query: str | None = None, ids: list[str] | None = None,
                      limit: int | None = None) -> Iterator[list[Product]]:
        raise NotImplementedError(f"{self.kind} sources cannot list products")

    def check(self) -> str:
        """One cheap call; returns what worked, raises SourceError otherwise."""
        for _page in self.iter_products(limit=1):
            return "ok"
        return "ok (no products)"

    # links ---------------------------------------------------------------------------------
    def promotion_link(self, native_id: str, channel: str, product: Mapping[str, Any] | None = None) -> PromotionLink:
        raise NotImplementedError

    # orders --------------------------------------------------------------------------------
    def iter_orders(self, start: datetime, end: datetime,
                    cursor: dict[str, Any] | None = None) -> Iterator[OrderPage]:
        raise NotImplementedError(f"{self.kind} sources have no order API")

    @property
    def has_orders(self) -> bool:
        return self.order_window is not None

    def product_id(self, native_id: str) -> str:
        return f"{self.name}:{native_id}"
