"""Demo step: buying through one's own link (自购省钱): savings, not income."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..orders.importers import import_orders
from ..reports import earnings_report
from ..tracking.channels import add_channel
from ..tracking.links import ensure_link

if TYPE_CHECKING:
    from ..store.workspace import Workspace

SELF = "me"


def demo_step(ws: Workspace, examples: Path, say: Callable[[str], None]) -> dict[str, Any]:
    """Add channel ``me`` of kind self, a link to buy through, and two own orders; show the savings.

    The own orders (``examples/orders/self-orders.csv``) stay orders placed (``orders``, ``gmv``) but
    their commission is ``self_saved``, left out of estimated, settled and lost.
    """
    add_channel(ws.db, SELF, kind="self", note="自购省钱: my own purchases")
    code = ensure_link(ws, "demo:SK1003", SELF).code
    path = Path(examples) / "orders" / "self-orders.csv"
    imported = import_orders(ws, path, "csv")
    report = earnings_report(ws, by="channel")
    row = next((r for r in report.rows if r.key == SELF), None)
    saved = row.self_saved if row else None
    orders = row.orders if row else 0
    say(f"self-purchase (自购): link {code} in channel {SELF} (kind self); {orders} own orders "
        f"saved {saved}, not income (left out of estimated/settled/lost; `report --json` self_saved)")
    return {"step": "self-purchase", "done": True, "link": code, "orders": orders,
            "self_saved": saved.to_json() if saved else None, "inserted": imported.inserted,
            "totals_self_saved": report.totals.self_saved.to_json()}
