"""Order report files into the store: the generic order CSV and Amazon Associates reports.

``import_orders(ws, path, fmt)`` reads one file (UTF-8, UTF-8 with BOM, UTF-16 with BOM, GBK or
GB18030), turns each row into an :class:`~sharekit.sources.base.OrderLine` and stores them with
:func:`sharekit.orders.store.upsert_order_lines`, all in one transaction, recording the file's sha256
in ``imports``. The same file twice changes nothing; a later file moves statuses on (an older
``updated_at`` never moves one back). Bad rows are reported with their line numbers and skipped;
with ``strict=True`` any bad row aborts the file and nothing is written.

Formats:

- ``csv`` (the generic order CSV): ``order_id, product, channel, status, amount, commission,
  currency, ordered_at, updated_at``; ``product`` is ``SOURCE:NATIVE_ID`` (or a bare id with
  ``source=``); amounts are decimal strings in major units; ``status`` is a normalised status
  or the source's raw one; times are ISO 8601, no offset meaning the configured timezone.
- ``amazon``: the Associates Central "Fee-Orders" / "Fee-Earnings" downloads (CSV or TSV, a
  title line above the header, ``($)`` suffixes or none, a ``Total`` line at the end). Columns
  are found by header name. Orders rows are ``pending``; earnings rows are ``confirmed`` and
  take over the oldest matching pending order line (same ASIN and tracking id), so a later
  earnings file moves the status on without counting the sale twice. Returns are ``invalid``.
  The tracking id maps to the channel whose ``[channels.NAME] amazon_tag`` it is; the source's
  own ``partner_tag`` means no channel; any other tracking id is the channel name itself.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ...core.private import private_mkdir
from ...core.timeutil import to_utc_iso, utcnow
from ...errors import InputError, LockedError
from ...store.db import transaction
from ..store import UpsertCounts, upsert_order_lines
from .amazon import _parse_amazon, tag_channels
from .common import FORMATS, ImportResult, RowProblem, _group, _read
from .csv import _parse_generic

if TYPE_CHECKING:
    from ...store.workspace import Workspace


# the entry point ------------------------------------------------------------------------------
def import_orders(ws: Workspace, path: str | Path, fmt: str, strict: bool = False, *,
                  source: str | None = None) -> ImportResult:
    """Import the order file at ``path`` in format ``fmt`` (``csv`` or ``amazon``) in one transaction."""
    if fmt not in FORMATS:
        raise InputError(f"Unknown order file format {fmt!r} (use {' or '.join(FORMATS)}).")
    path = Path(path).expanduser()
    data, text, encoding = _read(path)
    digest = hashlib.sha256(data).hexdigest()
    result = ImportResult(path=str(path), format=fmt, sha256=digest, encoding=encoding)
    conn = ws.db
    if conn.execute("SELECT 1 FROM imports WHERE sha256 = ?", (digest,)).fetchone():
        result.already_imported = True
        return result
    # Imports take turns (the same file twice at once: the second then finds it imported).
    with _import_lock(ws):
        if conn.execute("SELECT 1 FROM imports WHERE sha256 = ?", (digest,)).fetchone():
            result.already_imported = True
            return result
        try:
            return _import(ws, conn, path, fmt, strict, source, text, digest, result)
        except sqlite3.IntegrityError:   # an import that did not take the lock (an older version)
            if conn.execute("SELECT 1 FROM imports WHERE sha256 = ?", (digest,)).fetchone() is None:
                raise
            result.already_imported = True
            return result


IMPORT_LOCK = "orders-import.lock"
IMPORT_LOCK_WAIT = 600.0   # seconds a second import waits for the first before giving up


@contextmanager
def _import_lock(ws: Workspace) -> Iterator[None]:
    from filelock import FileLock, Timeout

    private_mkdir(ws.paths.locks)
    lock_path = ws.paths.locks / IMPORT_LOCK
    lock = FileLock(str(lock_path))
    try:
        lock.acquire(timeout=IMPORT_LOCK_WAIT)
    except Timeout:
        raise LockedError(f"Another `sharekit orders import` is still running after {IMPORT_LOCK_WAIT:g}s "
                          f"(lock {lock_path}); this file was already being imported or waits its turn.",
                          hint="Run the import again when the other one has finished.") from None
    try:
        yield
    finally:
        lock.release()


def _import(ws: Workspace, conn: sqlite3.Connection, path: Path, fmt: str, strict: bool, source: str | None,
            text: str, digest: str, result: ImportResult) -> ImportResult:
    with transaction(conn):
        try:
            if fmt == "csv":
                lines, problems, rows = _parse_generic(ws, text, source)
            else:
                lines, problems, rows, result.report = _parse_amazon(ws, conn, text, source)
        except InputError as exc:
            raise InputError(f"{path}: {exc.message}") from None
        result.rows, result.skipped, result.imported = rows, problems, len(lines)
        if problems and strict:
            shown = "; ".join(f"line {p.line}: {p.error}" for p in problems[:5])
            more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
            raise InputError(f"{path}: {len(problems)} bad row(s), nothing imported: {shown}{more}.")
        counts = UpsertCounts()
        for src, group in _group(lines).items():
            counts.add(upsert_order_lines(conn, src, group))
        result.inserted, result.updated, result.unchanged = counts.inserted, counts.updated, counts.unchanged
        result.ignored = counts.ignored
        result.unknown_statuses = sorted(counts.unknown_statuses)
        result.sources = sorted({src for src, _ in lines})
        result.unknown_products = _unknown_products(conn, lines)
        conn.execute("INSERT INTO imports (sha256, path, format, rows, imported_at) VALUES (?,?,?,?,?)",
                     (digest, str(path.absolute()), fmt, len(lines), to_utc_iso(utcnow())))
    from ..attribution import attribute_orders, window_of

    # the attribution pass over the lines this file stored: its own transaction, after the import's
    found = attribute_orders(conn, window_of(ws.config), lines=counts.touched)
    result.credited, result.ambiguous = found.credited, len(found.ambiguous)
    from ...events.notify import after_orders

    after_orders(ws)  # order events, then the webhook (bounded; the import is already committed)
    return result


def _unknown_products(conn: sqlite3.Connection, lines: list[tuple[str, Any]]) -> list[str]:
    """Products of ``lines`` the catalog does not hold (pull their source to see titles and prices)."""
    ids = sorted({f"{src}:{line.product_native_id}" for src, line in lines if line.product_native_id})
    return [pid for pid in ids if conn.execute("SELECT 1 FROM products WHERE id = ?", (pid,)).fetchone() is None]


__all__ = ["FORMATS", "ImportResult", "RowProblem", "import_orders", "tag_channels"]
