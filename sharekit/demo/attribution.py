"""Demo step: an order that came back without a channel, credited from the click before it.

A supplier often returns an order with no sub-id (a Taobao order without relation/adzone id, a
JD or PDD order whose sub-id was stripped). The demo imports one such line, for a product whose
short link only one channel's members clicked in the hours before, and shows the import's
automatic attribution pass crediting it to that channel as *inferred*, as `orders list` and
`report --by channel --attribution all` show it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..store.workspace import Workspace

ORDER_ID = "DEMO-NOSUB-1"


def _clicked_in_one_channel(ws: Workspace) -> tuple[str, str, str] | None:
    """(product, channel, last click UTC ISO) of the product people clicked most, on links of
    exactly one channel (bots never count; ties go to the smaller product id, so reruns agree)."""
    row = ws.db.execute(
        "SELECT product_id, min(channel), max(clicked_at) FROM clicks"
        " WHERE is_bot = 0 AND channel <> '' AND product_id IS NOT NULL"
        " GROUP BY product_id HAVING count(DISTINCT channel) = 1 ORDER BY count(*) DESC, product_id LIMIT 1"
    ).fetchone()
    return (row[0], row[1], row[2]) if row else None


def demo_step(ws: Workspace, examples: Path, say: Callable[[str], None]) -> dict[str, Any]:
    """Import one order line without a channel for a product clicked in one channel only, then
    show its inferred credit (the pass the import runs)."""
    from ..core.money import Money
    from ..core.timeutil import from_iso, local_iso, to_utc_iso, utcnow
    from ..orders.attribution import inferred_label, window_of
    from ..orders.importers import import_orders
    from ..orders.query import list_orders
    from ..reports import earnings_report

    found = _clicked_in_one_channel(ws)
    if found is None:
        say("attribution: no product clicked in one channel only (the tracking step makes some); skipped")
        return {"step": "attribution", "done": False}
    product, channel, last_click = found
    price = ws.db.execute("SELECT price_minor, currency FROM products WHERE id = ?", (product,)).fetchone()
    amount = Money(price[0], price[1]) if price and price[0] else Money(9900, ws.config.currency)
    commission = Money(amount.minor * 6 // 100, amount.currency)
    # placed a little after the last click (never in the future: a fresh demo's clicks are seconds old)
    ordered = to_utc_iso(min(from_iso(last_click) + timedelta(minutes=25), utcnow()))
    path = ws.home / "orders-without-channel.csv"
    path.write_text("order_id,product,channel,status,amount,commission,currency,ordered_at,updated_at\n"
                    f"{ORDER_ID},{product},,pending,{amount.decimal_str()},{commission.decimal_str()},"
                    f"{amount.currency},{ordered},{ordered}\n", encoding="utf-8")
    import_orders(ws, path, "csv")   # its attribution pass credits the line it stored
    line = next((r for r in list_orders(ws.db, source=product.split(":")[0]) if r.order_id == ORDER_ID), None)
    hours = int(window_of(ws.config).total_seconds() // 3600)
    shown = line.shown_channel() if line else "-"
    say(f"attribution: order {ORDER_ID} ({product}) came back without a channel;")
    say(f"  only {channel} links of it were clicked by people in the {hours}h before,")
    say(f"  so the import credited it: `orders list` shows `{shown}`")
    report = earnings_report(ws, by="channel", attribution="all")
    row = next((r for r in report.rows if r.key == inferred_label(channel)), None)
    if row is not None:
        say(f"  report --by channel --attribution all: {row.key} {row.orders} order(s) {row.estimated}")
    return {"step": "attribution", "done": True, "order": ORDER_ID, "product": product, "channel": channel,
            "inferred": line.inferred_channel if line else None, "shown": shown,
            "ordered_at": local_iso(line.ordered_at, ws.config.timezone) if line else None}
