"""The one product factory of the tests: products stored through the catalog's own upsert."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sharekit.catalog.store import set_image_paths, upsert_products
from sharekit.core.money import Money
from sharekit.sources.base import Product

NOW = "2026-11-26T00:00:00+00:00"


def add_product(ws: Any, pid: str, *, title: str = "保温杯", price: int | None = 1990,
                original: int | None = None, coupon: int | None = None, threshold: int | None = None,
                currency: str = "CNY",
                url: str | None = "https://shop.example.com/p/{native}", coupon_url: str | None = None,
                rate: str | None = None, available: bool = True, extra: dict[str, Any] | None = None,
                image_path: str | None = None, source: str | None = None, now: str = NOW) -> str:
    """Store product ``pid`` (``SOURCE:NATIVE_ID``) as a pull would: ``price`` is the selling price,
    ``original`` the list price, ``coupon`` usable from ``threshold``; ``{native}`` in ``url`` is its
    native id; ``image_path`` (relative to the cache) marks its image cached. Returns ``pid``."""
    source_name, native = pid.split(":", 1)
    source_name = source or source_name

    def money(minor: int | None) -> Money | None:
        return None if minor is None else Money(minor, currency)

    product = Product(native, title, currency, money(price), money(original), money(coupon), coupon_url,
                      Decimal(rate) if rate else None, url.format(native=native) if url else None, [], available,
                      extra=dict(extra or {}), coupon_threshold=money(threshold))
    upsert_products(ws.db, source_name, [product], now=now, want_images=False)
    if image_path:
        set_image_paths(ws.db, [(image_path, f"{source_name}:{native}")])
    return pid
