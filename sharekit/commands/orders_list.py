"""`sharekit orders list`: the stored order lines, filtered, as a table or JSON."""

from __future__ import annotations

from enum import StrEnum

import typer

from ..core.limits import MAX_LIST_LIMIT
from ._common import fmt_money, out, print_json, workspace
from ._table import COLUMNS_OPTION, WIDE_OPTION, Col, render

TABLE_CAP = 100


class Status(StrEnum):
    """Order statuses (mirrors sharekit.orders.store.STATUSES); a typo is exit 2 naming the closest."""

    pending = "pending"
    confirmed = "confirmed"
    settled = "settled"
    invalid = "invalid"
    unknown = "unknown"


def register(orders_app: typer.Typer) -> None:
    orders_app.command("list")(list_command)


def list_command(
    ctx: typer.Context,
    source: str = typer.Option(None, "--source", help="Only this source (its configured name)."),
    status: Status = typer.Option(None, "--status", help="Only lines with this status."),
    channel: str = typer.Option(None, "--channel", help="Only lines that came through this channel."),
    since: str = typer.Option(None, "--since", metavar="WHEN", help="Ordered since WHEN: ISO date/time or 7d."),
    limit: int = typer.Option(None, "--limit", min=1, max=MAX_LIST_LIMIT,
                              help="At most N lines (JSON gives all by default)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
    wide: bool = WIDE_OPTION,
    columns: str = COLUMNS_OPTION,
) -> None:
    """List stored order lines, newest order first.

    Example: sharekit orders list --source jd --status pending --json
    """
    from ..core.timeutil import local_iso, parse_when
    from ..orders.query import list_orders
    from .channel import require_seen_channel

    with workspace(ctx) as ws:
        require_seen_channel(ws, channel)
        tz = ws.config.timezone
        since_at = parse_when(since, tz) if since else None
        cap = limit if (limit or as_json) else TABLE_CAP + 1
        rows = list_orders(ws.db, source=source, status=status.value if status else None, channel=channel,
                           since=since_at, limit=cap)
    if as_json:
        print_json([r.to_json(tz) for r in rows])
        return
    if not rows:
        filtered = any(v is not None for v in (source, status, channel, since))
        out().print("No order lines match." if filtered else
                    "No orders yet: `sharekit sync` or `sharekit orders import FILE`.", markup=False)
        return
    more = not limit and len(rows) > TABLE_CAP
    rows = rows[:TABLE_CAP] if more else rows
    cols = [Col("ordered", fixed=True, drop=3), Col("source", fixed=True, drop=6), Col("order", fixed=True, drop=4),
            Col("product", fixed=True), Col("title", drop=2, min=6), Col("channel", fixed=True),
            Col("status", fixed=True, drop=5), Col("amount", fixed=True, right=True),
            Col("commission", fixed=True, right=True, drop=1)]
    cells = [[(local_iso(r.ordered_at, tz) or "")[:16].replace("T", " "), r.source, r.order_id, r.product or "-",
              r.product_title or "", r.shown_channel(), r.status, fmt_money(r.amount), fmt_money(r.commission)]
             for r in rows]
    render(cols, cells, title=f"Orders ({len(rows)}{'+' if more else ''})", wide=wide,
           only=columns.split(",") if columns else None)
    if more:
        out().print(f"Showing the newest {TABLE_CAP}; use --limit N or --json for more.")
