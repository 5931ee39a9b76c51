"""The CSV/TSV fast path: one row (a list of cells) to its Product without building a record dict.

It covers the common rows (plain decimal prices in a known currency) and hands every other row
back to :meth:`~.parse.FeedParser.product`; for the rows it builds, the products are equal to the
general path's. ``benchmarks/pull.py`` measures it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urljoin

from ...core.money import Money, exponent
from ...errors import InputError
from ..base import Product
from .fields import _HAS_SCHEME, AVAILABLE, BadRow, _plain_price, is_web_url, parse_commission
from .parse import FeedParser


def row_builder(parser: FeedParser, index: dict[str, int]) -> Callable[[list[str], int], Product | None]:
    """A function turning one CSV/TSV row (a list of cells) into its Product, or None when the
    row needs the general path (:meth:`FeedParser.product`): anything but plain decimal prices in a known
    currency, and every row that is refused. What it returns equals what ``product`` returns for
    the row's record; it reads cells by column index, so no record dict is built per row.
    """
    ids = parser.ids
    ctx_currency = parser.ctx.currency
    base_url = parser.ctx.base_url
    resolve = parser.resolve
    coupon_of = parser._coupon
    coupons = parser._coupons   # what coupon_of caches
    available_of = AVAILABLE.get
    plain = _plain_price
    trusted = Money.trusted   # currency checked by exp_of, minor from digits under MAX_MINOR
    product_cls = Product
    scales: dict[str | None, int | None] = {}

    def exp_of(code: str | None) -> int | None:
        """The currency's minor digits, or None unless it is a valid code as written (else the general path)."""
        if code not in scales:
            try:
                scales[code] = exponent(code) if code and Money(0, code).currency == code else None
            except InputError:
                scales[code] = None
        return scales[code]

    ctx_exp = exp_of(ctx_currency)
    i_id, i_title = index["id"], index["title"]
    i_cur, i_price, i_sale = index.get("currency"), index.get("price"), index.get("sale_price")
    i_coupon, i_rate, i_avail = index.get("coupon"), index.get("commission_rate"), index.get("availability")
    i_image, i_link, i_coupon_link = index.get("image_link"), index.get("link"), index.get("coupon_link")
    i_desc, i_brand = index.get("description"), index.get("brand")
    extra_cols = tuple((attr, index[attr]) for attr in parser.extra_attrs)

    def build(row: list[str], line: int) -> Product | None:
        native_id = row[i_id].strip()
        title = row[i_title].strip()
        if not native_id or not title or native_id in ids:
            return None
        currency, exp = ctx_currency, ctx_exp
        if i_cur is not None:
            given = row[i_cur].strip()
            if given:
                currency = given.upper()
                if currency in ("RMB", "元"):
                    currency = "CNY"
                exp = exp_of(currency)
        if exp is None or currency is None:
            return None
        raw_price = row[i_price].strip() if i_price is not None else ""
        raw_sale = row[i_sale].strip() if i_sale is not None else ""
        list_minor = sale_minor = None
        if raw_price:
            list_minor = plain(raw_price, exp)
            if list_minor is None:
                return None
        if raw_sale:
            sale_minor = plain(raw_sale, exp)
            if sale_minor is None:
                return None
        if sale_minor is not None:
            base = sale_minor
        elif list_minor is not None:
            base = list_minor
        else:
            return None
        extra: dict[str, Any] = {}
        coupon = threshold = None
        raw_coupon = row[i_coupon].strip() if i_coupon is not None else ""
        if raw_coupon:
            cached = coupons.get((raw_coupon, currency))
            if cached is None:
                try:
                    cached = coupon_of(raw_coupon, currency)
                except BadRow:
                    return None
            threshold, coupon = cached
        price = trusted(base, currency)   # the selling price; the store derives what the buyer pays
        original = trusted(list_minor, currency) if list_minor is not None and sale_minor is not None else None
        raw_rate = row[i_rate].strip() if i_rate is not None else ""
        if raw_rate:
            try:
                rate = parse_commission(raw_rate)
            except BadRow:
                return None
        else:
            rate = None
        raw_avail = row[i_avail].strip() if i_avail is not None else ""
        if raw_avail:
            available = available_of(raw_avail)
            if available is None:
                available = available_of(raw_avail.lower())
                if available is None:
                    return None
        else:
            available = True
        main = row[i_image].strip() if i_image is not None else ""
        if main:
            images = [main if main.startswith(("https://", "http://")) else resolve(main)]
        else:
            images = []
        link = (row[i_link].strip() or None) if i_link is not None else None
        if link and base_url and not _HAS_SCHEME.match(link):
            link = urljoin(base_url, link)
        coupon_link = (row[i_coupon_link].strip() or None) if i_coupon_link is not None else None
        if (link and not is_web_url(link)) or (coupon_link and not is_web_url(coupon_link)):
            return None   # the general path names the bad column
        for attr, i in extra_cols:
            value = row[i].strip()
            if value:
                extra[attr] = value
        ids[native_id] = line
        return product_cls(native_id, title, currency, price, original, coupon, coupon_link, rate, link, images,
                           available,
                           (row[i_desc].strip() or None) if i_desc is not None else None,
                           (row[i_brand].strip() or None) if i_brand is not None else None, extra, threshold)

    return build
