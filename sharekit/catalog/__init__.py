"""The product catalog: pull a source into the store, list and show products.

``pull(ws, name)`` builds the configured source, stores each page it yields in one
transaction (:func:`upsert_products`), caches product images, and after a full listing
marks the products the supplier no longer lists as unavailable (never deleting them: links
and orders point at them). A price-history row is written only when a price changes; a
content hash tells unchanged rows apart cheaply.

It works for any Source kind. A source may expose ``skipped`` (a list of :class:`Skipped`)
for input it could not turn into products, ``total`` (the expected number of products, for
progress) and ``local_images = True`` when its image links may be local files.
"""

from __future__ import annotations

import gc
import hashlib
import json
import sqlite3
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from json.encoder import encode_basestring  # type: ignore[attr-defined]
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..core.money import rate_str
from ..core.redact import redact_url
from ..core.timeutil import local_iso, to_utc_iso, utcnow
from ..errors import NotFoundError, SharekitError
from ..store.db import transaction

if TYPE_CHECKING:
    import httpx

    from ..sources.base import Product, Source
    from ..store.workspace import Workspace
    from .images import ImageBatch

_CHUNK = 500  # ids per IN (...) query
PULL_CACHE_KIB = -65536  # SQLite page cache during a pull: up to 64 MB (negative = KiB)
PULL_CHECKPOINT_PAGES = 16384  # WAL pages between checkpoints during a pull (~64 MB)
PULL_GC_THRESHOLD = 50_000  # gen-0 allocations between cyclic GC runs while products are stored
IMAGE_PATH_BATCH = 200  # cached image paths stored per transaction while downloads run


@dataclass(frozen=True)
class Skipped:
    """Input a source could not turn into a product: where (file and line, or item) and why."""

    where: str
    reason: str
    native_id: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"where": self.where, "reason": self.reason, "id": self.native_id}


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


@dataclass(frozen=True)
class PullProgress:
    """Handed to the progress callable after every page and every image."""

    phase: str                 # "products" | "images"
    done: int
    total: int | None
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0


@dataclass
class PullSummary:
    """The result of one pull."""

    source: str
    kind: str
    full_listing: bool
    fetched: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    unavailable: int = 0
    skipped: int = 0
    price_changes: int = 0
    pages: int = 0
    images_downloaded: int = 0
    images_reused: int = 0
    images_failed: int = 0
    images_enabled: bool = True
    skipped_rows: list[Skipped] = field(default_factory=list)
    image_problems: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source, "kind": self.kind, "full_listing": self.full_listing,
            "fetched": self.fetched, "added": self.added, "updated": self.updated, "unchanged": self.unchanged,
            "unavailable": self.unavailable, "skipped": self.skipped, "price_changes": self.price_changes,
            "pages": self.pages,
            "images": {"enabled": self.images_enabled, "downloaded": self.images_downloaded,
                       "reused": self.images_reused, "failed": self.images_failed},
            "problems": [s.to_json() for s in self.skipped_rows] + self.image_problems,
            "seconds": round(self.seconds, 3),
        }


# store ---------------------------------------------------------------------------------------
_INSERT = (
    "INSERT INTO products (id, source, native_id, title, description, brand, currency, price_minor,"
    " original_price_minor, coupon_minor, coupon_url, commission_rate, url, image_urls, available, extra,"
    " content_hash, first_seen_at, updated_at, seen_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
)
_UPDATE = (
    "UPDATE products SET title=?, description=?, brand=?, currency=?, price_minor=?, original_price_minor=?,"
    " coupon_minor=?, coupon_url=?, commission_rate=?, url=?, image_urls=?, available=?, extra=?,"
    " content_hash=?, updated_at=?, seen_at=? WHERE id=?"
)
_HISTORY = (
    "INSERT INTO price_history (product_id, currency, price_minor, original_price_minor, coupon_minor, recorded_at)"
    " VALUES (?,?,?,?,?,?)"
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


# The 13 stored content fields, unit-separated. Each position has a fixed type (text or integer,
# or NULL), so %s is unambiguous enough and much cheaper than repr on CJK text.
_HASH_FORMAT = "\x1f".join(["%s"] * 13)


_blake2b = hashlib.blake2b


def _row_values(p: Product) -> tuple[Any, ...]:
    """(title, description, brand, currency, price, original, coupon, coupon_url, rate, url,
    image_urls JSON, available, extra JSON, content hash)."""
    rate = p.commission_rate
    if rate is None:
        rate_text = None
    elif isinstance(rate, Decimal):
        rate_text = _rate_text(rate)
    else:
        rate_text = str(rate)
    price, original, coupon = p.price, p.original_price, p.coupon
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
    values = (p.title, p.description, p.brand, p.currency,
              None if price is None else price.minor,
              None if original is None else original.minor,
              None if coupon is None else coupon.minor,
              p.coupon_url, rate_text, p.url, urls_json,
              1 if p.available else 0,
              extra_json)
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
            f" image_path, first_seen_at FROM products WHERE id IN ({marks})", chunk,
        ):
            found[row[0]] = row
    return found


def upsert_products(conn: sqlite3.Connection, source_name: str, products: Iterable[Product], *,
                    now: str | None = None, seen: set[str] | None = None,
                    want_images: bool = True, image_ok: Callable[[str | None], bool] | None = None,
                    assume_new: bool = False) -> UpsertResult:
    """Store ``products`` of ``source_name`` in ONE transaction and say what changed.

    New products are inserted; changed ones are updated, with a price-history row only when
    price, original price, coupon or currency changed (see :func:`price_history`); unchanged ones
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
                if (old[2], old[3], old[4], old[5]) != values[3:7]:
                    result.price_changes += 1
                    repriced.append((pid, old))
                    history.append((pid, *values[3:7], now))
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
            firsts = [(pid, *old[2:6], old[8]) for pid, old in repriced if pid not in known]
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


# pull ----------------------------------------------------------------------------------------
def source_settings(ws: Workspace, name: str) -> dict[str, Any]:
    """A source's settings with the workspace defaults a kind may need (currency, base_dir)."""
    settings = ws.config.source(name)
    settings.setdefault("currency", ws.config.currency)
    settings.setdefault("base_dir", str(ws.home))
    return settings


def open_source(ws: Workspace, name: str, *, client: httpx.Client | None = None, sleep: Any = None,
                strict: bool = False) -> Source:
    """Build the configured source ``name`` (the registry finds its kind)."""
    from ..sources import build_source

    settings = source_settings(ws, name)
    if strict:
        settings["strict"] = True
    kwargs: dict[str, Any] = {}
    if client is not None:
        kwargs["client"] = client
    if sleep is not None:
        kwargs["sleep"] = sleep
    return build_source(name, settings, **kwargs)


def _split_ids(ids: str | Sequence[str] | None) -> list[str] | None:
    if ids is None:
        return None
    items = ids.split(",") if isinstance(ids, str) else list(ids)
    cleaned = [i.strip() for i in items if i and i.strip()]
    return cleaned or None


def pull(ws: Workspace, source_name: str, query: str | None = None, ids: str | Sequence[str] | None = None,
         limit: int | None = None, images: bool = True, strict: bool = False,
         progress: Callable[[PullProgress], None] | None = None, *, client: httpx.Client | None = None,
         sleep: Any = None, image_client: httpx.Client | None = None) -> PullSummary:
    """Pull products from the configured source into the store; see the module docstring.

    A full listing (no query, ids or limit) marks the source's products that were not listed
    unavailable. ``strict`` asks the source to refuse bad input instead of skipping it.
    Raises SourceError / InputError / ConfigError; images never fail a pull.
    """
    started = time.monotonic()
    id_list = _split_ids(ids)
    if limit is not None and limit < 1:
        raise SharekitError("--limit must be at least 1.")
    conn = ws.db
    now = to_utc_iso(utcnow())
    seen: set[str] = set()
    listed_available = 0   # products this pull stored as available (for mark_unlisted)
    jobs: dict[str, list[str]] = {}
    cache_root = ws.paths.cache

    def image_ok(relative: str | None) -> bool:
        return bool(relative) and (cache_root / str(relative)).is_file()

    # A source with nothing stored yet (a first import) needs no look-ups of stored rows.
    empty = conn.execute("SELECT 1 FROM products WHERE source = ? LIMIT 1", (source_name,)).fetchone() is None
    # A big listing touches every index page: let SQLite keep them in memory for this pull, and
    # checkpoint the WAL (an fsync) every ~64 MB instead of every 4 MB; one checkpoint at the end.
    cache_size = conn.execute("PRAGMA cache_size").fetchone()[0]
    autocheckpoint = conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0]
    conn.execute(f"PRAGMA cache_size = {PULL_CACHE_KIB}")
    conn.execute(f"PRAGMA wal_autocheckpoint = {PULL_CHECKPOINT_PAGES}")
    # Each row allocates a handful of short-lived objects (product, prices, lists, row tuples):
    # with the default threshold the cyclic GC runs ~7 times per 1,000-row page for nothing.
    gc_thresholds = gc.get_threshold()
    gc.set_threshold(max(gc_thresholds[0], PULL_GC_THRESHOLD), *gc_thresholds[1:])
    try:
        with open_source(ws, source_name, client=client, sleep=sleep, strict=strict) as source:
            full = query is None and id_list is None and limit is None
            summary = PullSummary(source=source_name, kind=source.kind, full_listing=full, images_enabled=images)
            for page in source.iter_products(query=query, ids=id_list, limit=limit):
                result = upsert_products(conn, source_name, page, now=now, seen=seen, want_images=images,
                                         image_ok=image_ok, assume_new=empty)
                summary.pages += 1
                summary.fetched += len(page)
                summary.added += result.added
                summary.updated += result.updated
                summary.unchanged += result.unchanged
                summary.price_changes += result.price_changes
                listed_available += result.available
                for pid, url in result.image_jobs:
                    jobs.setdefault(url, []).append(pid)
                if progress is not None:
                    total = getattr(source, "total", None)
                    progress(PullProgress("products", summary.fetched, total if isinstance(total, int) else None,
                                          summary.added, summary.updated, summary.unchanged,
                                          len(getattr(source, "skipped", ()) or ())))
            skipped: list[Skipped] = list(getattr(source, "skipped", ()) or ())
            if progress is not None:  # the listing is complete: its total is now known exactly
                progress(PullProgress("products", summary.fetched, summary.fetched, summary.added, summary.updated,
                                      summary.unchanged, len(skipped)))
            summary.skipped_rows = skipped
            summary.skipped = len(skipped)
            if full:
                # Rows skipped for bad data still exist upstream: do not call them gone.
                listed = seen | {f"{source_name}:{s.native_id}" for s in skipped if s.native_id}
                summary.unavailable = mark_unlisted(conn, source_name, listed, now=now,
                                                    listed_available=listed_available)
            allow_files = bool(getattr(source, "local_images", False))
    finally:
        gc.set_threshold(*gc_thresholds)
        conn.execute(f"PRAGMA cache_size = {int(cache_size)}")
        conn.execute(f"PRAGMA wal_autocheckpoint = {int(autocheckpoint)}")
        if not conn.in_transaction:
            conn.execute("PRAGMA wal_checkpoint(PASSIVE)")  # never waits for readers (the click server)
    if images and jobs:
        batch = _cache_images(ws, jobs, allow_files, progress, image_client)
        summary.images_downloaded = batch.downloaded
        summary.images_reused = batch.reused
        summary.images_failed = len(batch.problems)
        for problem in batch.problems:
            products = jobs.get(problem.url, [])
            where = ", ".join(products[:3]) + (f" and {len(products) - 3} more" if len(products) > 3 else "")
            summary.image_problems.append({"where": where, "reason": f"image: {problem.reason}",
                                           "id": products[0] if products else None, "url": problem.url})
    summary.seconds = time.monotonic() - started
    with transaction(conn):
        conn.execute(
            "INSERT INTO catalog_pulls (source, started_at, finished_at, full_listing, fetched, added, updated,"
            " unchanged, unavailable, skipped, images_failed) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            (source_name, now, to_utc_iso(utcnow()), int(full), summary.fetched, summary.added, summary.updated,
             summary.unchanged, summary.unavailable, summary.skipped, summary.images_failed))
    return summary


def _cache_images(ws: Workspace, jobs: dict[str, list[str]], allow_files: bool,
                  progress: Callable[[PullProgress], None] | None, client: httpx.Client | None) -> ImageBatch:
    from .images import CachedImage, ImageCache, image_settings

    def step(done: int, total: int) -> None:
        if progress is not None:
            progress(PullProgress("images", done, total))

    pending: list[tuple[str, str]] = []

    def cached(image: CachedImage) -> None:  # store paths as they arrive: an interrupted run keeps them
        pending.extend((image.path, pid) for pid in jobs[image.url])
        if len(pending) >= IMAGE_PATH_BATCH:
            set_image_paths(ws.db, pending)
            pending.clear()

    with ImageCache(ws.paths.cache, client=client, allow_files=allow_files, **image_settings(ws.config)) as cache:
        try:
            batch = cache.fetch_many(list(jobs), progress=step, on_cached=cached)
        finally:
            set_image_paths(ws.db, pending)
    return batch


# sources: list and check ---------------------------------------------------------------------
@dataclass(frozen=True)
class ConfiguredSource:
    name: str
    kind: str
    location: str              # store / endpoint / path / url, whichever the kind uses
    installed: bool            # the kind is known to this installation
    products: int
    available: int
    last_pull: str | None      # when the last pull finished (local ISO)

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "kind": self.kind, "location": self.location, "installed": self.installed,
                "products": self.products, "available": self.available, "last_pull": self.last_pull}


@dataclass(frozen=True)
class InstalledKind:
    name: str
    target: str
    builtin: bool
    importable: bool

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "target": self.target, "builtin": self.builtin, "importable": self.importable}


@dataclass(frozen=True)
class SourcesReport:
    sources: list[ConfiguredSource]
    kinds: list[InstalledKind]

    def to_json(self) -> dict[str, Any]:
        return {"sources": [s.to_json() for s in self.sources], "kinds": [k.to_json() for k in self.kinds]}


def _importable(target: str) -> bool:
    from importlib.util import find_spec

    module = target.partition(":")[0]
    try:
        return find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def list_sources(ws: Workspace) -> SourcesReport:
    """The configured sources (with product counts) and every installed kind."""
    from ..sources import available_kinds

    kinds = available_kinds()
    counts: dict[str, tuple[int, int, str | None]] = {}
    if ws.paths.db.exists():
        for row in ws.db.execute(
            "SELECT source, count(*), sum(available), max(seen_at) FROM products GROUP BY source"
        ):
            counts[row[0]] = (row[1], row[2] or 0, row[3])
        for row in ws.db.execute("SELECT source, max(finished_at) FROM catalog_pulls GROUP BY source"):
            total, available, _seen = counts.get(row[0], (0, 0, None))
            counts[row[0]] = (total, available, row[1])
    configured: list[ConfiguredSource] = []
    raw_sources = ws.config.data.get("sources") or {}
    for name in ws.config.source_names():
        settings = raw_sources.get(name) or {}
        kind = str(settings.get("kind", "")) if isinstance(settings, dict) else ""
        location = ""
        if isinstance(settings, dict):
            for key in ("endpoint", "store", "path", "url"):
                if settings.get(key):
                    location = redact_url(str(settings[key]))
                    break
        total, available, last = counts.get(name, (0, 0, None))
        configured.append(ConfiguredSource(name, kind or "?", location, kind in kinds, total, available,
                                           local_iso(last, ws.config.timezone) if last else None))
    installed = [InstalledKind(k.name, k.target, k.builtin, _importable(k.target))
                 for k in sorted(kinds.values(), key=lambda k: (not k.builtin, k.name))]
    return SourcesReport(configured, installed)


@dataclass(frozen=True)
class SourceCheck:
    source: str
    kind: str
    ok: bool
    message: str
    seconds: float

    def to_json(self) -> dict[str, Any]:
        return {"source": self.source, "kind": self.kind, "ok": self.ok, "message": self.message,
                "seconds": round(self.seconds, 3)}


def check_source(ws: Workspace, name: str, *, client: httpx.Client | None = None,
                 sleep: Any = None) -> SourceCheck:
    """One cheap call to the source: ok with what worked, or not ok with the one-line error.

    A source that is not configured or whose kind is unknown raises (that is not a check result).
    """
    from ..errors import InputError, SourceError

    started = time.monotonic()
    with open_source(ws, name, client=client, sleep=sleep) as source:
        try:
            message = source.check()
            ok = True
        except (SourceError, InputError) as exc:
            message, ok = str(exc), False
    return SourceCheck(name, source.kind, ok, message, time.monotonic() - started)


# products: list and show ---------------------------------------------------------------------
def _money(minor: int | None, currency: str) -> dict[str, Any] | None:
    return None if minor is None else {"minor": minor, "currency": currency}


def product_json(row: sqlite3.Row, tz: str) -> dict[str, Any]:
    """A stored product in DESIGN.md's ``products list --json`` shape."""
    urls = json.loads(row["image_urls"] or "[]")
    currency = row["currency"]
    return {
        "id": row["id"],
        "source": row["source"],
        "title": row["title"],
        "price": _money(row["price_minor"], currency),
        "original_price": _money(row["original_price_minor"], currency),
        "coupon": _money(row["coupon_minor"], currency),
        "commission_rate": row["commission_rate"],
        "url": row["url"],
        "image_url": urls[0] if urls else None,
        "available": bool(row["available"]),
        "updated_at": local_iso(row["updated_at"], tz),
    }


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def list_products(conn: sqlite3.Connection, *, source: str | None = None, search: str | None = None,
                  available: bool | None = None, limit: int | None = None) -> list[sqlite3.Row]:
    """Stored products, newest change first; ``search`` matches title, brand or id."""
    where: list[str] = []
    args: list[Any] = []
    if source:
        where.append("source = ?")
        args.append(source)
    if search:
        where.append("(title LIKE ? ESCAPE '\\' OR brand LIKE ? ESCAPE '\\' OR id LIKE ? ESCAPE '\\')")
        args += [_like(search)] * 3
    if available is not None:
        where.append("available = ?")
        args.append(1 if available else 0)
    sql = "SELECT * FROM products"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY updated_at DESC, id"
    if limit is not None:
        sql += " LIMIT ?"
        args.append(int(limit))
    return list(conn.execute(sql, args))


def count_products(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT count(*) FROM products").fetchone()[0])


def find_product(conn: sqlite3.Connection, product_id: str) -> sqlite3.Row:
    """The product ``SOURCE:NATIVE_ID``, or a bare native id that matches exactly one product."""
    row = conn.execute("SELECT * FROM products WHERE id = ?", (product_id,)).fetchone()
    if row is not None:
        return row
    if ":" not in product_id:
        rows = conn.execute("SELECT * FROM products WHERE native_id = ? LIMIT 2", (product_id,)).fetchall()
        if len(rows) == 1:
            return rows[0]
        if len(rows) > 1:
            raise NotFoundError(f"Product id `{product_id}` is ambiguous; give it as SOURCE:{product_id}.")
    raise NotFoundError(f"No product `{product_id}` in the store.",
                        hint="Find ids with `sharekit products list --search TEXT`.")


@dataclass(frozen=True)
class ProductDetail:
    product: dict[str, Any]            # product_json plus detail fields
    history: list[dict[str, Any]]      # oldest first

    def to_json(self) -> dict[str, Any]:
        return {**self.product, "price_history": self.history}


def show_product(ws: Workspace, product_id: str) -> ProductDetail:
    """One product with its detail fields and its price history."""
    conn = ws.db
    tz = ws.config.timezone
    row = find_product(conn, product_id)
    data = product_json(row, tz)
    data.update({
        "native_id": row["native_id"],
        "description": row["description"],
        "brand": row["brand"],
        "coupon_url": row["coupon_url"],
        "image_urls": json.loads(row["image_urls"] or "[]"),
        "image_path": str(ws.paths.cache / row["image_path"]) if row["image_path"] else None,
        "extra": json.loads(row["extra"] or "{}"),
        "first_seen_at": local_iso(row["first_seen_at"], tz),
        "seen_at": local_iso(row["seen_at"], tz),
    })
    return ProductDetail(data, price_history(conn, row, tz))


def price_history(conn: sqlite3.Connection, product: sqlite3.Row, tz: str) -> list[dict[str, Any]]:
    """A stored product's prices over time, oldest first.

    A pull writes history rows only when a price changes (the first change also records the
    price before it, dated ``first_seen_at``); a product whose price never changed has none,
    and its history is its current price since it was first seen.
    """
    rows = conn.execute("SELECT * FROM price_history WHERE product_id = ? ORDER BY recorded_at, id",
                        (product["id"],)).fetchall() or [{
                            "recorded_at": product["first_seen_at"], "currency": product["currency"],
                            "price_minor": product["price_minor"],
                            "original_price_minor": product["original_price_minor"],
                            "coupon_minor": product["coupon_minor"]}]
    return [
        {"recorded_at": local_iso(h["recorded_at"], tz),
         "price": _money(h["price_minor"], h["currency"]),
         "original_price": _money(h["original_price_minor"], h["currency"]),
         "coupon": _money(h["coupon_minor"], h["currency"])}
        for h in rows
    ]


def image_file(ws: Workspace, product: sqlite3.Row | dict[str, Any]) -> Path | None:
    """The cached image file of a stored product, if it is in the cache (for posters)."""
    relative = product["image_path"]
    if not relative:
        return None
    path = ws.paths.cache / relative
    return path if path.is_file() else None


# demo ----------------------------------------------------------------------------------------
def demo_step(ws: Workspace, examples: Path, say: Callable[[str], None]) -> dict[str, Any]:
    """Configure the bundled example catalog as the feed source `demo` and pull it, images included."""
    from ..store.config import set_value

    feed = (examples / "catalog" / "products.csv").resolve()
    if not feed.is_file():
        raise NotFoundError(f"The example catalog {feed} is missing.")
    wanted = {"kind": "feed", "path": str(feed), "currency": "CNY"}
    if (ws.config.data.get("sources") or {}).get("demo") != wanted:
        set_value(ws.config, "sources.demo", wanted)
        ws.reload_config()
    say(f"source `demo`: feed {feed.name} ({feed.parent})")
    summary = pull(ws, "demo")
    say(f"pulled {summary.fetched} products: {summary.added} added, {summary.updated} updated, "
        f"{summary.unchanged} unchanged, {summary.skipped} skipped; "
        f"{summary.images_downloaded + summary.images_reused} images cached, {summary.images_failed} failed")
    return {"step": "catalog", "done": True, "source": "demo", **summary.to_json()}
