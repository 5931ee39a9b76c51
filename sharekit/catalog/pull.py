"""Pull a configured source into the store.

``pull(ws, name)`` builds the configured source, stores each page it yields in one
transaction (:func:`~sharekit.catalog.store.upsert_products`), caches product images, and after a
full listing marks the products the supplier no longer lists as unavailable (never deleting
them: links and orders point at them).

It works for any Source kind through the contract in :mod:`sharekit.sources.base`: the
source's ``skipped`` rows are reported, its ``total`` drives progress, and ``local_images``
allows image links that are local files.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..core.limits import (
    DEFAULT_MIN_LISTING_SHARE,
    share,
)
from ..core.timeutil import to_utc_iso, utcnow
from ..errors import InputError
from ..store.db import transaction

if TYPE_CHECKING:
    from pathlib import Path

    import httpx

    from ..sources.base import Source
    from ..store.workspace import Workspace
    from .images import ImageBatch

from ..sources.base import Skipped
from .store import mark_unlisted, set_image_paths, upsert_products

PULL_CACHE_KIB = -65536  # SQLite page cache during a pull: up to 64 MB (negative = KiB)
PULL_CHECKPOINT_PAGES = 16384  # WAL pages between checkpoints during a pull (~64 MB)
PULL_GC_THRESHOLD = 50_000  # gen-0 allocations between cyclic GC runs while products are stored
IMAGE_PATH_BATCH = 200  # cached image paths stored per transaction while downloads run
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
    # Why a full listing marked nothing unavailable (empty, or far shorter than the stored catalog).
    shrink_refused: str | None = None

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
            "shrink_refused": self.shrink_refused,
        }

# pull ----------------------------------------------------------------------------------------
def open_source(ws: Workspace, name: str, *, client: httpx.Client | None = None, sleep: Any = None,
                strict: bool = False) -> Source:
    """Build the configured source ``name`` (the registry finds its kind)."""
    from ..sources import build_source

    settings = ws.source_settings(name)
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


def _shrunk(listed: int, known: int, min_share: float) -> str | None:
    """Why a full listing of ``listed`` products must not mark the ``known`` available ones
    unavailable (an empty or cut-off file), or None when it may."""
    if listed == 0:
        return (f"the listing was empty: nothing was marked unavailable"
                f"{f' ({known} products kept available)' if known else ''}. If the source really "
                "lists nothing now, pull again with --allow-shrink.")
    if known and listed < min_share * known:
        return (f"the listing had {listed} products, under {min_share:.0%} of the {known} available ones "
                "(a cut-off file?): nothing was marked unavailable. If the catalog really shrank, pull again "
                "with --allow-shrink.")
    return None


def pull(ws: Workspace, source_name: str, query: str | None = None, ids: str | Sequence[str] | None = None,
         limit: int | None = None, images: bool = True, strict: bool = False,
         progress: Callable[[PullProgress], None] | None = None, *, client: httpx.Client | None = None,
         sleep: Any = None, image_client: httpx.Client | None = None, allow_shrink: bool = False) -> PullSummary:
    """Pull products from the configured source into the store; see the module docstring.

    A full listing (no query, ids or limit) marks the source's products that were not listed
    unavailable, unless it is empty or lists fewer than ``[catalog] min_listing_share`` of the
    source's available products (a cut-off file): then it stores what it read, marks nothing
    and says why in ``shrink_refused`` (``allow_shrink`` accepts the shorter listing).
    ``strict`` asks the source to refuse bad input instead of skipping it.
    Raises SourceError / InputError / ConfigError; images never fail a pull.
    """
    started = time.monotonic()
    id_list = _split_ids(ids)
    if limit is not None and limit < 1:
        raise InputError("`limit` must be at least 1.", params=("limit",))
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
    known = 0 if empty else conn.execute(
        "SELECT count(*) FROM products WHERE source = ? AND available = 1", (source_name,)).fetchone()[0]
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
                    progress(PullProgress("products", summary.fetched, source.total, summary.added,
                                          summary.updated, summary.unchanged, len(source.skipped)))
            skipped: list[Skipped] = list(source.skipped)
            if progress is not None:  # the listing is complete: its total is now known exactly
                progress(PullProgress("products", summary.fetched, summary.fetched, summary.added, summary.updated,
                                      summary.unchanged, len(skipped)))
            summary.skipped_rows = skipped
            summary.skipped = len(skipped)
            if full:
                # Rows skipped for bad data still exist upstream: do not call them gone.
                listed = seen | {f"{source_name}:{s.native_id}" for s in skipped if s.native_id}
                summary.shrink_refused = None if allow_shrink else _shrunk(
                    len(listed), known, share(ws.config, "catalog.min_listing_share", DEFAULT_MIN_LISTING_SHARE))
                if summary.shrink_refused is None:
                    summary.unavailable = mark_unlisted(conn, source_name, listed, now=now,
                                                        listed_available=listed_available)
            file_roots = source.image_roots if source.local_images else ()
            allow_private = bool(source.settings.get("allow_private_hosts"))
    finally:
        gc.set_threshold(*gc_thresholds)
        conn.execute(f"PRAGMA cache_size = {int(cache_size)}")
        conn.execute(f"PRAGMA wal_autocheckpoint = {int(autocheckpoint)}")
        if not conn.in_transaction:
            conn.execute("PRAGMA wal_checkpoint(PASSIVE)")  # never waits for readers (the click server)
    if images and jobs:
        batch = _cache_images(ws, jobs, file_roots, allow_private, progress, image_client)
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


def _cache_images(ws: Workspace, jobs: dict[str, list[str]], file_roots: tuple[Path, ...], allow_private: bool,
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

    with ImageCache(ws.paths.cache, client=client, file_roots=file_roots, allow_private=allow_private,
                    **image_settings(ws.config)) as cache:
        try:
            batch = cache.fetch_many(list(jobs), progress=step, on_cached=cached)
        finally:
            set_image_paths(ws.db, pending)
    return batch
