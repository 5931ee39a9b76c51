"""Feed text to records and products: CSV/TSV rows, JSON items, RSS items; one row at a time."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from operator import itemgetter
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

from ...core.limits import MAX_JSON_DEPTH
from ...core.money import Money
from ...errors import ConfigError, InputError
from ..base import Product
from .fields import (
    _COUPON_RULE,
    _HAS_SCHEME,
    ALIASES,
    AVAILABLE,
    EXTRA_ATTRS,
    BadRow,
    normalise_header,
    parse_commission,
    parse_price,
    web_link,
)
from .rss import parse_rss_items


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
        from .fastpath import row_builder

        return row_builder(self, index)

    def _json(self, text: str) -> Iterator[tuple[int, dict[str, Any]]]:
        try:
            data = json.loads(text, parse_float=Decimal)
        except json.JSONDecodeError as exc:
            raise InputError(f"{self.ctx.where}, line {exc.lineno}: not valid JSON ({exc.msg}).") from None
        except RecursionError:  # the C scanner stops at the interpreter's depth limit (~1000)
            raise InputError(f"{self.ctx.where}: JSON nested too deeply to be a product feed "
                             f"(at most {MAX_JSON_DEPTH} levels).") from None
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
                if isinstance(value, dict | list) and _depth(value) > MAX_JSON_DEPTH:
                    rec = {"__bad__": f"{key} is nested more than {MAX_JSON_DEPTH} levels deep"}
                    break
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
        coupon = threshold = None
        extra: dict[str, Any] = {}
        raw_coupon = get("coupon")
        if raw_coupon:
            threshold, coupon = self._coupon(raw_coupon, base.currency)
        # price is the selling price (sale_price, else price) and price the list price when a sale
        # price is given; what the buyer pays is derived from them and the coupon by the store.
        original = list_price if sale is not None else None
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
        link = web_link(link, "link")
        coupon_link = web_link(get("coupon_link") or None, "coupon_link")
        for attr in self.extra_attrs:
            value = get(attr)
            if value:
                extra[attr] = value
        self.ids[native_id] = line
        return Product(native_id, title, base.currency, base, original, coupon, coupon_link, rate,
                       link, images, available, get("description") or None, get("brand") or None, extra,
                       threshold)

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


def _depth(value: Any) -> int:
    """Nesting depth of a parsed JSON value, without recursion (stops counting past MAX_JSON_DEPTH)."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > deepest:
            deepest = depth
            if deepest > MAX_JSON_DEPTH:
                break
        children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return deepest


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
