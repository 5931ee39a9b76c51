"""Feed columns and their values: header aliases, availability words, prices and commission rates."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from ...core.limits import MAX_MINOR
from ...core.money import Money, exponent, parse_money
from ...errors import InputError

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
    "coupon_end": "coupon_end", "coupon_end_time": "coupon_end", "coupon_expires": "coupon_end",
    "券结束时间": "coupon_end", "优惠券结束时间": "coupon_end", "券截止": "coupon_end",
    "sale_price_effective_date": "sale_price_effective_date",
    "tpwd": "tpwd", "淘口令": "tpwd", "口令": "tpwd", "taobao_password": "tpwd",
    "wxa_path": "wxa_path", "miniprogram_path": "wxa_path", "mini_program_path": "wxa_path",
    "小程序路径": "wxa_path", "wxa_appid": "wxa_appid", "小程序appid": "wxa_appid",
}
# kept in the product's extra as written; `sharekit link check` reads coupon_end / sale_price_effective_date;
# tpwd (淘口令), wxa_path / wxa_appid (a WeChat mini-program page) reach the click page and share texts
EXTRA_ATTRS = ("gtin", "mpn", "condition", "product_type", "google_product_category", "item_group_id", "shop",
               "coupon_end", "sale_price_effective_date", "tpwd", "wxa_path", "wxa_appid")
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


def is_web_url(text: str | None) -> bool:
    """True for an ``http://`` or ``https://`` address: the only links a short link may send a buyer to
    (never ``javascript:``, ``data:``, ``file:`` ...)."""
    return bool(text) and str(text).lower().startswith(("http://", "https://"))


def web_link(text: str | None, column: str) -> str | None:
    """``text`` if it is a web address (or empty: None); BadRow naming ``column`` otherwise."""
    if not text:
        return None
    if not is_web_url(text):
        raise BadRow(f"{column} {text[:60]!r} is not an http(s) address")
    return text


def normalise_header(name: str) -> str:
    key = name.strip().lstrip("\ufeff").strip().lower()
    if key.startswith("g:"):
        key = key[2:]
    return key.replace(" ", "_").replace("-", "_")

_known_codes: set[str] = set()


def _money(minor: int, code: str) -> Money:
    """Money without re-validating a currency code already seen (the import's hot path)."""
    if code not in _known_codes:
        try:
            Money(0, code)
        except InputError as exc:
            raise BadRow(str(exc).rstrip(".")) from None
        _known_codes.add(code)
    if minor > MAX_MINOR:
        raise BadRow("too large an amount (more than 10^12 minor units)")
    return Money.trusted(minor, code)


_scales: dict[str, tuple[int, int]] = {}
_MAX_WHOLE_DIGITS = 13   # longer whole parts go to parse_money, which refuses them over MAX_MINOR


def _plain_price(text: str, exp: int) -> int | None:
    """Minor units of a plain ASCII decimal (``19.90``, ``15``) with at most ``exp`` decimals, else None."""
    whole, _, frac = text.partition(".")
    if not (whole.isascii() and whole.isdigit()) or len(whole) > _MAX_WHOLE_DIGITS:
        return None   # the general path refuses amounts over MAX_MINOR
    if not frac:
        minor = None if _ else int(whole) * 10**exp
    elif len(frac) > exp or not (frac.isascii() and frac.isdigit()):
        return None
    else:
        minor = int(whole + frac) * 10 ** (exp - len(frac))
    return minor if minor is None or minor <= MAX_MINOR else None  # the general path refuses it


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
        if whole.isdecimal() and (not frac or frac.isdecimal()) and len(frac) <= scale[0] \
                and len(whole) <= _MAX_WHOLE_DIGITS:  # int() reads these
            exp = scale[0]
            minor = int(whole) * scale[1] + (int(frac) * 10 ** (exp - len(frac)) if frac else 0)
            return _money(minor, currency)
    m = _FAST_PRICE.fullmatch(s)
    if m:
        code = m.group(3) or currency
        if code:
            exp = exponent(code)
            frac = m.group(2) or ""
            if len(frac) <= exp and len(m.group(1)) <= _MAX_WHOLE_DIGITS:
                minor = int(m.group(1)) * 10**exp + (int(frac.ljust(exp, "0")) if exp else 0)
                return _money(minor, code)
    try:
        return parse_money(s, currency, exact=True)   # 1.999 CNY is a bad row, not rounded
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
