"""Offers stay alive: `sharekit link check` marks links whose product sold out or whose coupon expired.

A link's state is ``ok``, ``sold_out`` (the product is missing from the store or was unavailable
in its source's last pull) or ``coupon_expired`` (the coupon or sale price end time the source
gave has passed). For a dead link, up to three available products of the same source get short
links in the same channel; the click server offers those (each its own counted link) and the
product page anyway, on a small Chinese page instead of the redirect. A product that comes back
makes its links ``ok`` again. Links that turn dead become ``link.dead`` events.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..core.timeutil import to_utc_iso, utcnow
from ..errors import SharekitError
from ..store.db import transaction
from .coupons import coupon_end

STATES = ("ok", "sold_out", "coupon_expired")
MAX_ALTERNATIVES = 3


@dataclass(frozen=True)
class LinkState:
    """One checked link: its state before and after, why, and the codes offered instead."""

    code: str
    product_id: str
    channel: str
    before: str
    state: str
    reason: str
    alternatives: tuple[str, ...] = ()

    @property
    def changed(self) -> bool:
        return self.before != self.state

    def to_json(self) -> dict[str, Any]:
        return {"code": self.code, "product": self.product_id, "channel": self.channel, "before": self.before,
                "state": self.state, "reason": self.reason, "alternatives": list(self.alternatives)}


@dataclass
class CheckResult:
    """What `link check` found."""

    checked: int = 0
    links: list[LinkState] = field(default_factory=list)
    delivery: Any = None  # the webhook DeliveryResult, when one is configured

    @property
    def dead(self) -> list[LinkState]:
        return [s for s in self.links if s.state != "ok"]

    @property
    def newly_dead(self) -> list[LinkState]:
        return [s for s in self.links if s.state != "ok" and s.changed]

    @property
    def revived(self) -> list[LinkState]:
        return [s for s in self.links if s.state == "ok" and s.changed]

    def to_json(self) -> dict[str, Any]:
        shown = [s.to_json() for s in self.links if s.state != "ok" or s.changed]
        return {"checked": self.checked, "dead": len(self.dead), "newly_dead": len(self.newly_dead),
                "revived": len(self.revived), "links": shown,
                "notify": self.delivery.to_json() if self.delivery is not None else None}


def offer_state(product: sqlite3.Row | None, now: datetime, tz: str) -> tuple[str, str]:
    """(state, reason) of a link to ``product`` at ``now``."""
    if product is None:
        return "sold_out", "the product is no longer in the store"
    if not product["available"]:
        return "sold_out", "unavailable in the source's last pull"
    try:
        extra = json.loads(product["extra"] or "{}")
    except ValueError:
        extra = {}
    end = coupon_end(extra if isinstance(extra, dict) else {}, tz)
    if end is not None and end <= now:
        return "coupon_expired", f"the coupon ended {to_utc_iso(end)}"
    return "ok", ""


def check_links(ws: Any, *, now: datetime | None = None,
                ensure: Callable[[Any, str, str], Any] | None = None, notify_client: Any = None) -> CheckResult:
    """Re-check every active link's product; store states and alternatives in one transaction.

    ``ensure(ws, product_id, channel)`` makes an alternative's short link (default
    :func:`sharekit.tracking.links.ensure_link`, which may ask the supplier for a promotion link).
    Links that turned dead become ``link.dead`` events, sent to ``[notify] webhook`` if set.
    """
    from ..tracking.links import ensure_link

    ensure = ensure or ensure_link
    now = now or utcnow()
    stamp = to_utc_iso(now)
    tz = ws.config.timezone
    conn = ws.db
    links = conn.execute(
        "SELECT l.code, l.product_id, l.channel, l.state, l.alternatives, p.source FROM links l"
        " LEFT JOIN products p ON p.id = l.product_id"
        " WHERE l.disabled = 0 AND (l.expires_at IS NULL OR l.expires_at > ?) ORDER BY l.created_at, l.code",
        (stamp,)).fetchall()
    products = {r["id"]: r for r in conn.execute(
        "SELECT id, source, available, extra, updated_at FROM products"
        " WHERE id IN (SELECT product_id FROM links WHERE disabled = 0)")}
    result = CheckResult(checked=len(links))
    alive_by_source: dict[str, list[str]] = {}
    updates: list[tuple[str, str, str, str]] = []
    for link in links:
        state, reason = offer_state(products.get(link["product_id"]), now, tz)
        codes: tuple[str, ...] = ()
        if state != "ok" and link["source"]:
            if link["source"] not in alive_by_source:
                alive_by_source[link["source"]] = _alive_products(conn, link["source"], now, tz)
            codes = _alternatives(ws, ensure, alive_by_source[link["source"]], link["product_id"], link["channel"])
        result.links.append(LinkState(link["code"], link["product_id"], link["channel"], link["state"], state,
                                      reason, codes))
        updates.append((state, json.dumps(list(codes)), stamp, link["code"]))
    from ..events import record_link_events
    from ..events.notify import send

    with transaction(conn):
        conn.executemany("UPDATE links SET state = ?, alternatives = ?, checked_at = ? WHERE code = ?", updates)
        record_link_events(conn, result.newly_dead, now=now)
    result.delivery = send(ws, client=notify_client, now=now)
    return result


def _alive_products(conn: sqlite3.Connection, source: str, now: datetime, tz: str) -> list[str]:
    """Ids of the source's products whose links would be ``ok``, most recently updated first."""
    alive = []
    for row in conn.execute("SELECT id, source, available, extra, updated_at FROM products"
                            " WHERE source = ? AND available = 1 ORDER BY updated_at DESC, id LIMIT 200", (source,)):
        if offer_state(row, now, tz)[0] == "ok":
            alive.append(row["id"])
    return alive


def _alternatives(ws: Any, ensure: Callable[[Any, str, str], Any], alive: list[str], product_id: str,
                  channel: str) -> tuple[str, ...]:
    codes: list[str] = []
    for candidate in alive:
        if candidate == product_id:
            continue
        try:
            link = ensure(ws, candidate, channel)
        except SharekitError:
            continue  # the supplier refused a link for it: offer the next one
        codes.append(link.code)
        if len(codes) == MAX_ALTERNATIVES:
            break
    return tuple(codes)
