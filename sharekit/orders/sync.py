"""Order sync: per-source checkpoints, window slicing, resume after failure, one lock.

How a run works, per source that has an order API:

1. Start at the saved high-water mark minus a small overlap (late updates are re-read, and
   the upsert makes re-reading harmless), or ``--since``, or ``now - lookback`` on a first run
   (default one day); never earlier than the supplier's lookback (JD/PDD: 90 days).
2. Slice ``[start, now]`` into windows of the source's ``order_window`` (JD 1 h, PDD 24 h).
3. Each page of a window is upserted in ONE transaction together with the cursor to resume
   from after it, so a crash or a failed call mid-window loses nothing and doubles nothing:
   the next run resumes at the saved page of the saved window.
4. A finished window moves the high-water mark to its end and clears the cursor.

A failed source is recorded (``last_error``) and the others still run. The whole run holds
``locks/sync.lock`` in the home (filelock); a second run fails at once with LockedError.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from ..core.timeutil import from_iso, to_utc_iso, utcnow
from ..errors import LockedError, SharekitError
from ..store.db import transaction
from .store import apply_status_changes, confirmed_lines, upsert_order_lines

if TYPE_CHECKING:
    from ..store.workspace import Workspace

DEFAULT_LOOKBACK = timedelta(days=1)
DEFAULT_OVERLAP = timedelta(minutes=10)
LOCK_NAME = "sync.lock"


@dataclass
class SourceSyncResult:
    """What syncing one source did (``to_json`` is the `sync --json` shape)."""

    source: str
    ok: bool = True
    fetched: int = 0
    inserted: int = 0
    updated: int = 0
    ignored: int = 0     # reports of an older status: kept in the history, not taken
    error: str | None = None
    notes: list[str] = field(default_factory=list)
    windows: int = 0
    pages: int = 0
    high_water: str | None = None
    resumed: bool = False
    credited: int = 0    # lines without a channel credited to one by the attribution pass
    touched: list[str] = field(default_factory=list, repr=False)   # lines stored or changed

    def to_json(self) -> dict[str, Any]:
        return {"source": self.source, "ok": self.ok, "fetched": self.fetched, "inserted": self.inserted,
                "updated": self.updated, "ignored": self.ignored, "credited": self.credited, "error": self.error,
                "notes": list(self.notes)}


@dataclass(frozen=True)
class SyncProgress:
    """One progress event: a window of a source was finished (or started, when done == 0)."""

    source: str
    window_start: datetime
    window_end: datetime
    windows_done: int
    windows_total: int
    fetched: int


@dataclass
class Checkpoint:
    source: str
    high_water: datetime | None
    cursor: dict[str, Any]
    last_ok_at: str | None = None
    last_error: str | None = None


def load_checkpoint(conn: sqlite3.Connection, source: str) -> Checkpoint:
    row = conn.execute("SELECT * FROM sync_checkpoints WHERE source = ?", (source,)).fetchone()
    if row is None:
        return Checkpoint(source, None, {})
    try:
        cursor = json.loads(row["cursor"] or "{}")
    except ValueError:
        cursor = {}
    return Checkpoint(source, from_iso(row["high_water"]) if row["high_water"] else None,
                      cursor if isinstance(cursor, dict) else {}, row["last_ok_at"], row["last_error"])


def _save(conn: sqlite3.Connection, source: str, **fields: Any) -> None:
    conn.execute("INSERT INTO sync_checkpoints (source) VALUES (?) ON CONFLICT(source) DO NOTHING", (source,))
    sets = ", ".join(f"{k} = ?" for k in fields)
    conn.execute(f"UPDATE sync_checkpoints SET {sets} WHERE source = ?", (*fields.values(), source))


def windows(start: datetime, end: datetime, size: timedelta) -> list[tuple[datetime, datetime]]:
    """``[start, end]`` cut into consecutive windows no longer than ``size``."""
    out: list[tuple[datetime, datetime]] = []
    cursor = start
    while cursor < end:
        nxt = min(cursor + size, end)
        out.append((cursor, nxt))
        cursor = nxt
    return out


def order_sources(ws: Workspace) -> list[str]:
    """Configured sources whose kind has an order API (kinds that fail to load are included)."""
    from ..sources import load_kind

    names = []
    for name in ws.config.source_names():
        kind = (ws.config.get(f"sources.{name}") or {}).get("kind")
        try:
            if kind and not load_kind(str(kind)).supports_orders:
                continue
        except SharekitError:
            pass
        names.append(name)
    return names


def sync(ws: Workspace, sources: Iterable[str] | None = None, *, since: datetime | None = None,
         now: datetime | None = None, progress: Callable[[SyncProgress], None] | None = None,
         sleep: Callable[[float], None] | None = None, lookback: timedelta | None = None,
         overlap: timedelta | None = None, source_factory: Callable[..., Any] | None = None,
         ) -> list[SourceSyncResult]:
    """Sync orders of ``sources`` (default: every configured source with an order API).

    Holds the home's sync lock for the whole run; raises LockedError at once when another run
    has it. A failing source is reported in its result and does not stop the others.
    """
    from filelock import FileLock, Timeout

    ws.paths.locks.mkdir(parents=True, exist_ok=True)
    lock_path = ws.paths.locks / LOCK_NAME
    lock = FileLock(str(lock_path), timeout=0)
    try:
        lock.acquire(timeout=0)
    except Timeout:
        raise LockedError(f"Another `sharekit sync` is running (lock {lock_path}); this run did nothing.",
                          hint="Let it finish; the lock is released when that process exits.") from None
    try:
        names = list(sources) if sources else order_sources(ws)
        moment = (now or utcnow()).replace(microsecond=0)
        results = [
            sync_source(ws, name, since=since, now=moment, progress=progress, sleep=sleep,
                        lookback=lookback, overlap=overlap, source_factory=source_factory)
            for name in dict.fromkeys(names)
        ]
        from ..events.notify import after_orders

        # events (order.new/settled/invalid, thresholds, source.failed), then the webhook: bounded
        # in time and never failing the sync (undelivered events wait for the next run)
        after_orders(ws, sync_results=results)
        return results
    finally:
        lock.release()


def sync_source(ws: Workspace, name: str, *, since: datetime | None = None, now: datetime | None = None,
                progress: Callable[[SyncProgress], None] | None = None,
                sleep: Callable[[float], None] | None = None, lookback: timedelta | None = None,
                overlap: timedelta | None = None, source_factory: Callable[..., Any] | None = None,
                ) -> SourceSyncResult:
    """Sync one source; never raises for a source failure (it is in the result)."""
    from ..sources import build_source

    result = SourceSyncResult(name)
    conn = ws.db
    moment = (now or utcnow()).replace(microsecond=0)
    run_at = to_utc_iso(utcnow())
    try:
        settings = ws.source_settings(name)
        kwargs: dict[str, Any] = {"sleep": sleep} if sleep is not None else {}
        source = (source_factory or build_source)(name, settings, **kwargs)
    except SharekitError as exc:
        return _fail(conn, result, str(exc), run_at)
    try:
        if not source.supports_orders:
            return _fail(conn, result, f"{name}: {source.kind} sources have no order API to sync.", run_at)
        settings_lookback = settings.get("sync_lookback_hours")
        first_lookback = lookback or (timedelta(hours=float(settings_lookback)) if settings_lookback
                                      else DEFAULT_LOOKBACK)
        settings_overlap = settings.get("sync_overlap_minutes")
        step_back = overlap if overlap is not None else (
            timedelta(minutes=float(settings_overlap)) if settings_overlap is not None else DEFAULT_OVERLAP)
        run_windows(conn, source, result, since=since, now=moment, progress=progress, lookback=first_lookback,
             overlap=step_back)
        _attribute(ws, result)
        if source.settles_orders:
            moved = apply_status_changes(conn, source.settle_due(confirmed_lines(conn, name)))
            if moved:
                result.updated += moved
                result.notes.append(f"{moved} confirmed line(s) settled (payMonth passed)")
    except SharekitError as exc:
        return _fail(conn, result, str(exc), run_at)
    except Exception as exc:  # noqa: BLE001 - a cron run must go on to the next source
        return _fail(conn, result, f"{name}: unexpected {type(exc).__name__}: {exc}", run_at)
    finally:
        source.close()
    with transaction(conn):
        _save(conn, name, last_run_at=run_at, last_ok_at=run_at, last_error=None)
    return result


def _attribute(ws: Workspace, result: SourceSyncResult) -> None:
    """The attribution pass over the lines this sync stored (see :mod:`.attribution`)."""
    from .attribution import attribute_orders, window_of

    if not result.touched:
        return
    found = attribute_orders(ws.db, window_of(ws.config), lines=result.touched)
    result.credited = found.credited
    if found.credited or found.ambiguous:
        result.notes.append(f"{found.credited} line(s) without a channel credited from clicks (inferred)"
                            + (f", {len(found.ambiguous)} with clicks in several channels left unattributed"
                               if found.ambiguous else ""))


def _fail(conn: sqlite3.Connection, result: SourceSyncResult, message: str, run_at: str) -> SourceSyncResult:
    result.ok = False
    result.error = message
    with transaction(conn):
        _save(conn, result.source, last_run_at=run_at, last_error=message)
    return result


def run_windows(conn: sqlite3.Connection, source: Any, result: SourceSyncResult, *, since: datetime | None,
                now: datetime, progress: Callable[[SyncProgress], None] | None, lookback: timedelta,
                overlap: timedelta) -> None:
    """Steps 1-4 of the module docstring for a built ``source``; counts go into ``result``."""
    name = source.name
    window: timedelta = source.order_window
    earliest = (now - source.order_lookback + timedelta(minutes=5)).replace(microsecond=0)
    checkpoint = load_checkpoint(conn, name)
    cursor = checkpoint.cursor if since is None else {}
    resume: tuple[datetime, datetime, dict[str, Any]] | None = None
    if cursor.get("window_start") and cursor.get("window_end") and cursor.get("page_cursor"):
        r_start, r_end = from_iso(cursor["window_start"]), from_iso(cursor["window_end"])
        if r_start >= earliest and r_end <= now:
            resume = (r_start, r_end, dict(cursor["page_cursor"]))
            result.resumed = True
            result.notes.append(f"resumed an unfinished window from {to_utc_iso(r_start)}")
    if since is not None:
        start = since
    elif checkpoint.high_water is not None:
        start = checkpoint.high_water - overlap
    else:
        start = now - lookback
    if resume is not None:
        start = resume[1]
    if start < earliest:
        result.notes.append(f"start moved to {to_utc_iso(earliest)}: the supplier keeps {source.order_lookback.days} "
                            "days of orders")
        start = earliest
    plan: list[tuple[datetime, datetime, dict[str, Any] | None]] = []
    if resume is not None:
        plan.append(resume)
    plan.extend((a, b, None) for a, b in windows(start, now, window))
    unknown: set[str] = set()
    for index, (w_start, w_end, page_cursor) in enumerate(plan):
        for page in source.iter_orders(w_start, w_end, page_cursor):
            with transaction(conn):
                counts = upsert_order_lines(conn, name, page.lines)
                if page.next_cursor is None:
                    _save(conn, name, high_water=to_utc_iso(max(w_end, checkpoint.high_water or w_end)
                                                            if since is None else w_end), cursor="{}")
                else:
                    _save(conn, name, cursor=json.dumps({"window_start": to_utc_iso(w_start),
                                                         "window_end": to_utc_iso(w_end),
                                                         "page_cursor": page.next_cursor}))
            result.pages += 1
            result.fetched += len(page.lines)
            result.inserted += counts.inserted
            result.updated += counts.updated
            result.ignored += counts.ignored
            result.touched += counts.touched
            unknown |= counts.unknown_statuses
        result.windows += 1
        if progress is not None:
            progress(SyncProgress(name, w_start, w_end, index + 1, len(plan), result.fetched))
    if not plan:
        with transaction(conn):
            _save(conn, name, cursor="{}")
    result.high_water = to_utc_iso(load_checkpoint(conn, name).high_water or now)
    if result.ignored:
        result.notes.append(f"{result.ignored} report(s) of an older status ignored (kept in the status history)")
    if unknown:
        result.notes.append(f"unknown raw status {', '.join(sorted(unknown))}: kept raw with status unknown")
