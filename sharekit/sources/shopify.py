"""Shopify: a store's public storefront listing ``/products.json``.

``[sources.NAME]`` keys: ``kind = "shopify"``, ``store = "https://shop.example"``, optional
``currency`` (the payload has none; default the configured currency), ``endpoint`` (API base
override), ``page_size`` (≤ 250), ``collection`` (a collection handle: list only
``/collections/<handle>/products.json``), ``timeout``, ``retries``, ``rate_limit``.

Pages ``/products.json?limit=250&page=N`` until a page is empty or short; some stores serve
a page twice, so products are deduplicated by id (a repeated page is skipped; two in a row end
the listing).
The endpoint has no search: ``query`` and ``ids`` filter the listing here. A product's price
is its cheapest available variant's (``compare_at_price`` as the original price); the
product URL is ``{store}/products/{handle}``. The storefront has no coupons: ``coupon =
"满99减10"`` applies one to every product, claimed through ``coupon_link`` (``{url}``,
``{handle}``, ``{id}``) or, with ``discount_code = "SAVE10"``, Shopify's shareable discount
link ``{store}/discount/SAVE10?redirect=/products/{handle}``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, ClassVar
from urllib.parse import quote

from ..core.money import Money
from ..core.settings import Setting
from ..errors import ConfigError, InputError, SourceError
from .base import Product, Skipped, Source
from .storefront import base_url, expect_json, plain_text, store_coupon

MAX_PAGE = 250
MAX_PAGES = 10_000   # a store that never ends its listing


class ShopifySource(Source):
    """A Shopify store's public product listing."""

    kind = "shopify"
    description = "A Shopify store's public /products.json listing"
    example_settings = {"store": "https://shop.example"}
    required_keys = ("store",)
    settings_keys: ClassVar[Mapping[str, Setting] | None] = {
        "store": Setting("url", help="The shop's address (https://shop.example)."),
        "collection": Setting("str", help="Only this collection's products."),
        "page_size": Setting("int", MAX_PAGE, "Products per request.", min=1, max=MAX_PAGE),
        "coupon": Setting("str", help="A store coupon on every product: 10 or 满99减10."),
        "coupon_link": Setting("str", help="Where the coupon is claimed: a URL with {url} {handle} {id}."),
        "discount_code": Setting("str", help="A discount code; its Shopify /discount/CODE link claims the coupon."),
    }
    default_rate_limit = 2.0

    def __init__(self, name: str, settings: Mapping[str, Any], **kwargs: Any) -> None:
        super().__init__(name, settings, **kwargs)
        self.store = str(self.settings["store"]).strip().rstrip("/")
        if "://" not in self.store:
            self.store = "https://" + self.store
        self.base = base_url(self.settings)
        self.currency = str(self.settings.get("currency") or "CNY").upper()
        self.page_size = max(1, min(MAX_PAGE, int(self.settings.get("page_size", MAX_PAGE))))
        try:
            Money(0, self.currency)
        except InputError:
            raise ConfigError(f"Source `{name}`: currency {self.currency!r} is not an ISO 4217 code.") from None

    @property
    def path(self) -> str:
        """``/products.json``, or ``/collections/<handle>/products.json`` with ``collection = "..."``."""
        collection = str(self.settings.get("collection") or "").strip().strip("/")
        return f"/collections/{collection}/products.json" if collection else "/products.json"

    def _page(self, page: int, limit: int | None = None) -> list[dict[str, Any]]:
        size = limit or self.page_size
        what = f"GET {self.path}?limit={size}&page={page}"

        def check(response: Any) -> list[dict[str, Any]]:
            data = expect_json(self.name, response, what)
            products = data.get("products") if isinstance(data, dict) else None
            if not isinstance(products, list):
                raise SourceError(self.name, f"{what} answered JSON without a `products` list.")
            return products

        return self.http.request("GET", f"{self.base}{self.path}", params={"limit": size, "page": page},
                                 check=check, what=what)

    def convert(self, raw: dict[str, Any]) -> Product:
        """One storefront product as a Product; ValueError/KeyError/InputError when it has no usable price."""
        native_id = str(raw["id"])
        variants = [v for v in raw.get("variants") or [] if isinstance(v, dict) and v.get("price") not in (None, "")]
        if not variants:
            raise ValueError("no variant with a price")
        available_variants = [v for v in variants if v.get("available", True)]
        pool = available_variants or variants
        priced = [(Money.from_decimal(str(v["price"]), self.currency), v) for v in pool]
        price, variant = min(priced, key=lambda pv: pv[0].minor)
        original = None
        if variant.get("compare_at_price") not in (None, ""):  # the list price a sale is compared with
            compare = Money.from_decimal(str(variant["compare_at_price"]), self.currency)
            original = compare if compare.minor > price.minor else None
        images = [_absolute(str(i["src"])) for i in raw.get("images") or [] if isinstance(i, dict) and i.get("src")]
        handle = raw.get("handle")
        tags = raw.get("tags")
        if isinstance(tags, str):  # the Admin API's comma string, in case a proxy passes it on
            tags = [t.strip() for t in tags.split(",") if t.strip()]
        extra = {k: v for k, v in {"handle": handle, "product_type": raw.get("product_type") or None,
                                   "tags": tags or None, "variants": len(raw.get("variants") or []),
                                   "sku": variant.get("sku") or None}.items() if v is not None}
        url = f"{self.store}/products/{handle}" if handle else None
        coupon, threshold, coupon_url = store_coupon(self.name, self.settings, self.currency, url=url,
                                                     handle=handle, id=native_id)
        if coupon is not None and coupon_url is None and self.settings.get("discount_code") and handle:
            # Shopify's shareable discount link: applies the code, then opens the product.
            code = quote(str(self.settings["discount_code"]), safe="")
            coupon_url = f"{self.store}/discount/{code}?redirect=/products/{quote(str(handle))}"
        return Product(
            native_id=native_id,
            title=str(raw.get("title") or "").strip() or f"Product {native_id}",
            currency=self.currency,
            price=price,
            original_price=original,
            coupon=coupon,
            coupon_threshold=threshold,
            coupon_url=coupon_url,
            url=url,
            image_urls=images,
            available=bool(available_variants),
            description=plain_text(raw.get("body_html")),
            brand=(raw.get("vendor") or None),
            extra=extra,
        )

    def iter_products(self, query: str | None = None, ids: list[str] | None = None,
                      limit: int | None = None) -> Iterator[list[Product]]:
        self.skipped = []
        wanted = {i.split(":", 1)[1] if i.startswith(f"{self.name}:") else i for i in ids} if ids else None
        needle = query.casefold() if query else None
        seen: set[str] = set()
        count = 0
        repeats = 0
        for page_number in range(1, MAX_PAGES + 1):
            raw_page = self._page(page_number)
            if not raw_page:
                return
            fresh = [r for r in raw_page if isinstance(r, dict) and "id" in r and str(r["id"]) not in seen]
            if not fresh:
                # the store served an earlier page again: skip it once (some stores repeat a page
                # mid-listing); two repeats in a row mean a store that ignores `page`: the end
                repeats += 1
                if repeats >= 2 or len(raw_page) < self.page_size:
                    return
                continue
            repeats = 0
            batch: list[Product] = []
            for raw in fresh:
                native_id = str(raw["id"])
                seen.add(native_id)
                if wanted is not None and native_id not in wanted:
                    continue
                try:
                    product = self.convert(raw)
                except (ValueError, KeyError, TypeError, InputError) as exc:
                    self.skipped.append(Skipped(f"product {native_id}", str(exc).rstrip(".") or "malformed",
                                                native_id))
                    continue
                if needle is not None and not _matches(raw, product, needle):
                    continue
                batch.append(product)
                count += 1
                if limit is not None and count >= limit:
                    break
            if batch:
                yield batch
            if limit is not None and count >= limit:
                return
            if wanted is not None and wanted <= seen:
                return
            if len(raw_page) < self.page_size:
                return

    def check(self) -> str:
        products = self._page(1, limit=1)
        return f"{self.base}{self.path} answers ({'products listed' if products else 'no products'})"


def _absolute(src: str) -> str:
    """Older themes write protocol-relative image URLs (``//cdn.shopify.com/...``)."""
    return "https:" + src if src.startswith("//") else src


def _matches(raw: dict[str, Any], product: Product, needle: str) -> bool:
    tags = raw.get("tags") or []
    haystack = " ".join([product.title, product.brand or "", str(raw.get("product_type") or ""),
                         " ".join(tags) if isinstance(tags, list) else str(tags)])
    return needle in haystack.casefold()
