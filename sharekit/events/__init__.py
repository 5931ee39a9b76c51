"""Events: what the reseller should hear about after a sync, an order import or a link check.

Kinds: ``order.new`` (a line seen for the first time), ``order.settled``, ``order.invalid``
(cancelled or refunded), ``channel.threshold_reached`` (a group's orders reached its threshold,
once per period), ``link.dead`` (a shared link's product sold out or its coupon expired),
``source.failed`` (a sync of that source failed). Each is a row in ``events`` with a key that
makes it happen once (``order.settled:jd:123``). Order events are derived from the order status
history after a cursor, so whoever wrote the orders (sync, import, demo) they are announced once.
Sending them to a webhook is :mod:`sharekit.events.webhook`.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from ..core.timeutil import local_iso, to_utc_iso, utcnow
from ..store.db import transaction

KINDS = ("order.new", "order.settled", "order.invalid", "channel.threshold_reached", "link.dead", "source.failed")
_CURSOR = "order_status_history"


@dataclass(frozen=True)
class Event:
    """One stored event."""

    id: int
    kind: str
    key: str
    payload: dict[str, Any]
    created_at: str
    delivered_at: str | None
    attempts: int
    last_error: str | None

    def to_json(self, tz: str) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "created_at": local_iso(self.created_at, tz),
                "delivered_at": local_iso(self.delivered_at, tz), "attempts": self.attempts,
                "data": self.payload}

    def wire(self) -> dict[str, Any]:
        """The webhook body of this event."""
        return {"id": self.id, "kind": self.kind, "created_at": self.created_at, "data": self.payload}


def record(conn: sqlite3.Connection, kind: str, key: str, payload: dict[str, Any], *,
           now: datetime | None = None) -> bool:
    """Store one event unless its ``key`` is already stored; True when it is new."""
    if kind not in KINDS:
        raise ValueError(f"unknown event kind {kind!r}")
    cursor = conn.execute(
        "INSERT OR IGNORE INTO events (kind, key, payload, created_at) VALUES (?,?,?,?)",
        (kind, key, json.dumps(payload, ensure_ascii=False, sort_keys=True), to_utc_iso(now or utcnow())))
    return cursor.rowcount == 1


def _money(minor: int | None, currency: str) -> dict[str, Any] | None:
    return None if minor is None else {"minor": int(minor), "currency": currency}


def record_order_events(conn: sqlite3.Connection, *, now: datetime | None = None, tz: str = "Asia/Shanghai") -> int:
    """Turn order status history written since the last call into order events; returns how many."""
    now = now or utcnow()
    added = 0
    with transaction(conn):
        row = conn.execute("SELECT value FROM event_cursors WHERE name = ?", (_CURSOR,)).fetchone()
        after = int(row[0]) if row else 0
        rows = conn.execute(
            "SELECT h.id, h.order_line, h.status, (SELECT min(h2.id) FROM order_status_history h2"
            "  WHERE h2.order_line = h.order_line) AS first_id,"
            " o.source, o.order_id, o.product_id, coalesce(o.product_title, p.title) AS product_title, o.channel,"
            " o.status AS current, o.currency, o.amount_minor, o.commission_minor, o.ordered_at"
            " FROM order_status_history h JOIN orders o ON o.id = h.order_line"
            " LEFT JOIN products p ON p.id = o.product_id WHERE h.id > ? ORDER BY h.id",
            (after,)).fetchall()
        last = after
        for r in rows:
            last = r["id"]
            payload = {"line": r["order_line"], "source": r["source"], "order_id": r["order_id"],
                       "product": r["product_id"], "title": r["product_title"], "channel": r["channel"],
                       "status": r["current"], "amount": _money(r["amount_minor"], r["currency"]),
                       "commission": _money(r["commission_minor"], r["currency"]), "ordered_at": r["ordered_at"]}
            if r["id"] == r["first_id"]:
                added += record(conn, "order.new", f"order.new:{r['order_line']}", payload, now=now)
            # a status only counts once the line really is in it (a stale report is history, not news)
            if r["status"] in ("settled", "invalid") and r["current"] == r["status"]:
                kind = f"order.{r['status']}"
                added += record(conn, kind, f"{kind}:{r['order_line']}", payload, now=now)
        conn.execute("INSERT INTO event_cursors (name, value) VALUES (?, ?)"
                     " ON CONFLICT(name) DO UPDATE SET value = excluded.value", (_CURSOR, last))
        added += _thresholds(conn, now, tz)
    return added


def _period_start(period: str | None, now: datetime, tz: str) -> datetime | None:
    local = now.astimezone(ZoneInfo(tz))
    day = local.replace(hour=0, minute=0, second=0, microsecond=0)
    if period == "week":
        return day - timedelta(days=day.weekday())
    if period == "month":
        return day.replace(day=1)
    return None


def _thresholds(conn: sqlite3.Connection, now: datetime, tz: str = "Asia/Shanghai") -> int:
    """``channel.threshold_reached`` once per channel and period (or once ever without a period)."""
    columns = {r[1] for r in conn.execute("PRAGMA table_info(channels)")}
    # a group's threshold period (week | month | none), where the channels table has one
    period_col = "threshold_period" if "threshold_period" in columns else "NULL"
    added = 0
    for ch in conn.execute(f"SELECT name, kind, threshold_minor, threshold_currency, {period_col} AS period"
                           " FROM channels WHERE threshold_minor IS NOT NULL AND threshold_minor > 0").fetchall():
        start = _period_start(ch["period"], now, tz)  # none: every order since the start counts
        since = to_utc_iso(start) if start else "0000"
        currency = ch["threshold_currency"] or "CNY"
        total = conn.execute(
            "SELECT coalesce(sum(amount_minor), 0) FROM orders WHERE channel = ? AND currency = ?"
            " AND status != 'invalid' AND ordered_at >= ?", (ch["name"], currency, since)).fetchone()[0]
        if total >= ch["threshold_minor"]:
            period = start.date().isoformat() if start else "all"
            payload = {"channel": ch["name"], "kind": ch["kind"], "period": ch["period"] or "none",
                       "period_start": period, "total": _money(total, currency),
                       "threshold": _money(ch["threshold_minor"], currency)}
            added += record(conn, "channel.threshold_reached", f"channel.threshold_reached:{ch['name']}:{period}",
                            payload, now=now)
    return added


def record_link_events(conn: sqlite3.Connection, states: Iterable[Any], *, now: datetime | None = None) -> int:
    """``link.dead`` for links that just turned ``sold_out`` / ``coupon_expired`` (LinkState items)."""
    now = now or utcnow()
    added = 0
    with transaction(conn):
        for s in states:
            payload = {"code": s.code, "product": s.product_id, "channel": s.channel, "state": s.state,
                       "reason": s.reason, "alternatives": list(s.alternatives)}
            added += record(conn, "link.dead", f"link.dead:{s.code}:{s.state}:{to_utc_iso(now)}", payload, now=now)
    return added


def record_source_failures(conn: sqlite3.Connection, results: Iterable[Any], *, now: datetime | None = None) -> int:
    """``source.failed`` for each failed sync result (SourceSyncResult items)."""
    now = now or utcnow()
    added = 0
    with transaction(conn):
        for r in results:
            if not r.ok:
                added += record(conn, "source.failed", f"source.failed:{r.source}:{to_utc_iso(now)}",
                                {"source": r.source, "error": r.error}, now=now)
    return added


def _row(r: sqlite3.Row) -> Event:
    return Event(r["id"], r["kind"], r["key"], json.loads(r["payload"]), r["created_at"], r["delivered_at"],
                 r["attempts"], r["last_error"])


def list_events(conn: sqlite3.Connection, *, since: datetime | None = None, kinds: Iterable[str] = (),
                undelivered: bool = False, limit: int | None = None) -> list[Event]:
    """Stored events, oldest first."""
    sql = "SELECT * FROM events WHERE 1=1"
    args: list[Any] = []
    if since is not None:
        sql += " AND created_at >= ?"
        args.append(to_utc_iso(since))
    kinds = list(kinds)
    if kinds:
        sql += f" AND kind IN ({','.join('?' * len(kinds))})"
        args.extend(kinds)
    if undelivered:
        sql += " AND delivered_at IS NULL"
    sql += " ORDER BY id"
    if limit is not None:
        sql += " LIMIT ?"
        args.append(int(limit))
    return [_row(r) for r in conn.execute(sql, args)]


def _fmt(money: Any) -> str:
    from ..core.money import Money

    if not isinstance(money, dict):
        return ""
    try:
        return Money.from_json(money).format()
    except Exception:  # noqa: BLE001 - a display helper never fails an event
        return f"{money.get('minor')} {money.get('currency')}"


def summary_line(event: Event) -> str:
    """One human line for an event (digest, WeCom message)."""
    d = event.payload
    amount = _fmt(d.get("amount"))
    earn = f", commission {_fmt(d.get('commission'))}" if d.get("commission") else ""
    title = d.get("title") or d.get("product") or ""
    where = f" [{d['channel']}]" if d.get("channel") else ""
    if event.kind == "order.new":
        return f"new order {d.get('order_id')}{where}: {title} {amount}{earn} ({d.get('status')})"
    if event.kind == "order.settled":
        return f"settled {d.get('order_id')}{where}: {title}{earn}"
    if event.kind == "order.invalid":
        return f"invalid (refunded/cancelled) {d.get('order_id')}{where}: {title}{earn}"
    if event.kind == "channel.threshold_reached":
        return (f"group {d.get('channel')} reached its threshold {_fmt(d.get('threshold'))}: "
                f"{_fmt(d.get('total'))} since {d.get('period_start')}")
    if event.kind == "link.dead":
        return f"link {d.get('code')} ({d.get('product')}{where}) is {d.get('state')}: {d.get('reason')}"
    if event.kind == "source.failed":
        return f"sync of {d.get('source')} failed: {d.get('error')}"
    return event.kind


def digest(events: list[Event]) -> dict[str, int]:
    """Counts per kind, in KINDS order."""
    counts = {k: 0 for k in KINDS}
    for e in events:
        counts[e.kind] = counts.get(e.kind, 0) + 1
    return {k: v for k, v in counts.items() if v}
