"""Order lines in the store: upsert by supplier row id, raw status kept, every change a history row."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from ..core.sanitize import clean_text
from ..core.timeutil import to_utc_iso, utcnow
from ..sources.base import ConfirmedLine, OrderLine, StatusChange
from ..store.db import transaction

STATUSES = ("pending", "confirmed", "settled", "invalid", "unknown")
# Statuses only move forward: pending -> confirmed -> settled, any -> invalid. A stored
# ``unknown`` (a raw status not mapped yet) may move anywhere; nothing moves back to it.
RANK = {"unknown": -1, "pending": 0, "confirmed": 1, "settled": 2, "invalid": 3}


def moves_back(stored: str, reported: str) -> bool:
    """True when ``reported`` is an older state than ``stored`` (the line must not take it)."""
    return reported != stored and RANK[reported] < RANK[stored] or (stored == "invalid" and reported != stored)


@dataclass
class UpsertCounts:
    """What an upsert did: lines new, changed, unchanged, and unknown raw statuses seen."""

    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    ignored: int = 0      # reports of an older state: kept in the history, not taken
    unknown_statuses: set[str] = field(default_factory=set)
    touched: list[str] = field(default_factory=list)   # ids of the lines inserted or updated

    def add(self, other: UpsertCounts) -> None:
        self.inserted += other.inserted
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.ignored += other.ignored
        self.unknown_statuses |= other.unknown_statuses
        self.touched += other.touched


_INSERT = (
    "INSERT INTO orders (source, order_id, product_id, product_title, channel, status, raw_status,"
    " currency, amount_minor, commission_minor, list_amount_minor, quantity, refund_tag,"
    " ordered_at, updated_at, settled_at, extra, fetched_at, id)"
    " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
)
_UPDATE = (
    "UPDATE orders SET source=?, order_id=?, product_id=?, product_title=?, channel=?, status=?,"
    " raw_status=?, currency=?, amount_minor=?, commission_minor=?, list_amount_minor=?, quantity=?,"
    " refund_tag=?, ordered_at=?, updated_at=?, settled_at=?, extra=?, fetched_at=? WHERE id=?"
)
_HISTORY = (
    "INSERT INTO order_status_history (order_line, status, raw_status, commission_minor, changed_at,"
    " recorded_at) VALUES (?,?,?,?,?,?)"
)
_IGNORED = (
    "INSERT INTO order_status_history (order_line, status, raw_status, commission_minor, changed_at,"
    " recorded_at, ignored) SELECT ?,?,?,?,?,?,1 WHERE NOT EXISTS (SELECT 1 FROM order_status_history"
    " WHERE order_line = ? AND ignored = 1 AND raw_status = ? AND changed_at = ?)"
)
_CHUNK = 500  # ids per ``WHERE id IN (...)`` look-up
# json.dumps builds an encoder per call; the page loop reuses one.
_encode_extra = json.JSONEncoder(ensure_ascii=False, sort_keys=True).encode


def _utc_iso(moment: datetime) -> str:
    """:func:`to_utc_iso`, skipping the conversion when ``moment`` is already whole-second UTC (the usual case)."""
    if moment.tzinfo is UTC and not moment.microsecond:
        return moment.isoformat()
    return to_utc_iso(moment)


def _memory_temp_store(conn: sqlite3.Connection) -> None:
    """Keep SQLite's temporary files in memory on ``conn`` (set once; the setting stays).

    Each order line written fires the report-rollup triggers, so each INSERT/UPDATE keeps a
    statement journal to undo it alone; SQLite holds such journals in memory only up to a small
    size and otherwise in temporary files. Measured: 25-40% less CPU per page of lines.
    """
    if conn.execute("PRAGMA temp_store").fetchone()[0] != 2:
        conn.execute("PRAGMA temp_store = MEMORY")


def _stored(conn: sqlite3.Connection, keys: list[str]) -> dict[str, tuple[Any, ...]]:
    """(status, raw_status, commission_minor, amount_minor, updated_at, channel, settled_at) of ``keys``."""
    found: dict[str, tuple[Any, ...]] = {}
    for start in range(0, len(keys), _CHUNK):
        chunk = keys[start:start + _CHUNK]
        cursor = conn.cursor()
        cursor.row_factory = None  # plain tuples: no sqlite3.Row per stored line
        cursor.execute(
            "SELECT id, status, raw_status, commission_minor, amount_minor, updated_at, channel, settled_at FROM orders"
            f" WHERE id IN ({','.join('?' * len(chunk))})", chunk)
        for row in cursor:
            found[row[0]] = row[1:]
    return found


_TEXT_FIELDS = ("order_id", "row_id", "product_title", "channel", "raw_status", "refund_tag")


def _clean(line: OrderLine) -> OrderLine:
    """``line`` without control characters in its texts (the store never holds them)."""
    dirty = {name: clean_text(value) for name in _TEXT_FIELDS
             if isinstance(value := getattr(line, name), str) and not value.isprintable()}
    return replace(line, **dirty) if dirty else line


def upsert_order_lines(conn: sqlite3.Connection, source: str, lines: Iterable[OrderLine]) -> UpsertCounts:
    """Store ``lines`` of ``source`` in one transaction.

    A line is new, or changed when status, raw status, commission or amount differ; an older
    ``updated_at`` than the stored one changes nothing. Statuses only move forward (``RANK``): a
    report of an older state is not taken but kept in the history as ignored (once) and counted
    in ``ignored``. ``settled_at``, once set, stays (a settled line's month never moves); a line
    reported settled without a settle time gets the report's ``updated_at``. Stored lines are looked up
    once per call (``WHERE id IN``), and the writes go out as ``executemany`` batches in the
    lines' order (inserts, then updates, then history rows), so the result, the history and
    the report rollups the triggers keep are what one statement per line would give.
    """
    counts = UpsertCounts()
    now = to_utc_iso(utcnow())
    lines = [_clean(line) for line in lines]
    prefix = f"{source}:"
    statuses = STATUSES
    unknown = counts.unknown_statuses
    for line in lines:
        if line.status not in statuses:
            raise ValueError(f"bad normalised status {line.status!r}")
        if line.status == "unknown":
            unknown.add(line.raw_status)
    inserts: list[tuple[Any, ...]] = []
    updates: list[tuple[Any, ...]] = []
    history: list[tuple[Any, ...]] = []
    _memory_temp_store(conn)
    with transaction(conn):
        keys = [f"{prefix}{line.row_id}" for line in lines]
        # key -> (status, raw_status, commission, amount, updated_at, channel) as stored, or as an
        # earlier line of this call left it (a line id may repeat within a page).
        state = _stored(conn, list(dict.fromkeys(keys))) if keys else {}
        get_state = state.get
        inserted = updated = unchanged = ignored = 0
        ignored_rows: list[tuple[Any, ...]] = []
        for key, line in zip(keys, lines, strict=True):
            status, raw_status = line.status, line.raw_status
            commission = line.commission.minor
            amount = line.amount.minor
            channel = line.channel or ""
            updated_at = _utc_iso(line.updated_at)
            row = get_state(key)
            settled_at = _utc_iso(line.settled_at) if line.settled_at else None
            if row is not None:
                if (row[0], row[1], row[2], row[3], row[5]) == (status, raw_status, commission, amount, channel) \
                        or updated_at < row[4]:
                    unchanged += 1
                    continue
                if moves_back(row[0], status):
                    ignored += 1
                    ignored_rows.append((key, status, raw_status, commission, updated_at, now,
                                         key, raw_status, updated_at))
                    continue
                settled_at = row[6] or settled_at
            if status == "settled" and settled_at is None:
                settled_at = updated_at
            native = line.product_native_id
            extra = line.extra
            values = (
                source, line.order_id, f"{prefix}{native}" if native else None, line.product_title, channel, status,
                raw_status, line.amount.currency, amount, commission,
                line.list_amount.minor if line.list_amount else None, line.quantity, line.refund_tag,
                _utc_iso(line.ordered_at), updated_at, settled_at,
                "{}" if not extra and type(extra) is dict else _encode_extra(extra), now, key,
            )
            state[key] = (status, raw_status, commission, amount, updated_at, channel, settled_at)
            if row is None:
                inserts.append(values)
                history.append((key, status, raw_status, commission, updated_at, now))
                inserted += 1
                continue
            updates.append(values)
            if (row[0], row[1], row[2]) != (status, raw_status, commission):
                history.append((key, status, raw_status, commission, updated_at, now))
            updated += 1
        if inserts:
            conn.executemany(_INSERT, inserts)
        if updates:
            conn.executemany(_UPDATE, updates)
        if history:
            conn.executemany(_HISTORY, history)
        for values in ignored_rows:  # rare: one look-up each keeps a re-sent report from piling up
            conn.execute(_IGNORED, values)
    counts.inserted, counts.updated, counts.unchanged, counts.ignored = inserted, updated, unchanged, ignored
    counts.touched = [values[-1] for values in inserts] + [values[-1] for values in updates]
    return counts


def confirmed_lines(conn: sqlite3.Connection, source: str) -> list[ConfirmedLine]:
    """``source``'s stored confirmed lines, for :meth:`~sharekit.sources.base.Source.settle_due`."""
    return [ConfirmedLine(row[0], row[1], row[2], json.loads(row[3] or "{}")) for row in conn.execute(
        "SELECT id, raw_status, commission_minor, extra FROM orders WHERE source = ? AND status = 'confirmed'",
        (source,))]


def apply_status_changes(conn: sqlite3.Connection, changes: Iterable[StatusChange]) -> int:
    """Move confirmed lines to the statuses a source found due (one transaction; each change a
    history row). A line that is no longer confirmed is left alone: statuses only move forward."""
    now = to_utc_iso(utcnow())
    moved = 0
    with transaction(conn):
        for change in changes:
            if change.status not in STATUSES:
                raise ValueError(f"bad normalised status {change.status!r}")
            when = to_utc_iso(change.changed_at)
            settled_at = when if change.status == "settled" else None
            row = conn.execute("SELECT raw_status, commission_minor FROM orders WHERE id = ? AND status = 'confirmed'",
                               (change.line_id,)).fetchone()
            if row is None:
                continue
            conn.execute("UPDATE orders SET status = ?, settled_at = coalesce(?, settled_at) WHERE id = ?",
                         (change.status, settled_at, change.line_id))
            conn.execute(_HISTORY, (change.line_id, change.status, row[0], row[1], when, now))
            moved += 1
    return moved
