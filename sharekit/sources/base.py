"""The Source contract every supplier kind implements.

A kind is a subclass of :class:`Source` registered under the entry-point group
``sharekit.sources``. It is built from its ``[sources.NAME]`` settings and an injected
``httpx.Client``, and declares what it can do as class attributes:

- ``iter_products(query, ids, limit)`` yields *pages* (lists) of :class:`Product`; the pull
  stores one page per transaction. A full listing (no query) lets the store mark products the
  supplier no longer lists as unavailable. Input it cannot turn into products goes into
  ``self.skipped`` (a list of :class:`Skipped`); ``self.total`` may hold the expected number of
  products (progress); ``local_images`` says its image links may be local files.
- ``check()`` makes one cheap call and returns a one-line description of what worked.
- ``supports_links``: ``promotion_link(product, channel)`` returns a :class:`PromotionLink`
  tagged with the channel for a :class:`StoredProduct`; without it the link falls back to the
  product URL and the source's ``link_template``.
- ``supports_orders``: ``iter_orders(start, end, cursor)`` yields :class:`OrderPage` objects for
  updates in ``[start, end)``, never longer than ``order_window``; each page carries the cursor to
  resume from after it. ``settles_orders``: ``settle_due(lines)`` returns the
  :class:`StatusChange` objects due for stored confirmed lines the supplier never updates (the
  orders store applies them).

Sources never print and never touch the store; they raise :class:`~sharekit.errors.SourceError`
(or a subclass) with messages that never include a secret.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from ..core.envnames import source_env_name
from ..core.money import Money
from ..core.pricing import PriceStory, price_story
from ..core.settings import Setting
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
    """One supplier order line, normalised (status: pending, confirmed, settled, invalid or unknown)."""

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


@dataclass(frozen=True)
class StoredProduct:
    """A stored product as ``promotion_link`` gets it (``extra`` already decoded)."""

    native_id: str
    title: str = ""
    url: str | None = None
    coupon_url: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)
    id: str = ""               # SOURCE:NATIVE_ID when it comes from the store


@dataclass(frozen=True)
class ConfirmedLine:
    """A stored confirmed order line, for :meth:`Source.settle_due`."""

    id: str
    raw_status: str
    commission_minor: int
    extra: Mapping[str, Any]


@dataclass(frozen=True)
class StatusChange:
    """A status a stored order line moves to, and when (for the orders store to apply)."""

    line_id: str
    status: str
    changed_at: datetime


class Source:
    """Base class of a supplier kind. Subclasses set ``kind`` and declare what they support."""

    kind: ClassVar[str] = ""
    description: ClassVar[str] = ""
    required_keys: ClassVar[tuple[str, ...]] = ()
    example_settings: ClassVar[Mapping[str, Any]] = {}  # builds the kind offline (docs, the contract test)
    supports_links: ClassVar[bool] = False     # promotion_link is implemented
    supports_orders: ClassVar[bool] = False    # iter_orders is implemented
    settles_orders: ClassVar[bool] = False     # settle_due is implemented
    order_window: timedelta | None = None      # max span of one order query (with supports_orders)
    order_lookback: ClassVar[timedelta] = timedelta(days=90)
    default_rate_limit: ClassVar[float | None] = None  # requests per second
    # This kind's own [sources.NAME] keys (besides kind, timeout, retries, ...); None: any key goes.
    settings_keys: ClassVar[Mapping[str, Setting] | None] = None
    local_images: bool = False                 # image links may be local files (a local feed)
    image_roots: tuple[Path, ...] = ()         # ... and only under these folders

    def __init__(self, name: str, settings: Mapping[str, Any], *, client: httpx.Client | None = None,
                 sleep: Any = None) -> None:
        self.name = name
        self.settings = dict(settings)
        self.skipped: list[Skipped] = []       # what the last iter_products could not use
        self.total: int | None = None          # products the last listing expects, when known
        missing = [k for k in self.required_keys if self.settings.get(k) in (None, "")]
        if missing:
            raise ConfigError(
                f"Source `{name}` ({self.kind}) is missing {', '.join(missing)}.",
                hint=f"Set them in [sources.{name}] or as {source_env_name(name, '<KEY>')}.",
            )
        from ..core.http import RetryingClient, make_client
        from ..core.netguard import guard_hooks

        self._own_client = client is None
        # Public addresses only (every redirect hop too) unless allow_private_hosts: a supplier's
        # answer cannot steer sharekit to an internal address (see core.netguard). An injected
        # client is the caller's: it is used as given.
        allow = bool(self.settings.get("allow_private_hosts"))
        self.client = client or make_client(event_hooks=guard_hooks(allow))
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

    def env_name(self, key: str) -> str:
        """The environment variable the config reads for this source's ``key``."""
        return source_env_name(self.name, key)

    # catalog -------------------------------------------------------------------------------
    def iter_products(self, query: str | None = None, ids: list[str] | None = None,
                      limit: int | None = None) -> Iterator[list[Product]]:
        """Pages of products: all, matching ``query``, or the given native ``ids``; at most ``limit``."""
        raise NotImplementedError(f"{type(self).__name__} must implement iter_products")

    def check(self) -> str:
        """One cheap call; returns what worked, raises SourceError otherwise."""
        for _page in self.iter_products(limit=1):
            return "ok"
        return "ok (no products)"

    # links (supports_links) ----------------------------------------------------------------
    def promotion_link(self, product: StoredProduct, channel: str) -> PromotionLink:
        """The supplier's tracked link for ``product`` tagged with ``channel``."""
        raise NotImplementedError(f"{type(self).__name__} declares supports_links but has no promotion_link")

    # orders (supports_orders) --------------------------------------------------------------
    def iter_orders(self, start: datetime, end: datetime,
                    cursor: dict[str, Any] | None = None) -> Iterator[OrderPage]:
        """Pages of order lines updated in ``[start, end)``, resuming after ``cursor``."""
        raise NotImplementedError(f"{type(self).__name__} declares supports_orders but has no iter_orders")

    def settle_due(self, lines: Iterable[ConfirmedLine]) -> list[StatusChange]:
        """(settles_orders) Status changes due for stored confirmed ``lines`` the supplier never updates."""
        return []

    def product_id(self, native_id: str) -> str:
        return f"{self.name}:{native_id}"
