"""File feeds: CSV, TSV, JSON, Google Merchant Center TSV and RSS 2.0 XML (``g:`` namespace).

``[sources.NAME]`` keys: ``kind = "feed"``, ``path`` (a local file; relative paths are read
from the home folder) or ``url``; optional ``format`` (``csv``, ``tsv``, ``json``, ``xml``;
else by extension, else sniffed), ``currency`` (for prices without one), ``encoding``
(else detected: UTF-8, UTF-8 with BOM, UTF-16 with BOM, GBK/GB18030), ``strict``.

Column names follow the Merchant Center spec (``id, title, description, link, image_link,
additional_image_link, price, sale_price, availability, brand, gtin``; a ``g:`` prefix is
ignored), plus ``coupon`` (an amount, or ``满99减10``), ``coupon_link``, ``commission_rate``
(``0.05`` or ``5%``) and ``currency``; common Chinese headers (商品ID, 标题, 价格, 优惠券, ...)
are read as their English names. ``price`` is the list price, ``sale_price`` the sale price;
the stored price is what the buyer pays: the sale price less a usable coupon.

A row without an id or title, or with a price that does not parse, is skipped and reported
with its line number (``skipped``); with ``strict`` the first bad row refuses the whole file
before a single product is yielded, so nothing is written.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from operator import itemgetter
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urljoin, urlsplit

import httpx

from ..catalog import Skipped
from ..core.money import Money, exponent, parse_money
from ..core.settings import Setting
from ..errors import ConfigError, InputError, SourceError
from .base import Product, Source

FORMATS = ("csv", "tsv", "json", "xml")
FORMAT_ALIASES = {"csv": "csv", "tsv": "tsv", "tab": "tsv", "txt": "tsv", "gmc": "tsv", "merchant": "tsv",
                  "json": "json", "xml": "xml", "rss": "xml"}
EXTENSIONS = {".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".json": "json", ".xml": "xml", ".rss": "xml"}
GOOGLE_NS = "http://base.google.com/ns/1.0"
ATOM_NS = "http://www.w3.org/2005/Atom"
PAGE_SIZE = 1000

# Header (normalised: lower case, ``g:`` dropped, spaces and hyphens as underscores) -> attribute.
ALIASES: dict[str, str] = {
    "id": "id", "item_id": "id", "product_id": "id", "offer_id": "id",
    "商品id": "id", "商品编号": "id", "商品编码": "id", "编号": "id",
    "title": "title", "name": "title", "product_name": "title", "标题": "title", "商品名称": "title",
    "商品标题": "title", "名称": "title",
    "description": "description", "描述": "description", "商品描述": "description",
    "link": "link", "url": "link", "product_url": "link", "链接": "link", "商品链接": "link",
    "image_link": "image_link", "image": "image_link", "image_url": "image_link", "图片": "image_link",
    "主图": "image_link", "图片链接": "image_link", "商品主图": "image_link",
    "additional_image_link": "additional_image_link", "additional_image_links": "additional_image_link",
    "price": "price", "价格": "price", "原价": "price", "标价": "price",
    "sale_price": "sale_price", "售价": "sale_price", "折后价": "sale_price", "促销价": "sale_price",
    "coupon": "coupon", "coupon_amount": "coupon", "优惠券": "coupon", "券额": "coupon", "优惠券面额": "coupon",
    "coupon_link": "coupon_link", "coupon_url": "coupon_link", "券链接": "coupon_link",
    "优惠券链接": "coupon_link",
    "commission_rate": "commission_rate", "commission": "commission_rate", "佣金比例": "commission_rate",
    "佣金比率": "commission_rate",
    "availability": "availability", "stock": "availability", "库存状态": "availability", "库存": "availability",
    "brand": "brand", "品牌": "brand",
    "currency": "currency", "币种": "currency", "货币": "currency",
    "gtin": "gtin", "mpn": "mpn", "condition": "condition", "product_type": "product_type",
    "google_product_category": "google_product_category", "item_group_id": "item_group_id",
    "shop": "shop", "店铺": "shop", "店铺名称": "shop",
}
EXTRA_ATTRS = ("gtin", "mpn", "condition", "product_type", "google_product_category", "item_group_id", "shop")
AVAILABLE = {"in_stock": True, "instock": True, "in stock": True, "available": True, "preorder": True,
             "backorder": True, "limited_availability": True, "yes": True, "true": True, "1": True,
             "有货": True, "在售": True, "现货": True, "预售": True,
             "out_of_stock": False, "outofstock": False, "out of stock": False, "sold_out": False,
             "discontinued": False, "no": False, "false": False, "0": False,
             "无货": False, "缺货": False, "售罄": False, "下架": False}

_FAST_PRICE = re.compile(r"(\d+)(?:\.(\d*))?(?:\s+([A-Z]{3}))?")
_COUPON_RULE = re.compile(r"满\s*([\d.]+)\s*(?:元)?\s*减\s*([\d.]+)\s*(?:元)?")
_HAS_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


class BadRow(Exception):
    """A row that cannot become a product; its message is the reason."""


def normalise_header(name: str) -> str:
    key = name.strip().lstrip("\ufeff").strip().lower()
    if key.startswith("g:"):
        key = key[2:]
    return key.replace(" ", "_").replace("-", "_")


def decode_bytes(data: bytes, where: str, encoding: str | None = None) -> str:
    """Text of a feed file: a given encoding, else BOM, else UTF-8, else GB18030 (GBK's superset)."""
    if encoding:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise ConfigError(f"{where}: unknown encoding {encoding!r}.") from None
        try:
            return data.decode(encoding)
        except UnicodeDecodeError as exc:
            raise InputError(f"{where}: not {encoding} text (byte {exc.start}).") from None
    if data.startswith(codecs.BOM_UTF8):
        return data[3:].decode("utf-8", errors="strict")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError(f"{where}, line {line}: neither UTF-8 nor GBK/GB18030 text; "
                         "save it as UTF-8 or set `encoding` for this source.") from None


def sniff_format(text: str) -> str:
    head = text.lstrip()[:1]
    if head in ("[", "{"):
        return "json"
    if head == "<":
        return "xml"
    first = text.split("\n", 1)[0]
    return "tsv" if "\t" in first else "csv"


_known_codes: set[str] = set()
_new_object = object.__new__
_set_attr = object.__setattr__


def _money(minor: int, code: str) -> Money:
    """Money without re-validating a currency code already seen (the import's hot path)."""
    if code not in _known_codes:
        try:
            Money(0, code)
        except InputError as exc:
            raise BadRow(str(exc).rstrip(".")) from None
        _known_codes.add(code)
    money = _new_object(Money)
    _set_attr(money, "minor", minor)
    _set_attr(money, "currency", code)
    return money


_scales: dict[str, tuple[int, int]] = {}


def _plain_price(text: str, exp: int) -> int | None:
    """Minor units of a plain ASCII decimal (``19.90``, ``15``) with at most ``exp`` decimals, else None."""
    whole, _, frac = text.partition(".")
    if not (whole.isascii() and whole.isdigit()):
        return None
    if not frac:
        return None if _ else int(whole) * 10**exp
    if len(frac) > exp or not (frac.isascii() and frac.isdigit()):
        return None
    return int(whole + frac) * 10 ** (exp - len(frac))


def parse_price(text: str, currency: str | None) -> Money:
    """``19.90``, ``15.00 USD``, ``¥19.9``, ``USD 15``: fast paths for plain numbers, else parse_money."""
    s = text.strip()
    if currency is not None:
        scale = _scales.get(currency)
        if scale is None:
            _money(0, currency)  # validates the code (BadRow)
            exp = exponent(currency)
            scale = _scales[currency] = (exp, 10**exp)
        whole, dot, frac = s.partition(".")
        if whole.isdecimal() and (not frac or frac.isdecimal()) and len(frac) <= scale[0]:  # int() reads these
            exp = scale[0]
            minor = int(whole) * scale[1] + (int(frac) * 10 ** (exp - len(frac)) if frac else 0)
            return _money(minor, currency)
    m = _FAST_PRICE.fullmatch(s)
    if m:
        code = m.group(3) or currency
        if code:
            exp = exponent(code)
            frac = m.group(2) or ""
            if len(frac) <= exp:
                minor = int(m.group(1)) * 10**exp + (int(frac.ljust(exp, "0")) if exp else 0)
                return _money(minor, code)
    try:
        return parse_money(s, currency)
    except InputError as exc:
        raise BadRow(str(exc).rstrip(".")) from None


@lru_cache(maxsize=1024)
def parse_commission(text: str) -> Decimal:
    """``0.05``, ``5%``, or ``5`` (a number above 1 is read as percent, as suppliers show it)."""
    s = text.strip()
    try:
        if s.endswith("%"):
            rate = Decimal(s[:-1].strip()) / 100
        else:
            rate = Decimal(s)
            if rate > 1:
                rate = rate / 100
    except InvalidOperation:
        raise BadRow(f"commission_rate {text!r} is not a rate (use 0.05 or 5%)") from None
    if not rate.is_finite() or rate < 0 or rate > 1:
        raise BadRow(f"commission_rate {text!r} is not between 0 and 100%")
    return rate.normalize() if rate else Decimal(0)


@dataclass
class _Context:
    where: str                    # file name or URL for messages
    currency: str | None
    base_dir: Path | None         # a local feed's folder (relative image paths)
    base_url: str | None          # a remote feed's URL (relative links)


class FeedParser:
    """Turns feed text into (line, Product) pairs; bad rows become Skipped entries or BadRow."""

    def __init__(self, ctx: _Context) -> None:
        self.ctx = ctx
        self.ids: dict[str, int] = {}
        self.extra_attrs: tuple[str, ...] = EXTRA_ATTRS   # narrowed to the header's columns for CSV/TSV
        self._coupons: dict[tuple[str, str], tuple[Money | None, Money | None]] = {}

    # records ---------------------------------------------------------------------------------
    def records(self, text: str, fmt: str) -> Iterator[tuple[int, dict[str, Any]]]:
        """(line, {attribute: value}) for every row or item; values are str or list of str."""
        if fmt in ("csv", "tsv"):
            yield from self._delimited(text, "," if fmt == "csv" else "\t")
        elif fmt == "json":
            yield from self._json(text)
        elif fmt == "xml":
            yield from self._xml(text)
        else:  # pragma: no cover - guarded by the source
            raise ConfigError(f"{self.ctx.where}: unknown feed format {fmt!r}.")

    def parsed(self, text: str, fmt: str) -> Iterator[tuple[int, Product | dict[str, Any]]]:
        """(line, Product) for rows the CSV/TSV fast path turned into products, else (line, record)
        for :meth:`product` to build or refuse. Same products, same order, as ``records`` + ``product``."""
        if fmt in ("csv", "tsv"):
            return self._delimited(text, "," if fmt == "csv" else "\t", fast=True)
        return self.records(text, fmt)

    def _delimited(self, text: str, delimiter: str, *, fast: bool = False
                   ) -> Iterator[tuple[int, Product | dict[str, Any]]]:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        try:
            header = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise InputError(f"{self.ctx.where}, line 1: {exc}.") from None
        columns: list[tuple[str, int]] = []
        multi: list[int] = []
        for index, name in enumerate(header):
            attr = ALIASES.get(normalise_header(name))
            if attr is None:
                continue
            if attr == "additional_image_link":
                multi.append(index)
            elif all(a != attr for a, _ in columns):
                columns.append((attr, index))
        found = {a for a, _ in columns}
        self.extra_attrs = tuple(a for a in EXTRA_ATTRS if a in found)
        if "id" not in found or "title" not in found:
            missing = " and ".join(a for a in ("id", "title") if a not in found)
            raise InputError(f"{self.ctx.where}, line 1: the header has no {missing} column "
                             f"(found: {', '.join(h.strip() for h in header[:12])}).")
        width = len(header)
        line = 1
        attrs = [a for a, _ in columns]
        pick = itemgetter(*[i for _, i in columns])   # >= 2 columns (id, title): always a tuple
        strip = str.strip
        build = self._row_builder(dict(columns)) if fast and not multi else None
        try:
            for row in reader:
                start = line + 1
                line = reader.line_num
                if not row or (len(row) == 1 and not row[0].strip()):
                    continue
                if len(row) < width:
                    row = row + [""] * (width - len(row))
                if build is not None:
                    product = build(row, start)
                    if product is not None:
                        yield start, product
                        continue
                rec: dict[str, Any] = dict(zip(attrs, map(strip, pick(row)), strict=True))
                if multi:
                    rec["additional_image_link"] = [u for i in multi for u in re.split(r"[,\s]+", row[i]) if u]
                yield start, rec
        except csv.Error as exc:
            raise InputError(f"{self.ctx.where}, line {reader.line_num}: {exc}.") from None

    def _row_builder(self, index: dict[str, int]) -> Callable[[list[str], int], Product | None]:
        """A function turning one CSV/TSV row (a list of cells) into its Product, or None when the
        row needs the general path (:meth:`product`): anything but plain decimal prices in a known
        currency, and every row that is refused. What it returns equals what ``product`` returns for
        the row's record; it reads cells by column index, so no record dict is built per row.
        """
        ids = self.ids
        ctx_currency = self.ctx.currency
        base_url = self.ctx.base_url
        resolve = self.resolve
        coupon_of = self._coupon
        coupons = self._coupons   # what coupon_of caches
        available_of = AVAILABLE.get
        plain = _plain_price
        new_money, set_field = _new_object, _set_attr
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
        extra_cols = tuple((attr, index[attr]) for attr in self.extra_attrs)

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
            coupon = None
            pay = base
            raw_coupon = row[i_coupon].strip() if i_coupon is not None else ""
            if raw_coupon:
                cached = coupons.get((raw_coupon, currency))
                if cached is None:
                    try:
                        cached = coupon_of(raw_coupon, currency)
                    except BadRow:
                        return None
                threshold, coupon = cached
                if threshold is not None:
                    extra["coupon_threshold"] = threshold.to_json()
                if coupon is not None and (threshold is None or threshold.minor <= base):
                    pay = max(0, base - coupon.minor)
            price = new_money(Money)
            set_field(price, "minor", pay)
            set_field(price, "currency", currency)
            if list_minor is not None and list_minor != pay:
                original = new_money(Money)
                set_field(original, "minor", list_minor)
                set_field(original, "currency", currency)
            else:
                original = None
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
            for attr, i in extra_cols:
                value = row[i].strip()
                if value:
                    extra[attr] = value
            ids[native_id] = line
            return product_cls(native_id, title, currency, price, original, coupon,
                               (row[i_coupon_link].strip() or None) if i_coupon_link is not None else None,
                               rate, link, images, available,
                               (row[i_desc].strip() or None) if i_desc is not None else None,
                               (row[i_brand].strip() or None) if i_brand is not None else None, extra)

        return build

    def _json(self, text: str) -> Iterator[tuple[int, dict[str, Any]]]:
        try:
            data = json.loads(text, parse_float=Decimal)
        except json.JSONDecodeError as exc:
            raise InputError(f"{self.ctx.where}, line {exc.lineno}: not valid JSON ({exc.msg}).") from None
        if isinstance(data, dict):
            for key in ("products", "items", "entries", "data"):
                if isinstance(data.get(key), list):
                    data = data[key]
                    break
        if not isinstance(data, list):
            raise InputError(f"{self.ctx.where}: a JSON feed must be a list of product objects.")
        # Items have no line numbers of their own once parsed: find each item's opening line.
        starts = _json_item_lines(text, len(data))
        for index, item in enumerate(data):
            line = starts[index] if index < len(starts) else 0
            if not isinstance(item, dict):
                yield line, {"__bad__": f"item {index + 1} is not an object"}
                continue
            rec: dict[str, Any] = {}
            for key, value in item.items():
                attr = ALIASES.get(normalise_header(str(key)))
                if attr is None or value is None:
                    continue
                if attr in ("price", "sale_price") and isinstance(value, dict):  # {"value": "15.00", "currency": "USD"}
                    amount = value.get("value", value.get("amount", ""))
                    value = f"{amount} {value.get('currency', '')}".strip()
                if attr == "additional_image_link":
                    values = value if isinstance(value, list) else [value]
                    rec[attr] = [str(v).strip() for v in values if str(v).strip()]
                elif attr == "image_link" and isinstance(value, list):
                    rec[attr] = str(value[0]).strip() if value else ""
                    rec.setdefault("additional_image_link", [str(v).strip() for v in value[1:]])
                elif isinstance(value, bool) and attr == "availability":
                    rec[attr] = "in_stock" if value else "out_of_stock"
                else:
                    rec[attr] = str(value).strip()
            yield line, rec

    def _xml(self, text: str) -> Iterator[tuple[int, dict[str, Any]]]:
        yield from parse_rss_items(text, self.ctx.where)

    # products --------------------------------------------------------------------------------
    def product(self, line: int, rec: dict[str, Any]) -> Product:
        """The Product for one record (values already stripped); BadRow names why it cannot be one.

        This is the import's hot path: keep it free of avoidable calls.
        """
        get = rec.get
        if "__bad__" in rec:
            raise BadRow(rec["__bad__"])
        native_id = get("id")
        if not native_id:
            raise BadRow("no id")
        title = get("title")
        if not title:
            raise BadRow("no title")
        first = self.ids.get(native_id)
        if first is not None:
            raise BadRow(f"duplicate id {native_id!r} (first on line {first})")
        currency = get("currency")
        if currency:
            currency = currency.upper()
            if currency in ("RMB", "元"):
                currency = "CNY"
        else:
            currency = self.ctx.currency
        raw_price = get("price")
        raw_sale = get("sale_price")
        if not raw_price and not raw_sale:
            raise BadRow("no price")
        try:
            list_price = parse_price(raw_price, currency) if raw_price else None
            sale = parse_price(raw_sale, currency) if raw_sale else None
        except BadRow as exc:
            raise BadRow(f"price: {exc}") from None
        if sale is None:
            base = list_price
        else:
            base = sale
            if list_price is not None and list_price.currency != sale.currency:
                raise BadRow(f"price is {list_price.currency} but sale_price is {sale.currency}")
        assert base is not None
        if base.minor < 0:
            raise BadRow(f"price {raw_sale or raw_price!r} is negative")
        coupon = None
        extra: dict[str, Any] = {}
        pay = base
        raw_coupon = get("coupon")
        if raw_coupon:
            threshold, coupon = self._coupon(raw_coupon, base.currency)
            if threshold is not None:
                extra["coupon_threshold"] = threshold.to_json()
            if coupon is not None and (threshold is None or threshold.minor <= base.minor):
                pay = _money(max(0, base.minor - coupon.minor), base.currency)
        original = list_price if list_price is not None and list_price.minor != pay.minor else None
        raw_rate = get("commission_rate")
        rate = parse_commission(raw_rate) if raw_rate else None
        raw_avail = get("availability")
        if raw_avail:
            available = AVAILABLE.get(raw_avail) if raw_avail in AVAILABLE else AVAILABLE.get(raw_avail.lower())
            if available is None:
                raise BadRow(f"availability {raw_avail!r} is not in_stock, out_of_stock, preorder or backorder")
        else:
            available = True
        main = get("image_link")
        images = [self.resolve(main)] if main else []
        more = get("additional_image_link")
        if more:
            images.extend(self.resolve(u) for u in more if u)
        link = get("link") or None
        if link and self.ctx.base_url and not _HAS_SCHEME.match(link):
            link = urljoin(self.ctx.base_url, link)
        for attr in self.extra_attrs:
            value = get(attr)
            if value:
                extra[attr] = value
        self.ids[native_id] = line
        return Product(native_id, title, pay.currency, pay, original, coupon, get("coupon_link") or None, rate,
                       link, images, available, get("description") or None, get("brand") or None, extra)

    def _coupon(self, raw: str, currency: str) -> tuple[Money | None, Money | None]:
        """(threshold, discount) of a coupon cell (``10``, ``¥10``, ``满99减10``); cached, cells repeat."""
        key = (raw, currency)
        cached = self._coupons.get(key)
        if cached is not None:
            return cached
        threshold = None
        rule = _COUPON_RULE.search(raw)
        try:
            if rule:
                threshold = parse_price(rule.group(1), currency)
                coupon = parse_price(rule.group(2), currency)
            else:
                coupon = parse_price(raw, currency)
        except BadRow as exc:
            raise BadRow(f"coupon: {exc}") from None
        if coupon.currency != currency or coupon.minor < 0:
            raise BadRow(f"coupon {raw!r} does not fit a {currency} price")
        result = (threshold, coupon if coupon.minor else None)
        if len(self._coupons) < 10_000:
            self._coupons[key] = result
        return result

    def resolve(self, link: str) -> str:
        """An image link as a URL: absolute URLs as given, paths against the feed's folder or URL."""
        if link.startswith(("https://", "http://")) or _HAS_SCHEME.match(link):
            return link
        if self.ctx.base_url:
            return urljoin(self.ctx.base_url, link)
        if self.ctx.base_dir is not None:
            path = Path(link).expanduser()
            if not path.is_absolute():
                path = self.ctx.base_dir / path
            return path.resolve().as_uri()
        return link


def _json_item_lines(text: str, count: int) -> list[int]:
    """Line numbers where the top-level list's objects start (best effort, cheap)."""
    lines: list[int] = []
    depth = 0
    in_string = escaped = False
    line = 1
    list_depth = None
    for ch in text:
        if ch == "\n":
            line += 1
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
            continue
        if ch == '"':
            in_string = True
        elif ch in "[{":
            if ch == "[" and list_depth is None:
                list_depth = depth + 1
            elif depth == list_depth:
                lines.append(line)
                if len(lines) >= count:
                    break
            depth += 1
        elif ch in "]}":
            depth -= 1
    return lines


def parse_rss_items(text: str, where: str) -> list[tuple[int, dict[str, Any]]]:
    """Items of an RSS 2.0 (or Atom) feed with Merchant Center ``g:`` attributes, with line numbers.

    Uses expat directly for line numbers; a DOCTYPE is refused, so entity expansion cannot blow up.
    """
    from xml.parsers import expat

    parser = expat.ParserCreate(namespace_separator=" ")
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    items: list[tuple[int, dict[str, Any]]] = []
    state: dict[str, Any] = {"item": None, "depth": 0, "item_depth": 0, "field": None, "buf": []}

    def local(name: str) -> tuple[str, str]:
        ns, _, tag = name.rpartition(" ")
        return ns, tag

    def refuse_doctype(*_args: Any) -> None:
        raise InputError(f"{where}, line {parser.CurrentLineNumber}: XML feeds with a DOCTYPE are refused.")

    def start(name: str, attrs: dict[str, str]) -> None:
        state["depth"] += 1
        ns, tag = local(name)
        if state["item"] is None:
            if tag in ("item", "entry") and ns in ("", ATOM_NS):
                state["item"] = {}
                state["item_line"] = parser.CurrentLineNumber
                state["item_depth"] = state["depth"]
            return
        if state["depth"] == state["item_depth"] + 1 and ns in ("", GOOGLE_NS, ATOM_NS):
            state["field"] = tag
            state["buf"] = []
            if ns == ATOM_NS and tag == "link" and attrs.get("href"):
                state["item"].setdefault("link", attrs["href"])
                state["field"] = None

    def end(name: str) -> None:
        item = state["item"]
        if item is not None:
            if state["depth"] == state["item_depth"]:
                items.append((state["item_line"], item))
                state["item"] = None
            elif state["depth"] == state["item_depth"] + 1 and state["field"]:
                attr = ALIASES.get(normalise_header(state["field"]))
                value = "".join(state["buf"]).strip()
                if attr == "additional_image_link":
                    if value:
                        item.setdefault(attr, []).append(value)
                elif attr and attr not in item:
                    item[attr] = value
                state["field"] = None
        state["depth"] -= 1

    def chars(data: str) -> None:
        if state["field"] is not None:
            state["buf"].append(data)

    parser.StartDoctypeDeclHandler = refuse_doctype
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = chars
    body = re.sub(r"^\s*<\?xml[^>]*\?>", "", text, count=1)  # already decoded: drop the declared encoding
    try:
        parser.Parse(body, True)
    except expat.ExpatError as exc:
        raise InputError(f"{where}, line {exc.lineno}: not well-formed XML ({expat.ErrorString(exc.code)}).") from None
    return items


class _NoNetwork(httpx.BaseTransport):
    """The transport of a local feed's client: it never makes a request."""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        raise httpx.UnsupportedProtocol("a local feed makes no HTTP requests")


class FeedSource(Source):
    """A product feed file (local ``path`` or remote ``url``)."""

    kind = "feed"
    description = "A CSV, TSV, JSON or Merchant Center (TSV / RSS XML) product file, local or by URL"

    settings_keys: ClassVar[Mapping[str, Setting] | None] = {
        "path": Setting("str", help="Local feed file (relative to the home or base_dir)."),
        "url": Setting("url", help="Remote feed address."),
        "format": Setting("str", help="Feed format (guessed from the name when unset).", choices=FORMATS),
        "strict": Setting("bool", False, "Refuse the whole file when a row is bad."),
        "page_size": Setting("int", PAGE_SIZE, "Rows stored per transaction.", min=1, max=100_000),
        "base_dir": Setting("str", help="Folder a relative `path` is read from."),
        "encoding": Setting("str", help="Text encoding when it is not UTF-8 (gbk, gb18030)."),
    }

    def __init__(self, name: str, settings: Mapping[str, Any], **kwargs: Any) -> None:
        self._offline_client: httpx.Client | None = None
        if not settings.get("url") and kwargs.get("client") is None:
            # A local file needs no network: skip building a real client (its TLS setup costs ~0.2 s).
            self._offline_client = kwargs["client"] = httpx.Client(transport=_NoNetwork())
        super().__init__(name, settings, **kwargs)
        path, url = self.settings.get("path"), self.settings.get("url")
        if not path and not url:
            raise ConfigError(f"Source `{name}` (feed) needs `path` (a local file) or `url`.",
                              hint=f"Set sources.{name}.path.")
        fmt = str(self.settings.get("format") or "").lower().strip()
        if fmt and fmt not in FORMAT_ALIASES:
            raise ConfigError(f"Source `{name}`: format {fmt!r} is not one of {', '.join(FORMATS)}.")
        self.format = FORMAT_ALIASES.get(fmt) if fmt else None
        self.strict = bool(self.settings.get("strict", False))
        self.page_size = int(self.settings.get("page_size", PAGE_SIZE))
        self.skipped: list[Skipped] = []
        self.total: int | None = None
        self.path: Path | None = None
        self.url: str | None = None
        if path:
            p = Path(str(path)).expanduser()
            if not p.is_absolute():
                p = Path(str(self.settings.get("base_dir") or ".")) / p
            self.path = p
        else:
            self.url = str(url)
        # Local image paths are read only from a local feed the user pointed at.
        self.local_images = self.path is not None

    def close(self) -> None:
        super().close()
        if self._offline_client is not None:
            self._offline_client.close()

    @property
    def where(self) -> str:
        return self.path.name if self.path is not None else (self.url or "")

    def _read(self) -> tuple[bytes, str | None]:
        if self.path is not None:
            try:
                return self.path.read_bytes(), None
            except FileNotFoundError:
                raise InputError(f"Source `{self.name}`: feed file {self.path} does not exist.") from None
            except OSError as exc:
                raise InputError(f"Source `{self.name}`: cannot read {self.path}: {exc.strerror}.") from None
        assert self.url is not None

        def check(response: Any) -> tuple[bytes, str | None]:
            if response.status_code >= 400:
                raise SourceError(self.name, f"feed {self.url} answered HTTP {response.status_code}.")
            return response.content, response.headers.get("content-type")

        return self.http.request("GET", self.url, check=check, what=f"GET {urlsplit(self.url).path or '/'}")

    def _format_for(self, text: str, content_type: str | None) -> str:
        if self.format:
            return self.format
        name = self.path.name if self.path is not None else urlsplit(self.url or "").path
        ext = Path(name).suffix.lower()
        if ext in EXTENSIONS:
            return EXTENSIONS[ext]
        if content_type:
            ct = content_type.lower()
            for key, fmt in (("json", "json"), ("xml", "xml"), ("csv", "csv"), ("tab-separated", "tsv")):
                if key in ct:
                    return fmt
        return sniff_format(text)

    def parse(self) -> tuple[str, FeedParser, str]:
        data, content_type = self._read()
        text = decode_bytes(data, self.where, self.settings.get("encoding"))
        fmt = self._format_for(text, content_type)
        currency = str(self.settings.get("currency") or "").strip().upper() or None
        ctx = _Context(where=self.where, currency=currency,
                       base_dir=self.path.parent.resolve() if self.path is not None else None,
                       base_url=self.url)
        return text, FeedParser(ctx), fmt

    def _products(self, text: str, parser: FeedParser, fmt: str, *, strict: bool) -> Iterator[Product]:
        for line, item in parser.parsed(text, fmt):
            if not isinstance(item, dict):
                yield item
                continue
            rec = item
            try:
                yield parser.product(line, rec)
            except BadRow as exc:
                where = f"{self.where}, line {line}" if line else self.where
                if strict:
                    raise InputError(f"{where}: {exc}. Nothing was imported (--strict).") from None
                raw_id = rec.get("id")
                native = raw_id.strip() or None if isinstance(raw_id, str) else None
                self.skipped.append(Skipped(where, str(exc), native))

    def iter_products(self, query: str | None = None, ids: list[str] | None = None,
                      limit: int | None = None) -> Iterator[list[Product]]:
        self.skipped = []
        self.total = None
        text, parser, fmt = self.parse()
        if self.strict:  # refuse the whole file before the first page is stored
            for _ in self._products(text, parser, fmt, strict=True):
                pass
            self.total = len(parser.ids)
            parser = FeedParser(parser.ctx)
        if self.total is None and fmt in ("csv", "tsv") and not (ids or query or limit):
            self.total = max(0, text.count("\n") - 1)  # an estimate for progress (quoted newlines)
        wanted = {i.split(":", 1)[1] if i.startswith(f"{self.name}:") else i for i in ids} if ids else None
        needle = query.casefold() if query else None
        page: list[Product] = []
        count = 0
        for product in self._products(text, parser, fmt, strict=False):
            if wanted is not None and product.native_id not in wanted:
                continue
            if needle is not None and needle not in product.title.casefold() and \
                    needle not in (product.brand or "").casefold():
                continue
            page.append(product)
            count += 1
            if len(page) >= self.page_size:
                yield page
                page = []
            if limit is not None and count >= limit:
                break
        if wanted is not None:  # a partial pull by id reports only the rows it asked for
            self.skipped = [s for s in self.skipped if s.native_id in wanted]
        if page:
            yield page

    def check(self) -> str:
        text, parser, fmt = self.parse()
        good = bad = 0
        for line, item in parser.parsed(text, fmt):
            if not isinstance(item, dict):
                good += 1
                continue
            try:
                parser.product(line, item)
                good += 1
            except BadRow:
                bad += 1
        where = str(self.path) if self.path is not None else self.url
        return f"{where}: {fmt.upper()}, {good} products" + (f", {bad} bad rows" if bad else "")
