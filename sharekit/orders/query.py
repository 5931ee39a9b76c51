"""Stored order lines as `orders list` shows them."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..core.money import Money
from ..core.timeutil import local_iso, to_utc_iso
from ..errors import InputError
from .attribution import inferred_label
from .store import STATUSES


@dataclass(frozen=True)
class OrderRow:
    """One stored order line as `orders list` shows it."""

    id: str
    source: str
    order_id: str
    product: str | None
    product_title: str | None
    channel: str
    status: str
    raw_status: str
    amount: Money
    commission: Money
    ordered_at: str
    updated_at: str
    inferred_channel: str | None = None    # credited from the clicks before it (no supplier channel)
    candidates: tuple[str, ...] = ()       # channels clicked in the window (several: unattributed)

    @property
    def attribution(self) -> str | None:
        """``supplier`` (the supplier's sub-id), ``inferred`` (from clicks) or None."""
        return "supplier" if self.channel else ("inferred" if self.inferred_channel else None)

    def shown_channel(self) -> str:
        """The channel as listings show it: ``moments``, ``moments (inferred)`` or ``-``."""
        if self.channel:
            return self.channel
        if self.inferred_channel:
            return inferred_label(self.inferred_channel)
        return "-"

    def to_json(self, tz: str) -> dict[str, Any]:
        return {"id": self.id, "source": self.source, "order_id": self.order_id, "product": self.product,
                "product_title": self.product_title, "channel": self.channel,
                "inferred_channel": self.inferred_channel, "attribution": self.attribution,
                "candidates": list(self.candidates), "status": self.status,
                "raw_status": self.raw_status,
                "amount": self.amount.to_json(), "commission": self.commission.to_json(),
                "ordered_at": local_iso(self.ordered_at, tz), "updated_at": local_iso(self.updated_at, tz)}


def list_orders(conn: sqlite3.Connection, *, source: str | None = None, status: str | None = None,
                channel: str | None = None, since: datetime | None = None,
                limit: int | None = None) -> list[OrderRow]:
    """Stored order lines, newest order first, filtered by source/status/channel/order time."""
    if status is not None and status not in STATUSES:
        raise InputError(f"Unknown status {status!r}: use one of {', '.join(STATUSES)}.")
    where, args = [], []
    if source:
        where.append("o.source = ?")
        args.append(source)
    if status:
        where.append("o.status = ?")
        args.append(status)
    if channel is not None:  # the supplier's channel, or the inferred one of a line without it
        where.append("(o.channel = ? OR (o.channel = '' AND a.channel = ?))")
        args += [channel, channel]
    if since is not None:
        where.append("o.ordered_at >= ?")
        args.append(to_utc_iso(since))
    # the supplier's title when it gave one, else the catalog's
    sql = ("SELECT o.*, coalesce(nullif(o.product_title, ''), p.title) AS shown_title,"
           " a.channel AS inferred_channel, a.candidates AS candidates FROM orders o"
           " LEFT JOIN products p ON p.id = o.product_id"
           " LEFT JOIN order_attribution a ON a.order_line = o.id AND o.channel = ''"
           + (" WHERE " + " AND ".join(where) if where else ""))
    sql += " ORDER BY o.ordered_at DESC, o.id"
    if limit is not None:
        sql += " LIMIT ?"
        args.append(int(limit))
    return [
        OrderRow(r["id"], r["source"], r["order_id"], r["product_id"], r["shown_title"], r["channel"],
                 r["status"], r["raw_status"], Money(r["amount_minor"], r["currency"]),
                 Money(r["commission_minor"], r["currency"]), r["ordered_at"], r["updated_at"],
                 r["inferred_channel"], tuple(json.loads(r["candidates"])) if r["candidates"] else ())
        for r in conn.execute(sql, args)
    ]
