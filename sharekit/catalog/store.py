"""Store pages of products: insert, update, price history, mark unlisted, image paths.

A price-history row is written only when a price changes; a content hash tells unchanged rows
apart cheaply, so an unchanged re-pull writes nothing per row.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from json.encoder import encode_basestring  # type: ignore[attr-defined]
from typing import TYPE_CHECKING, Any

from ..core.money import Money, rate_str
from ..core.pricing import final_of
from ..core.sanitize import clean_text
from ..core.timeutil import to_utc_iso, utcnow
from ..store.db import transaction

if TYPE_CHECKING:

    from ..sources.base import Product

from ..sources.base import Product

_CHUNK = 500  # ids per IN (...) query


@dataclass
class UpsertResult:
    """What storing one page did."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    price_changes: int = 0
    duplicates: int = 0
    available: int = 0        # products of the page (duplicates aside) stored as available
    # (product id, first image URL) of products whose image is missing from the cache
    image_jobs: list[tuple[str, str]] = field(default_factory=list)

# store ---------------------------------------------------------------------------------------
# price_minor is the final price (what the buyer pays), derived with core.pricing from the
# selling price (sale_price_minor), the coupon and its threshold; original_price_minor the list price.
_INSERT = (
    "INSERT INTO products (id, source, native_id, title, description, brand, currency, price_minor,"
    " original_price_minor, coupon_minor, coupon_url, commission_rate, url, image_urls, available, extra,"
    " sale_price_minor, coupon_threshold_minor, coupon_usable,"
    " content_hash, first_seen_at, updated_at, seen_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
)
_UPDATE = (
    "UPDATE products SET title=?, description=?, brand=?, currency=?, price_minor=?, original_price_minor=?,"
    " coupon_minor=?, coupon_url=?, commission_rate=?, url=?, image_urls=?, available=?, extra=?,"
    " sale_price_minor=?, coupon_threshold_minor=?, coupon_usable=?,"
    " content_hash=?, updated_at=?, seen_at=? WHERE id=?"
)
_HISTORY = (
    "INSERT INTO price_history (product_id, currency, price_minor, original_price_minor, coupon_minor,"
    " sale_price_minor, coupon_threshold_minor, recorded_at) VALUES (?,?,?,?,?,?,?,?)"
)


# The import's hot path: json.dumps builds an encoder per call, so strings are encoded directly.
_encode_extra = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), sort_keys=True, default=str).encode


def _json_list(urls: list[str]) -> str:
    try:  # encode_basestring raises TypeError on anything but str
        return "[" + ",".join(map(encode_basestring, urls)) + "]"
    except TypeError:
        return _encode_extra(urls)


def _json_extra(extra: dict[str, Any]) -> str:
    try:
        if len(extra) == 1:
            ((key, value),) = extra.items()
            return "{" + encode_basestring(key) + ":" + encode_basestring(value) + "}"
        return "{" + ",".join([encode_basestring(k) + ":" + encode_basestring(v)
                               for k, v in sorted(extra.items())]) + "}"
    except TypeError:
        return _encode_extra(extra)


@lru_cache(maxsize=4096)
def _rate_text(rate: Decimal) -> str | None:
    return rate_str(rate)


# The 16 stored content fields, unit-separated. Each position has a fixed type (text or integer,
# or NULL), so %s is unambiguous enough and much cheaper than repr on CJK text.
_HASH_FORMAT = "\x1f".join(["%s"] * 16)


_blake2b = hashlib.blake2b


def _minor(value: Money | None, currency: str) -> int | None:
    """``value`` in minor units when it is in ``currency``; a figure in another currency is unknown."""
    return value.minor if value is not None and value.currency == currency else None


def _row_values(p: Product) -> tuple[Any, ...]:
    """(title, description, brand, currency, final price, list price, coupon, coupon_url, rate, url,
    image_urls JSON, available, extra JSON, selling price, threshold, coupon usable, content hash)."""
    rate = p.commission_rate
    if rate is None:
        rate_text = None
    elif isinstance(rate, Decimal):
        rate_text = _rate_text(rate)
    else:
        rate_text = str(rate)
    currency = p.currency
    selling = _minor(p.price, currency)
    original = _minor(p.original_price, currency)
    if selling is None:
        selling = original
    coupon = _minor(p.coupon, currency)
    if coupon is not None and coupon <= 0:
        coupon = None
    threshold = _minor(p.coupon_threshold, currency) if coupon is not None else None
    if threshold is not None and threshold <= 0:
        threshold = None
    usable, final = final_of(selling, coupon, threshold)
    urls = p.image_urls
    if not urls:
        urls_json = "[]"
    elif len(urls) == 1 and type(urls[0]) is str:  # the usual single image, as _json_list writes it
        urls_json = "[" + encode_basestring(urls[0]) + "]"
    else:
        urls_json = _json_list(urls)
    extra = p.extra
    if not extra:
        extra_json = "{}"
    elif len(extra) == 1:  # as _json_extra writes it
        ((key, value),) = extra.items()
        extra_json = ("{" + encode_basestring(key) + ":" + encode_basestring(value) + "}"
                      if type(key) is str and type(value) is str else _json_extra(extra))
    else:
        extra_json = _json_extra(extra)
    title, description, brand = p.title, p.description, p.brand
    # control characters never reach the store (terminal escapes in titles, share texts)
    if title is not None and not title.isprintable():
        title = clean_text(title)
    if description is not None and not description.isprintable():
        description = clean_text(description, multiline=True)
    if brand is not None and not brand.isprintable():
        brand = clean_text(brand)
    values = (title, description, brand, currency, final, original, coupon,
              p.coupon_url, rate_text, p.url, urls_json,
              1 if p.available else 0,
              extra_json, selling, threshold, None if usable is None else int(usable))
    return (*values, _blake2b((_HASH_FORMAT % values).encode(), digest_size=16).hexdigest())


def _existing(conn: sqlite3.Connection, ids: Sequence[str]) -> dict[str, tuple[Any, ...]]:
    found: dict[str, tuple[Any, ...]] = {}
    cursor = conn.cursor()
    cursor.row_factory = None  # plain tuples: no sqlite3.Row per stored product
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start:start + _CHUNK]
        marks = ",".join("?" * len(chunk))
        for row in cursor.execute(
            "SELECT id, content_hash, currency, price_minor, original_price_minor, coupon_minor, image_urls,"
            " image_path, first_seen_at, sale_price_minor, coupon_threshold_minor"
            f" FROM products WHERE id IN ({marks})", chunk,
        ):
            found[row[0]] = row
    return found


def upsert_products(conn: sqlite3.Connection, source_name: str, products: Iterable[Product], *,
                    now: str | None = None, seen: set[str] | None = None,
                    want_images: bool = True, image_ok: Callable[[str | None], bool] | None = None,
                    assume_new: bool = False) -> UpsertResult:
    """Store ``products`` of ``source_name`` in ONE transaction and say what changed.

    New products are inserted; changed ones are updated, with a price-history row only when
    a figure of the price story (selling, list or final price, coupon, threshold) or the currency
    changed (see :func:`price_history`); unchanged ones
    (same content hash) are not written at all (``seen_at`` is the last pull that stored the
    row). Ids already in ``seen`` (earlier pages of the same pull) are counted as duplicates
    and ignored; ``seen`` is updated. With ``want_images``,
    products whose first image is not cached yet (or changed, or whose file ``image_ok(path)``
    says is gone) are returned in ``image_jobs``. ``assume_new`` skips looking up stored rows
    (the caller knows the source had none when the pull began).
    """
    now = now or to_utc_iso(utcnow())
    seen = seen if seen is not None else set()
    result = UpsertResult()
    page: list[tuple[str, Product]] = []
    prefix = f"{source_name}:"
    for product in products:
        pid = prefix + product.native_id
        if pid in seen:
            result.duplicates += 1
            continue
        seen.add(pid)
        page.append((pid, product))
        if product.available:
            result.available += 1
    if not page:
        return result
    try:
        return _store_page(conn, source_name, page, result, now, want_images, image_ok, assume_new)
    except sqlite3.IntegrityError:
        if not assume_new:
            raise
        # Another process stored some of these meanwhile: the page was rolled back; look them up.
        fresh = UpsertResult(duplicates=result.duplicates, available=result.available)
        return _store_page(conn, source_name, page, fresh, now, want_images, image_ok, False)


def _store_page(conn: sqlite3.Connection, source_name: str, page: list[tuple[str, Product]], result: UpsertResult,
                now: str, want_images: bool, image_ok: Callable[[str | None], bool] | None,
                assume_new: bool) -> UpsertResult:
    inserts: list[tuple[Any, ...]] = []
    updates: list[tuple[Any, ...]] = []
    history: list[tuple[Any, ...]] = []
    repriced: list[tuple[str, tuple[Any, ...]]] = []   # (id, stored row) of products whose price changed
    with transaction(conn):
        existing = {} if assume_new else _existing(conn, [pid for pid, _ in page])
        get_old = existing.get
        for pid, product in page:
            values = _row_values(product)
            old = get_old(pid)
            if old is None:
                inserts.append((pid, source_name, product.native_id, *values, now, now, now))
                if want_images and product.image_urls:
                    result.image_jobs.append((pid, product.image_urls[0]))
                continue
            if old[1] is not None and old[1] == values[-1]:
                result.unchanged += 1   # not rewritten: an unchanged re-pull writes nothing per row
            else:
                result.updated += 1
                updates.append((*values, now, now, pid))
                if (old[2], old[3], old[4], old[5], old[9], old[10]) != (*values[3:7], *values[13:15]):
                    result.price_changes += 1
                    repriced.append((pid, old))
                    history.append((pid, *values[3:7], *values[13:15], now))
            first_image = product.image_urls[0] if product.image_urls else None
            if first_image and want_images:
                if old[6] == values[10]:
                    same_image = True
                else:
                    old_urls = json.loads(old[6]) if old[6] and old[6] != "[]" else []
                    same_image = bool(old_urls) and old_urls[0] == first_image
                if not (same_image and old[7] and (image_ok is None or image_ok(old[7]))):
                    result.image_jobs.append((pid, first_image))
        if inserts:
            result.added += len(inserts)
            conn.executemany(_INSERT, inserts)
        if updates:
            conn.executemany(_UPDATE, updates)
        if history:
            # A product's first price lives in its row until the price first changes: then the
            # old price goes into the history too, dated when the product was first seen.
            known = _with_history(conn, [pid for pid, _ in repriced])
            firsts = [(pid, *old[2:6], old[9], old[10], old[8]) for pid, old in repriced if pid not in known]
            conn.executemany(_HISTORY, firsts + history)
    return result


def _with_history(conn: sqlite3.Connection, ids: Sequence[str]) -> set[str]:
    """Those of ``ids`` that have price-history rows."""
    found: set[str] = set()
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start:start + _CHUNK]
        marks = ",".join("?" * len(chunk))
        found.update(r[0] for r in conn.execute(
            f"SELECT DISTINCT product_id FROM price_history WHERE product_id IN ({marks})", chunk))
    return found


def mark_unlisted(conn: sqlite3.Connection, source_name: str, listed: set[str], *, now: str | None = None,
                  listed_available: int | None = None) -> int:
    """After a full listing: mark ``source_name``'s available products not in ``listed`` unavailable.

    ``listed_available`` is how many of the listed products the pull just stored as available
    (all stored, so each is an available row): when the source has exactly that many available
    rows, they are those products, nothing is unlisted, and the rows are not read one by one.
    """
    now = now or to_utc_iso(utcnow())
    with transaction(conn):
        if listed_available is not None and conn.execute(
                "SELECT count(*) FROM products WHERE source = ? AND available = 1",
                (source_name,)).fetchone()[0] == listed_available:
            return 0
        cursor = conn.cursor()
        cursor.row_factory = None  # plain tuples
        gone = [(now, row[0]) for row in cursor.execute(
            "SELECT id FROM products WHERE source = ? AND available = 1", (source_name,)) if row[0] not in listed]
        if gone:
            conn.executemany("UPDATE products SET available = 0, content_hash = NULL, updated_at = ? WHERE id = ?",
                             gone)
    return len(gone)


def set_image_paths(conn: sqlite3.Connection, paths: Sequence[tuple[str, str]]) -> None:
    """Store cached image paths: (relative path, product id) pairs, one transaction."""
    if paths:
        with transaction(conn):
            conn.executemany("UPDATE products SET image_path = ? WHERE id = ?", paths)
