"""Demo step: the example channels, then earnings by month and by channel, and a chart."""

from __future__ import annotations

import csv
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..core.money import Money
from ..core.timeutil import parse_local
from ..orders.store import upsert_order_lines
from ..reports import earnings_report
from ..sources.base import OrderLine

if TYPE_CHECKING:
    from ..store.workspace import Workspace


def demo_step(ws: Workspace, examples: Path, say: Callable[[str], None]) -> dict[str, Any]:
    """Add the example channels, then report earnings by month and by channel (and a chart).

    Channels come from ``examples/reports/channels.toml``. The orders are the example order file
    another demo step imported; when the store has none (this step run alone) the small
    ``examples/reports/orders.csv`` is loaded directly so the report is never empty.
    """
    from ..reports.charts import render_chart, text_bars
    from ..tracking.channels import add_channel, parse_share, parse_threshold

    spec = tomllib.loads((examples / "reports" / "channels.toml").read_text(encoding="utf-8"))
    for name, item in spec.get("channels", {}).items():
        add_channel(
            ws.db, name, kind=item.get("kind"), note=item.get("note"),
            threshold=parse_threshold(item["threshold"], ws.config.currency) if item.get("threshold") else None,
            share=parse_share(item["share"]) if item.get("share") else None,
        )
        say(f"channel add {name} ({item.get('kind', 'other')})")
    if ws.db.execute("SELECT count(*) FROM orders").fetchone()[0] == 0:
        n = _load_sample_orders(ws, examples / "reports" / "orders.csv")
        say(f"no orders in the store yet: loaded {n} sample order lines from examples/reports/orders.csv")
    by_month = earnings_report(ws, by="month")
    by_channel = earnings_report(ws, by="channel")
    lines = [f"earnings by month ({by_month.currency}):"]
    for row in by_month.rows:
        lines.append(f"  {row.key}  orders {row.orders}  gmv {row.gmv}  estimated {row.estimated}"
                     f"  settled {row.settled}  lost {row.lost}")
    lines.append(f"earnings by channel ({by_channel.currency}):")
    labels, values, _ = by_channel.series()
    bars = text_bars(labels, values, by_channel.currency)
    for row, bar in zip(by_channel.rows, bars, strict=True):
        lines.append(f" {bar}  {row.clicks} clicks {row.orders} orders")  # fits 80 columns
    if by_channel.unmatched:
        lines.append("  under (none), sub-ids matching no channel: " + ", ".join(sorted(by_channel.unmatched)))
    for line in lines:
        say(line)
    chart = ws.home / "earnings-by-channel.png"
    render_chart(chart, labels, values, by_channel.currency, title="Earnings by channel",
                 clicks=by_channel.series()[2])
    say(f"chart written to {chart}")
    return {"step": "report", "done": True, "text": "\n".join(lines), "chart": str(chart),
            "by_month": by_month.to_json(), "by_channel": by_channel.to_json()}


def _load_sample_orders(ws: Workspace, path: Path) -> int:
    """Load the fallback sample (the generic order CSV columns) through upsert_order_lines."""
    tz = ws.config.timezone
    lines: dict[str, list[OrderLine]] = {}
    with path.open(encoding="utf-8", newline="") as fh:
        for rec in csv.DictReader(fh):
            source, _, native = rec["product"].partition(":")
            cur = rec["currency"]
            lines.setdefault(source, []).append(OrderLine(
                row_id=rec["order_id"], order_id=rec["order_id"], status=rec["status"], raw_status=rec["status"],
                amount=Money.from_decimal(rec["amount"], cur), commission=Money.from_decimal(rec["commission"], cur),
                ordered_at=parse_local(rec["ordered_at"], tz), updated_at=parse_local(rec["updated_at"], tz),
                product_native_id=native or None, channel=rec["channel"],
                list_amount=Money.from_decimal(rec["list_amount"], cur) if rec.get("list_amount") else None,
                settled_at=parse_local(rec["updated_at"], tz) if rec["status"] == "settled" else None,
            ))
    total = 0
    for source, items in lines.items():
        counts = upsert_order_lines(ws.db, source, items)
        total += counts.inserted + counts.updated
    return total
