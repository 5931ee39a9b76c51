"""Order lines in the store: upsert by supplier row id, raw status kept, every change a history row."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field

from .db import transaction
from .sources.base import OrderLine
from .timeutil import to_utc_iso, utcnow

STATUSES = ("pending", "confirmed", "settled", "invalid", "unknown")


@dataclass
class UpsertCounts:
    """What an upsert did: lines new, changed, unchanged, and unknown raw statuses seen."""

    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    unknown_statuses: set[str] = field(default_factory=set)

    def add(self, other: UpsertCounts) -> None:
        self.inserted += other.inserted
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.unknown_statuses |= other.unknown_statuses


def upsert_order_lines(conn: sqlite3.Connection, source: str, lines: Iterable[OrderLine]) -> UpsertCounts:
    """Store ``lines`` of ``source`` in one transaction.

    A line is new, or changed when status, raw status, commission or amount differ; an older
    ``updated_at`` than the stored one never moves a status back.
    """
    counts = UpsertCounts()
    now = to_utc_iso(utcnow())
    with transaction(conn):
        for line in lines:
            if line.status not in STATUSES:
                raise ValueError(f"bad normalised status {line.status!r}")
            if line.status == "unknown":
                counts.unknown_statuses.add(line.raw_status)
            key = f"{source}:{line.row_id}"
            product_id = f"{source}:{line.product_native_id}" if line.product_native_id else None
            updated_at = to_utc_iso(line.updated_at)
            row = conn.execute(
                "SELECT status, raw_status, commission_minor, amount_minor, updated_at, channel"
                " FROM orders WHERE id = ?",
                (key,),
            ).fetchone()
            values = (
                source, line.order_id, product_id, line.product_title, line.channel or "", line.status,
                line.raw_status, line.amount.currency, line.amount.minor, line.commission.minor,
                line.list_amount.minor if line.list_amount else None, line.quantity, line.refund_tag,
                to_utc_iso(line.ordered_at), updated_at,
                to_utc_iso(line.settled_at) if line.settled_at else None,
                json.dumps(line.extra, ensure_ascii=False, sort_keys=True), now,
            )
            if row is None:
                conn.execute(
                    "INSERT INTO orders (source, order_id, product_id, product_title, channel, status, raw_status,"
                    " currency, amount_minor, commission_minor, list_amount_minor, quantity, refund_tag,"
                    " ordered_at, updated_at, settled_at, extra, fetched_at, id)"
                    " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    (*values, key),
                )
                conn.execute(
                    "INSERT INTO order_status_history (order_line, status, raw_status, commission_minor, changed_at,"
                    " recorded_at) VALUES (?,?,?,?,?,?)",
                    (key, line.status, line.raw_status, line.commission.minor, updated_at, now),
                )
                counts.inserted += 1
                continue
            same = (row["status"], row["raw_status"], row["commission_minor"], row["amount_minor"],
                    row["channel"]) == (line.status, line.raw_status, line.commission.minor,
                                        line.amount.minor, line.channel or "")
            if same or updated_at < row["updated_at"]:
                counts.unchanged += 1
                continue
            conn.execute(
                "UPDATE orders SET source=?, order_id=?, product_id=?, product_title=?, channel=?, status=?,"
                " raw_status=?, currency=?, amount_minor=?, commission_minor=?, list_amount_minor=?, quantity=?,"
                " refund_tag=?, ordered_at=?, updated_at=?, settled_at=?, extra=?, fetched_at=? WHERE id=?",
                (*values, key),
            )
            if (row["status"], row["raw_status"], row["commission_minor"]) != (
                line.status, line.raw_status, line.commission.minor
            ):
                conn.execute(
                    "INSERT INTO order_status_history (order_line, status, raw_status, commission_minor,"
                    " changed_at, recorded_at) VALUES (?,?,?,?,?,?)",
                    (key, line.status, line.raw_status, line.commission.minor, updated_at, now),
                )
            counts.updated += 1
    return counts
