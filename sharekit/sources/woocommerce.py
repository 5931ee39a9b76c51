"""WooCommerce: a store's public Store API ``/wp-json/wc/store/v1/products``.

``[sources.NAME]`` keys: ``kind = "woocommerce"``, ``store = "https://shop.example"``,
optional ``endpoint`` (API base override), ``per_page`` (≤ 100), ``timeout``, ``retries``,
``rate_limit``; ``currency`` is only a fallback (the payload carries ``currency_code``).

Pages ``?per_page=100&page=N`` up to the ``X-WP-TotalPages`` header (or until a short page
when a proxy drops it); ``query`` is sent as ``search`` and ``ids`` as ``include``. Prices are
strings of integers in minor units with ``currency_minor_unit`` digits: ``price`` is what it
sells for (the sale price while on sale), ``regular_price`` the list price. ``coupon =
"满99减10"`` applies a store coupon to every product, claimed through ``coupon_link``
(``{url}``, ``{slug}``, ``{id}``; e.g. a URL-coupon plugin's ``{url}?coupon-code=SAVE10``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any, ClassVar

from ..core.money import Money
from ..core.settings import Setting
from ..errors import InputError, SourceError
from .base import Product, Skipped, Source
from .storefront import base_url, expect_json, plain_text, store_coupon

MAX_PER_PAGE = 100
API_PATH = "/wp-json/wc/store/v1/products"
MAX_PAGES = 10_000
PAST_LAST_PAGE = "rest_post_invalid_page_number"   # WordPress's 400 for a page beyond the last


def minor_to_money(value: Any, minor_unit: int, currency: str) -> Money:
    """``"1105"`` with 2 minor digits in GBP -> £11.05, converted to the currency's own exponent."""
    text = str(value).strip()
    if not text.lstrip("-").isdigit():
        raise ValueError(f"price {value!r} is not an integer amount in minor units")
    return Money.from_decimal(Decimal(int(text)).scaleb(-int(minor_unit)), currency)


class WooCommerceSource(Source):
    """A WooCommerce store's public Store API."""

    kind = "woocommerce"
    description = "A WooCommerce store's public Store API (wc/store/v1)"
    example_settings = {"store": "https://shop.example"}
    required_keys = ("store",)
    settings_keys: ClassVar[Mapping[str, Setting] | None] = {
        "store": Setting("url", help="The shop's address (https://shop.example)."),
        "per_page": Setting("int", MAX_PER_PAGE, "Products per request.", min=1, max=MAX_PER_PAGE),
        "coupon": Setting("str", help="A store coupon on every product: 10 or 满99减10."),
        "coupon_link": Setting("str", help="Where the coupon is claimed: a URL with {url} {slug} {id}."),
    }
    default_rate_limit = 2.0

    def __init__(self, name: str, settings: Mapping[str, Any], **kwargs: Any) -> None:
        super().__init__(name, settings, **kwargs)
        self.base = base_url(self.settings)
        self.currency = str(self.settings.get("currency") or "CNY").upper()
        self.per_page = max(1, min(MAX_PER_PAGE, int(self.settings.get("per_page", MAX_PER_PAGE))))

    def _page(self, page: int, params: dict[str, Any]) -> tuple[list[Any], int | None, int | None]:
        what = f"GET {API_PATH}?page={page}"

        def check(response: Any) -> tuple[list[Any], int | None, int | None]:
            if page > 1 and response.status_code == 400 and _error_code(response) == PAST_LAST_PAGE:
                # the header-less walk asked one page too far (the last page was full): the end
                return [], None, None
            data = expect_json(self.name, response, what)
            if not isinstance(data, list):
                kind = "an error object" if isinstance(data, dict) and "code" in data else type(data).__name__
                detail = f" ({data.get('code')}: {data.get('message')})" if isinstance(data, dict) else ""
                raise SourceError(self.name, f"{what} answered {kind}{detail} where a product list was expected.")
            return data, _int_header(response, "X-WP-TotalPages"), _int_header(response, "X-WP-Total")

        query = {"per_page": self.per_page, "page": page, **params}
        return self.http.request("GET", self.base + API_PATH, params=query, check=check, what=what)

    def convert(self, raw: dict[str, Any]) -> Product:
        """One Store API product as a Product; ValueError/KeyError when it has no usable price."""
        native_id = str(raw["id"])
        prices = raw.get("prices")
        if not isinstance(prices, dict):
            raise ValueError("no price")
        current = prices.get("price")
        price_range = prices.get("price_range")
        if current in (None, "") and isinstance(price_range, dict):
            current = price_range.get("min_amount")   # a variable product: its cheapest variation
        if current in (None, ""):
            raise ValueError("no price")
        currency = str(prices.get("currency_code") or self.currency).upper()
        unit = int(prices.get("currency_minor_unit", 2))
        price = minor_to_money(current, unit, currency)
        original = None
        if prices.get("regular_price") not in (None, ""):
            regular = minor_to_money(prices["regular_price"], unit, currency)
            original = regular if regular.minor > price.minor else None
        images = [str(i["src"]) for i in raw.get("images") or [] if isinstance(i, dict) and i.get("src")]
        extra = {k: v for k, v in {"slug": raw.get("slug") or None, "sku": raw.get("sku") or None,
                                   "on_sale": raw.get("on_sale"), "type": raw.get("type")}.items()
                 if v is not None}
        brands = raw.get("brands")
        brand = brands[0].get("name") if isinstance(brands, list) and brands and isinstance(brands[0], dict) else None
        title = plain_text(str(raw.get("name") or ""), 300) or f"Product {native_id}"
        url = raw.get("permalink") or None
        coupon, threshold, coupon_url = store_coupon(self.name, self.settings, currency, url=url,
                                                     slug=raw.get("slug") or None, id=native_id)
        return Product(
            native_id=native_id,
            title=title,
            currency=currency,
            price=price,          # the current price: the sale price while on sale
            original_price=original,  # regular_price, when higher
            coupon=coupon,
            coupon_threshold=threshold,
            coupon_url=coupon_url,
            url=url,
            image_urls=images,
            available=bool(raw.get("is_in_stock", True)),
            description=plain_text(raw.get("short_description") or raw.get("description")),
            brand=brand,
            extra=extra,
        )

    def iter_products(self, query: str | None = None, ids: list[str] | None = None,
                      limit: int | None = None) -> Iterator[list[Product]]:
        self.skipped = []
        params: dict[str, Any] = {}
        if query:
            params["search"] = query
        if ids:
            params["include"] = ",".join(i.split(":", 1)[1] if i.startswith(f"{self.name}:") else i for i in ids)
        seen: set[str] = set()
        count = 0
        total_pages: int | None = None
        for page in range(1, MAX_PAGES + 1):
            items, pages_header, total = self._page(page, params)
            if page == 1:
                total_pages = pages_header
                self.total = min(total, limit) if total is not None and limit else total
            if not items:
                return
            fresh = [r for r in items if isinstance(r, dict) and "id" in r and str(r["id"]) not in seen]
            if not fresh:
                return  # the same page again: stop rather than loop
            batch: list[Product] = []
            for raw in fresh:
                native_id = str(raw["id"])
                seen.add(native_id)
                try:
                    product = self.convert(raw)
                except (ValueError, KeyError, TypeError, InputError) as exc:
                    self.skipped.append(Skipped(f"product {native_id}", str(exc).rstrip(".") or "malformed",
                                                native_id))
                    continue
                batch.append(product)
                count += 1
                if limit is not None and count >= limit:
                    break
            if batch:
                yield batch
            if limit is not None and count >= limit:
                return
            if total_pages is not None:
                if page >= total_pages:
                    return
            elif len(items) < self.per_page:
                return

    def check(self) -> str:
        items, pages, total = self._page(1, {"per_page": 1})
        count = f"{total} products" if total is not None else f"{len(items)} product(s) on the first page"
        return f"{self.base}{API_PATH} answers ({count})"


def _error_code(response: Any) -> str | None:
    try:
        data = response.json()
    except ValueError:
        return None
    return str(data.get("code")) if isinstance(data, dict) else None


def _int_header(response: Any, name: str) -> int | None:
    value = response.headers.get(name)
    if value is None:
        return None
    try:
        return int(value.strip())
    except ValueError:
        return None
