"""`sharekit clicks`: clicks, unique visitors, bots, QR scans vs link clicks."""

from __future__ import annotations

from enum import StrEnum

import typer

from ._common import out, print_json, workspace


class ClicksBy(StrEnum):
    """What `sharekit clicks --by` groups on (a bad value is a usage error, exit 2)."""

    link = "link"
    channel = "channel"
    day = "day"
    product = "product"


def register(app: typer.Typer) -> None:
    app.command("clicks")(clicks)


def clicks(
    ctx: typer.Context,
    by: ClicksBy = typer.Option(ClicksBy.link, "--by", help="Group by link, channel, day or product."),
    since: str = typer.Option(None, "--since", help="From (inclusive): 7d, 12h, an ISO date or time."),
    until: str = typer.Option(None, "--until", help="To (exclusive): 7d, 12h, an ISO date or time."),
    include_bots: bool = typer.Option(False, "--include-bots", help="Count bot hits as clicks too."),
    json_out: bool = typer.Option(False, "--json", help="Print as JSON."),
) -> None:
    """Show clicks per link, channel, day or product, from counters kept as clicks arrive.

    Clicks are people's clicks (bots are counted apart unless --include-bots); QR = scans of a
    poster's QR code, link = everything else; visitors are unique per link and day.

    Example: sharekit clicks --by channel --since 7d
    """
    from ..tracking.clicks import click_stats

    ws = workspace(ctx)
    by = ClicksBy(by).value
    stats = click_stats(ws, by, since, until, include_bots)
    if json_out:
        print_json(stats.to_json())
        return
    if not stats.rows:
        out().print("No clicks yet" + (" in that range" if since or until else "")
                    + ". Share a link and run `sharekit serve`.")
        return
    from rich.table import Table

    span = f" {stats.since or '…'} to {stats.until or 'today'}" if since or until else ""
    table = Table(title=f"Clicks by {by}{span}" + (" (bots included)" if include_bots else ""))
    table.add_column(by)
    if by == "link":
        table.add_column("product")
        table.add_column("channel")
    for name in ("clicks", "visitors", "QR", "link", "in WeChat", "bots"):
        table.add_column(name, justify="right")
    for row in [*stats.rows, stats.total]:
        key = row.key if row.key else "(none)"
        cells = [key]
        if by == "link":
            cells += [row.product or "", (row.channel or "(none)") if row is not stats.total else ""]
        cells += [str(v) for v in (row.clicks, row.visitors, row.qr, row.link, row.wechat, row.bots)]
        table.add_row(*cells, end_section=row is stats.rows[-1])
    out().print(table)
