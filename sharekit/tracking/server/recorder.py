"""Click recording: what a click is, how it is classified, and how it reaches the store.

Classification (what a click is, bot or person, visitor, QR) lives in :mod:`.classify`.

Writes (mode ``queue``, the default): a click is queued before the response is sent and a
flusher writes the queue every ``flush_interval`` seconds (0.1; sooner when ``batch_size``
clicks wait) in short transactions of at most 500 clicks with their counters. The flusher runs
on the event loop itself with a zero busy timeout (a writer thread was measured to cost more:
sqlite3 releases the GIL around every row and fights the loop for it), so it never waits for a
lock: when another process holds the database the clicks simply stay queued until the next
tick. WAL checkpoints (which fsync) run on a helper thread. ``SHAREKIT_SERVE_INLINE=0`` moves
the writes to the thread instead. SIGTERM/SIGINT make uvicorn run the lifespan shutdown, which
writes everything queued, retrying a busy database up to ``shutdown_timeout``; clicks the store
still refuses go to ``HOME/clicks.spool.jsonl`` and are written at the next start. A hard crash
(SIGKILL, power loss) loses at most the clicks of the last flush interval.

Mode ``direct`` writes each click in its own transaction before the redirect is answered
(nothing queued, slower, and a locked database delays the redirect); ``off`` records nothing
(the benchmark's baseline).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import random
import sqlite3
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

# Classification moved to .classify; its names stay importable from here for existing callers.
from .classify import BotDetector, Classifier, Click, load_salt, visitor_id  # noqa: F401

log = logging.getLogger("sharekit.tracking.server")
MODES = ("queue", "direct", "off")

def _is_busy(exc: sqlite3.OperationalError) -> bool:
    text = str(exc).lower()
    return "locked" in text or "busy" in text


class ClickWriter:
    """Writes batches of clicks with their counters; one connection, used from one thread."""

    def __init__(self, db_path: Path, *, busy_timeout_ms: int = 1000) -> None:
        self.conn = sqlite3.connect(db_path, timeout=busy_timeout_ms / 1000, isolation_level=None,
                                    check_same_thread=False)
        self.busy_timeout_ms = int(busy_timeout_ms)
        self.conn.execute(f"PRAGMA busy_timeout = {self.busy_timeout_ms}")
        self.conn.execute("PRAGMA foreign_keys = ON")
        self.conn.execute("PRAGMA synchronous = NORMAL")
        self.busy_retries = 0

    def close(self) -> None:
        self.conn.close()

    def write(self, clicks: list[Click]) -> None:
        """One transaction: the raw rows, new visitor-days, and the per-link-and-day counters.

        Counters: ``clicks`` = human clicks, ``bots`` = bot hits (HEAD included), ``qr`` and
        ``wechat`` = human clicks from a poster QR / inside WeChat, ``visitors`` = distinct
        human visitors of that link on that day.
        """
        if not clicks:
            return
        conn = self.conn
        totals: dict[tuple[str, str], list[int]] = {}
        visitors: dict[tuple[str, str], set[str]] = {}
        for c in clicks:
            t = totals.setdefault((c.code, c.day), [0, 0, 0, 0, 0])
            if c.is_bot:
                t[1] += 1
            else:
                t[0] += 1
                t[2] += c.via_qr
                t[3] += c.in_wechat
                visitors.setdefault((c.code, c.day), set()).add(c.visitor)
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.executemany(
                "INSERT INTO clicks (code, clicked_at, channel, product_id, visitor, user_agent, referer,"
                " is_bot, in_wechat, via_qr) VALUES (?,?,?,?,?,?,?,?,?,?)",
                [(c.code, c.clicked_at, c.channel, c.product_id, c.visitor, c.user_agent, c.referer,
                  int(c.is_bot), int(c.in_wechat), int(c.via_qr)) for c in clicks],
            )
            for (code, day), seen in visitors.items():
                # rowcount counts this statement's new rows only (total_changes would add the
                # rows the visitor_days trigger writes)
                totals[(code, day)][4] = conn.executemany(
                    "INSERT OR IGNORE INTO click_visitors (code, day, visitor) VALUES (?,?,?)",
                    [(code, day, v) for v in seen]).rowcount
            conn.executemany(
                "INSERT INTO click_daily (code, day, clicks, bots, qr, wechat, visitors) VALUES (?,?,?,?,?,?,?)"
                " ON CONFLICT (code, day) DO UPDATE SET clicks = clicks + excluded.clicks,"
                " bots = bots + excluded.bots, qr = qr + excluded.qr, wechat = wechat + excluded.wechat,"
                " visitors = visitors + excluded.visitors",
                [(code, day, *t) for (code, day), t in totals.items()],
            )
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    def write_retrying(self, clicks: list[Click], deadline: float) -> None:
        """``write``, retried with jittered backoff while the database is busy, until ``deadline``."""
        delay = 0.02
        while True:
            try:
                self.write(clicks)
                return
            except sqlite3.OperationalError as exc:
                if not _is_busy(exc) or time.monotonic() + delay > deadline:
                    raise
                self.busy_retries += 1
                log.info("database busy, retrying %d clicks in %.2fs", len(clicks), delay)
                time.sleep(delay * (0.5 + random.random()))
                delay = min(delay * 2, 0.5)


@dataclass
class RecorderStats:
    queued: int = 0
    written: int = 0
    batches: int = 0
    busy_retries: int = 0
    spooled: int = 0
    errors: int = 0


class Recorder:
    """Gets clicks into the store without slowing the redirect (see the module docstring)."""

    def __init__(self, db_path: Path, *, mode: str = "queue", flush_interval: float = 0.1,
                 batch_size: int = 1000, spool_path: Path | None = None, shutdown_timeout: float = 30.0) -> None:
        if mode not in MODES:
            raise ValueError(f"recording mode must be one of {', '.join(MODES)}, not {mode!r}")
        self.db_path = db_path
        self.mode = mode
        self.flush_interval = flush_interval
        self.batch_size = batch_size
        self.spool_path = spool_path
        self.shutdown_timeout = shutdown_timeout
        self.stats = RecorderStats()
        self._queue: deque[Click] = deque()
        self._executor: ThreadPoolExecutor | None = None
        self._writer: ClickWriter | None = None
        self._task: asyncio.Task[None] | None = None
        self._wake: asyncio.Event | None = None
        self._stopping = False
        self._inflight = 0
        self.inline = mode == "queue" and os.environ.get("SHAREKIT_SERVE_INLINE", "1") == "1"
        # Clicks per transaction: a bigger one sums more clicks per link into one counter update and
        # commits less often (~15 us/click at 500 vs ~30 at 100), while stalling the loop ~7 ms at most.
        self.inline_chunk = int(os.environ.get("SHAREKIT_SERVE_CHUNK", "500"))

    @property
    def pending(self) -> int:
        """Clicks not yet in the store: queued plus the batch being written."""
        return len(self._queue) + self._inflight

    async def start(self) -> None:
        if self.mode == "off" or self._executor is not None:
            return
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sharekit-clicks")
        loop = asyncio.get_running_loop()
        self._writer = await loop.run_in_executor(self._executor, ClickWriter, self.db_path)
        if self.inline:
            # The event loop never waits: no lock waits, and the WAL checkpoint (which fsyncs)
            # runs on the writer thread, not in a commit on the loop.
            self._writer.conn.execute("PRAGMA busy_timeout = 0")
            self._writer.conn.execute("PRAGMA wal_autocheckpoint = 0")
        await loop.run_in_executor(self._executor, self._ingest_spool)
        if self.mode == "queue":
            self._wake = asyncio.Event()
            self._task = asyncio.create_task(self._flush_loop())

    def record(self, click: Click) -> None:
        """Queue ``click`` (mode queue). Never blocks, never raises."""
        if self.mode == "off":
            return
        self._queue.append(click)
        self.stats.queued += 1
        if self._wake is not None and len(self._queue) >= self.batch_size:
            self._wake.set()

    async def record_now(self, click: Click) -> None:
        """Write ``click`` before returning (mode direct)."""
        if self.mode == "off":
            return
        if self._executor is None:
            await self.start()
        self.stats.queued += 1
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._executor, self._write_batch, [click], time.monotonic() + 30)

    def _write_batch(self, batch: list[Click], deadline: float) -> None:
        assert self._writer is not None
        before = self._writer.busy_retries
        try:
            self._writer.write_retrying(batch, deadline)
        finally:
            self.stats.busy_retries += self._writer.busy_retries - before
        self.stats.written += len(batch)
        self.stats.batches += 1

    async def flush(self, *, deadline: float | None = None) -> None:
        """Write everything queued now (one or more transactions of at most ``batch_size``)."""
        if self._executor is None:
            if not self._queue:
                return
            await self.start()
        loop = asyncio.get_running_loop()
        while self._queue:
            batch = [self._queue.popleft() for _ in range(min(self.batch_size, len(self._queue)))]
            self._inflight = len(batch)
            try:
                await loop.run_in_executor(self._executor, self._write_batch, batch,
                                           deadline or time.monotonic() + 2.0)
            except BaseException:
                self._queue.extendleft(reversed(batch))  # keep them, in order, for the next try
                raise
            finally:
                self._inflight = 0

    def _flush_inline(self, limit: int) -> bool:
        """Write the queue on the event-loop thread, never waiting for a lock: when another
        process holds the database the clicks stay queued for the next tick. (A writer thread
        costs more: it fights the event loop for the GIL on every row.)"""
        assert self._writer is not None
        batch = [self._queue.popleft() for _ in range(min(limit, len(self._queue)))]
        try:
            self._writer.write(batch)
        except sqlite3.OperationalError as exc:
            self._queue.extendleft(reversed(batch))
            if _is_busy(exc):
                self.stats.busy_retries += 1
                return False
            raise
        self.stats.written += len(batch)
        self.stats.batches += 1
        return True

    def _checkpoint(self) -> None:
        conn = sqlite3.connect(self.db_path, timeout=0, isolation_level=None)
        try:
            conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
        except sqlite3.OperationalError:
            pass  # another process is checkpointing or holds the database: next time
        finally:
            conn.close()

    async def _flush_loop(self) -> None:
        assert self._wake is not None
        loop = asyncio.get_running_loop()
        checkpoint: asyncio.Future[None] | None = None
        chunks_since = 0
        while not self._stopping:
            try:
                await asyncio.wait_for(self._wake.wait(), self.flush_interval)
            except TimeoutError:
                pass
            self._wake.clear()
            if self._stopping:
                break
            try:
                if self.inline:
                    # one short transaction per chunk, yielding between chunks so that a big
                    # queue never stalls the redirects for long
                    while self._queue and not self._stopping and self._flush_inline(self.inline_chunk):
                        chunks_since += 1
                        await asyncio.sleep(0)
                    if chunks_since >= 20 and (checkpoint is None or checkpoint.done()):
                        chunks_since = 0
                        checkpoint = loop.run_in_executor(self._executor, self._checkpoint)
                else:
                    await self.flush()
            except sqlite3.OperationalError as exc:
                if _is_busy(exc):
                    log.info("database busy; %d clicks stay queued", len(self._queue))
                else:
                    self.stats.errors += 1
                    log.error("writing clicks failed (%s); %d clicks stay queued", exc, len(self._queue))
            except Exception:  # keep the flusher alive whatever happens; clicks stay queued
                self.stats.errors += 1
                log.exception("writing clicks failed; %d clicks stay queued", len(self._queue))
        if checkpoint is not None:
            await checkpoint

    async def stop(self) -> None:
        """Flush everything (retrying a busy store up to ``shutdown_timeout``), then close."""
        self._stopping = True
        if self._task is not None:
            self._wake.set()  # type: ignore[union-attr]
            await self._task
            self._task = None
        if self._executor is None:
            return
        if self._writer is not None:
            self._writer.conn.execute(f"PRAGMA busy_timeout = {self._writer.busy_timeout_ms}")
            self._writer.conn.execute("PRAGMA wal_autocheckpoint = 1000")
        deadline = time.monotonic() + self.shutdown_timeout
        try:
            await self.flush(deadline=deadline)
        except Exception as exc:
            log.error("could not write %d clicks at shutdown (%s); spooling them", len(self._queue), exc)
            self._spool()
        loop = asyncio.get_running_loop()
        if self._writer is not None:
            await loop.run_in_executor(self._executor, self._writer.close)
            self._writer = None
        self._executor.shutdown(wait=True)
        self._executor = None

    # the spool: clicks the store refused at shutdown, written at the next start ---------------
    def _spool(self) -> None:
        if not self._queue:
            return
        if self.spool_path is None:
            log.error("no spool file configured: %d clicks lost", len(self._queue))
            return
        fd = os.open(self.spool_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        with os.fdopen(fd, "a", encoding="utf-8") as fh:
            while self._queue:
                fh.write(json.dumps(asdict(self._queue.popleft()), ensure_ascii=False) + "\n")
                self.stats.spooled += 1
            fh.flush()
            os.fsync(fh.fileno())

    def _ingest_spool(self) -> None:
        if self.spool_path is None or not self.spool_path.exists():
            return
        claimed = self.spool_path.with_name(f"{self.spool_path.name}.{os.getpid()}")
        try:
            os.rename(self.spool_path, claimed)  # atomic: one worker claims the file
        except FileNotFoundError:
            return
        clicks = []
        for line in claimed.read_text(encoding="utf-8").splitlines():
            if line.strip():
                clicks.append(Click(**json.loads(line)))
        try:
            self._write_batch(clicks, time.monotonic() + 10)
        except Exception:
            os.rename(claimed, self.spool_path)  # try again next start
            raise
        claimed.unlink()
        log.info("wrote %d spooled clicks", len(clicks))
