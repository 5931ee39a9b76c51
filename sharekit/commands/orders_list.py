"""`sharekit orders list`: the stored order lines, filtered, as a table or JSON."""

from __future__ import annotations

import typer

from ..core.limits import MAX_LIST_LIMIT
from ._common import fmt_money, out, print_json, workspace

TABLE_CAP = 100


def register(orders_app: typer.Typer) -> None:
    orders_app.command("list")(list_command)


def list_command(
    ctx: typer.Context,
    source: str = typer.Option(None, "--source", help="Only this source (its configured name)."),
    status: str = typer.Option(None, "--status", help="pending, confirmed, settled, invalid or unknown."),
    channel: str = typer.Option(None, "--channel", help="Only lines that came through this channel."),
    since: str = typer.Option(None, "--since", metavar="WHEN", help="Ordered since WHEN: ISO date/time or 7d."),
    limit: int = typer.Option(None, "--limit", min=1, max=MAX_LIST_LIMIT,
                              help="At most N lines (JSON gives all by default)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
) -> None:
    """List stored order lines, newest order first.

    Example: sharekit orders list --source jd --status pending --json
    """
    from ..core.timeutil import local_iso, parse_when
    from ..orders.query import list_orders

    with workspace(ctx) as ws:
        tz = ws.config.timezone
        since_at = parse_when(since, tz) if since else None
        cap = limit if (limit or as_json) else TABLE_CAP + 1
        rows = list_orders(ws.db, source=source, status=status, channel=channel, since=since_at, limit=cap)
    if as_json:
        print_json([r.to_json(tz) for r in rows])
        return
    from rich.table import Table

    more = not limit and len(rows) > TABLE_CAP
    rows = rows[:TABLE_CAP] if more else rows
    table = Table(title=f"Orders ({len(rows)}{'+' if more else ''})")
    for col in ("Ordered", "Source", "Order", "Product", "Channel", "Status", "Amount", "Commission"):
        table.add_column(col, justify="right" if col in ("Amount", "Commission") else "left",
                         no_wrap=col in ("Ordered", "Order", "Status", "Amount", "Commission"))
    for r in rows:
        ordered = (local_iso(r.ordered_at, tz) or "")[:16].replace("T", " ")
        table.add_row(ordered, r.source, r.order_id, r.product_title or r.product or "-", r.channel or "-",
                      f"{r.status} ({r.raw_status})", fmt_money(r.amount), fmt_money(r.commission))
    out().print(table)
    if more:
        out().print(f"Showing the newest {TABLE_CAP}; use --limit N or --json for more.")
