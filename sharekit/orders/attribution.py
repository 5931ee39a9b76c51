"""Crediting order lines that came back without a channel, from the clicks before them.

A line without a supplier channel (a Taobao order without relation/adzone, a JD/PDD order whose
sub-id was stripped, an imported row with no channel) is credited to a channel when exactly one
channel's short links for the line's product were clicked by a person within the window before
the order (``[attribution] window``, default 24h; QR scans and clicks inside WeChat count, bot
hits never). When several channels' links were clicked the line stays unattributed, and its
candidates are kept and listed. The credit is *inferred*: it lives in ``order_attribution``
beside the line, never in ``orders.channel``, and a line that later carries a supplier channel
loses it. Recomputing is idempotent: the same clicks and orders give the same rows, and only
rows whose answer changed are written.

How it stays cheap: the lines to credit go into a temporary table with their windows; the
windows are merged, and only people's clicks inside them on those lines' products are read (the
``clicks_people_by_time`` index, a range scan per merged window) into a temporary table indexed
by product and time; one grouped join then gives each line its channels.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from ..core.settings import parse_duration_seconds
from ..core.timeutil import to_utc_iso, utcnow
from ..errors import InputError
from ..store.db import transaction

DEFAULT_WINDOW = "24h"
INFERRED_SUFFIX = " (inferred)"
ATTRIBUTIONS = ("supplier", "inferred", "all")
_CHUNK = 500


def window_of(config: Any, override: str | None = None) -> timedelta:
    """The attribution window: ``override`` (e.g. ``"12h"``) or ``[attribution] window``."""
    text = override if override is not None else (config.get("attribution.window") if config else None)
    text = str(text or DEFAULT_WINDOW)
    seconds = parse_duration_seconds(text)
    if not seconds:
        raise InputError(f"Attribution window {text!r} is not a duration such as 30m, 24h or 7d.",
                         params=("window",))
    return timedelta(seconds=seconds)


def inferred_label(channel: str) -> str:
    """How an inferred channel is shown: ``moments (inferred)``."""
    return f"{channel}{INFERRED_SUFFIX}"


@dataclass(frozen=True)
class Ambiguous:
    """A line whose product's links were clicked in several channels' within the window."""

    order_line: str
    product: str | None
    ordered_at: str
    candidates: list[str]

    def to_json(self) -> dict[str, Any]:
        return {"id": self.order_line, "product": self.product, "ordered_at": self.ordered_at,
                "candidates": list(self.candidates)}


@dataclass
class AttributionResult:
    """What one attribution pass found and changed."""

    window_seconds: int
    considered: int = 0          # lines without a supplier channel looked at
    credited: int = 0            # of those, credited to exactly one channel
    ambiguous: list[Ambiguous] = field(default_factory=list)
    unattributed: int = 0        # no person's click on the product in the window
    changed: int = 0             # rows written or removed by this pass (0 when run again)
    by_channel: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"window_seconds": self.window_seconds, "considered": self.considered,
                "credited": self.credited, "unattributed": self.unattributed,
                "ambiguous": [a.to_json() for a in self.ambiguous], "changed": self.changed,
                "by_channel": dict(sorted(self.by_channel.items()))}


_SETUP = """
CREATE TEMP TABLE IF NOT EXISTS att_orders (
    id TEXT PRIMARY KEY, product_id TEXT NOT NULL, lo TEXT NOT NULL, hi TEXT NOT NULL) WITHOUT ROWID;
CREATE TEMP TABLE IF NOT EXISTS att_products (id TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE TEMP TABLE IF NOT EXISTS att_clicks (product_id TEXT, clicked_at TEXT, channel TEXT);
CREATE INDEX IF NOT EXISTS temp.att_clicks_by_product ON att_clicks(product_id, clicked_at);
CREATE TEMP TABLE IF NOT EXISTS att_ids (id TEXT PRIMARY KEY) WITHOUT ROWID;
"""
_TEMP = ("att_orders", "att_products", "att_clicks", "att_ids")
_SELECT_ORDERS = (
    "SELECT o.id, o.product_id, strftime('%Y-%m-%dT%H:%M:%S+00:00', o.ordered_at, ?), o.ordered_at FROM orders o"
)
_NEEDS_CREDIT = " o.channel = '' AND o.product_id IS NOT NULL"


def attribute_orders(conn: sqlite3.Connection, window: timedelta, *, lines: Iterable[str] | None = None,
                     since: str | None = None) -> AttributionResult:
    """Credit lines without a supplier channel to the one channel whose links were clicked
    within ``window`` before them; one transaction.

    ``lines`` (order line ids) limits the pass to those lines (the automatic pass after a sync
    or import gives the lines it stored); ``since`` (UTC ISO) to lines ordered since then;
    neither: every line. Rows of lines that now carry a supplier channel are removed.
    """
    seconds = int(window.total_seconds())
    if seconds <= 0:
        raise InputError("The attribution window must be longer than 0.", params=("window",))
    result = AttributionResult(window_seconds=seconds)
    shift = f"-{seconds} seconds"
    now = to_utc_iso(utcnow())
    ids = None if lines is None else list(dict.fromkeys(lines))
    with transaction(conn):
        for statement in _SETUP.strip().split(";\n"):
            conn.execute(statement)
        try:
            for name in _TEMP:
                conn.execute(f"DELETE FROM temp.{name}")
            if ids is not None:
                for start in range(0, len(ids), _CHUNK):
                    chunk = ids[start:start + _CHUNK]
                    conn.execute(f"INSERT OR IGNORE INTO att_ids VALUES {','.join(['(?)'] * len(chunk))}", chunk)
                conn.execute(f"INSERT INTO att_orders {_SELECT_ORDERS} JOIN att_ids t ON t.id = o.id"
                             f" WHERE{_NEEDS_CREDIT}", (shift,))
            elif since is not None:
                conn.execute(f"INSERT INTO att_orders {_SELECT_ORDERS} WHERE{_NEEDS_CREDIT} AND o.ordered_at >= ?",
                             (shift, since))
            else:
                conn.execute(f"INSERT INTO att_orders {_SELECT_ORDERS} WHERE{_NEEDS_CREDIT}", (shift,))
            found = _channels_clicked(conn)
            result.changed += _store(conn, found, seconds, now, result)
            # lines that now carry a supplier channel (or lost their product) keep no inferred credit
            result.changed += conn.execute(
                "DELETE FROM order_attribution WHERE order_line IN (SELECT a.order_line FROM order_attribution a"
                " JOIN orders o ON o.id = a.order_line WHERE o.channel <> '' OR o.product_id IS NULL)").rowcount
        finally:
            for name in _TEMP:
                conn.execute(f"DELETE FROM temp.{name}")
    return result


def _merged_windows(conn: sqlite3.Connection) -> list[tuple[str, str]]:
    """The lines' windows [lo, hi], merged where they overlap (ISO UTC texts sort as times)."""
    merged: list[list[str]] = []
    for lo, hi in conn.execute("SELECT lo, hi FROM att_orders ORDER BY lo"):
        if merged and lo <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], hi)
        else:
            merged.append([lo, hi])
    return [(lo, hi) for lo, hi in merged]


def _channels_clicked(conn: sqlite3.Connection) -> dict[str, dict[str, tuple[int, str]]]:
    """Line id -> {channel: (people's clicks, last click)} within each line's window."""
    conn.execute("INSERT INTO att_products SELECT DISTINCT product_id FROM att_orders")
    for lo, hi in _merged_windows(conn):
        conn.execute(
            "INSERT INTO att_clicks SELECT c.product_id, c.clicked_at, c.channel"
            " FROM clicks c INDEXED BY clicks_people_by_time"
            " WHERE c.is_bot = 0 AND c.clicked_at >= ? AND c.clicked_at <= ? AND c.channel <> ''"
            " AND c.product_id IN (SELECT id FROM att_products)", (lo, hi))
    found: dict[str, dict[str, tuple[int, str]]] = {}
    for line, channel, n, last in conn.execute(
        "SELECT o.id, c.channel, count(*), max(c.clicked_at) FROM att_orders o"
        " JOIN att_clicks c ON c.product_id = o.product_id AND c.clicked_at >= o.lo AND c.clicked_at <= o.hi"
        " GROUP BY o.id, c.channel"
    ):
        found.setdefault(line, {})[channel] = (int(n), last)
    return found


def _store(conn: sqlite3.Connection, found: dict[str, dict[str, tuple[int, str]]], seconds: int, now: str,
           result: AttributionResult) -> int:
    """Write the rows whose answer changed, remove those of lines with no click now; count both."""
    stored = {row[0]: row[1:] for row in conn.execute(
        "SELECT a.order_line, a.channel, a.candidates, a.clicks, a.last_click_at, a.window_seconds"
        " FROM order_attribution a JOIN att_orders o ON o.id = a.order_line")}
    meta = {row[0]: (row[1], row[2]) for row in conn.execute(
        "SELECT o.id, o.product_id, o.ordered_at FROM orders o JOIN att_orders t ON t.id = o.id")}
    result.considered = len(meta)
    writes: list[tuple[Any, ...]] = []
    for line, channels in sorted(found.items()):
        names = sorted(channels)
        channel = names[0] if len(names) == 1 else None
        clicks = sum(n for n, _ in channels.values())
        last = max(t for _, t in channels.values())
        row = (channel, json.dumps(names, ensure_ascii=False), clicks, last, seconds)
        if channel is None:
            product, ordered_at = meta.get(line, (None, ""))
            result.ambiguous.append(Ambiguous(line, product, ordered_at, names))
        else:
            result.credited += 1
            result.by_channel[channel] = result.by_channel.get(channel, 0) + 1
        if stored.get(line) != row:
            writes.append((line, *row, now))
    result.unattributed = result.considered - len(found)
    gone = [line for line in stored if line not in found]
    if writes:
        conn.executemany(
            "INSERT INTO order_attribution (order_line, channel, candidates, clicks, last_click_at, window_seconds,"
            " computed_at) VALUES (?,?,?,?,?,?,?) ON CONFLICT (order_line) DO UPDATE SET channel = excluded.channel,"
            " candidates = excluded.candidates, clicks = excluded.clicks, last_click_at = excluded.last_click_at,"
            " window_seconds = excluded.window_seconds, computed_at = excluded.computed_at", writes)
    if gone:
        conn.executemany("DELETE FROM order_attribution WHERE order_line = ?", [(line,) for line in gone])
    result.ambiguous.sort(key=lambda a: (a.ordered_at, a.order_line))
    return len(writes) + len(gone)


def ambiguous_lines(conn: sqlite3.Connection) -> list[Ambiguous]:
    """Every stored line left unattributed because several channels' links were clicked."""
    return [Ambiguous(r[0], r[1], r[2], json.loads(r[3])) for r in conn.execute(
        "SELECT o.id, o.product_id, o.ordered_at, a.candidates FROM order_attribution a"
        " JOIN orders o ON o.id = a.order_line WHERE a.channel IS NULL AND o.channel = ''"
        " ORDER BY o.ordered_at, o.id")]


__all__ = ["ATTRIBUTIONS", "Ambiguous", "AttributionResult", "ambiguous_lines", "attribute_orders",
           "inferred_label", "window_of"]
