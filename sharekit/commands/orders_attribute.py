"""`sharekit orders attribute`: credit lines without a channel from the clicks before them."""

from __future__ import annotations

import typer

from ._common import out, print_json, workspace
from ._table import Col, render


def register(orders_app: typer.Typer) -> None:
    orders_app.command("attribute")(attribute_command)


def attribute_command(
    ctx: typer.Context,
    window: str = typer.Option(None, "--window", metavar="DURATION",
                               help="Clicks this long before an order count (default: attribution.window, 24h)."),
    since: str = typer.Option(None, "--since", metavar="WHEN",
                              help="Only lines ordered since WHEN: ISO date/time or 7d."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Credit order lines that came back without a channel to the one channel whose short link for
    that product a person clicked within the window before the order (stored as inferred, beside
    the supplier's own; run again, it changes nothing). Lines whose product was clicked in several
    channels stay unattributed and are listed with their candidates. Runs by itself after every
    sync and import, for the lines they stored.

    Example: sharekit orders attribute --window 12h --json
    """
    from ..core.timeutil import local_iso, parse_when, to_utc_iso
    from ..orders.attribution import attribute_orders, window_of

    with workspace(ctx) as ws:
        tz = ws.config.timezone
        span = window_of(ws.config, window)
        since_at = to_utc_iso(parse_when(since, tz)) if since else None
        result = attribute_orders(ws.db, span, since=since_at)
    if as_json:
        data = result.to_json()
        for item in data["ambiguous"]:
            item["ordered_at"] = local_iso(item["ordered_at"], tz)
        print_json(data)
        return
    console = out()
    hours = result.window_seconds / 3600
    console.print(
        f"{result.considered} line(s) without a channel; window {hours:g}h: {result.credited} credited (inferred), "
        f"{len(result.ambiguous)} with clicks in several channels, {result.unattributed} with no click; "
        f"{result.changed} change(s) stored.", markup=False)
    if result.by_channel:
        console.print("credited: " + ", ".join(f"{name} {n}" for name, n in sorted(result.by_channel.items())),
                      markup=False)
    if result.ambiguous:
        cols = [Col("ordered", fixed=True, drop=2), Col("line", fixed=True), Col("product", fixed=True, drop=1),
                Col("candidates", min=12)]
        cells = [[(local_iso(a.ordered_at, tz) or "")[:16].replace("T", " "), a.order_line, a.product or "-",
                  ", ".join(a.candidates)] for a in result.ambiguous]
        render(cols, cells, title=f"Unattributed: clicked in several channels ({len(cells)})")
