"""`sharekit clicks`: clicks, unique visitors, bots, QR scans vs link clicks."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

import typer

from ._common import out, print_json, product_titles, workspace
from ._table import COLUMNS_OPTION, WIDE_OPTION, Col, render


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
    wide: bool = WIDE_OPTION,
    columns: str = COLUMNS_OPTION,
) -> None:
    """Show clicks per link, channel, day or product, from counters kept as clicks arrive.

    Clicks are people's clicks (bots are counted apart unless --include-bots); QR = scans of a
    poster's QR code, link = everything else; visitors are the distinct people of each row and span.
    By channel, "visitors / returning": returning ones had opened the channel's links on an earlier day.

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
    span = f" {stats.since or '…'} to {stats.until or 'today'}" if since or until else ""
    keys = [row.product for row in stats.rows] if by == "link" else [row.key for row in stats.rows]
    titles = product_titles(ws, keys) if by in ("link", "product") else {}
    cols = [Col(by, fixed=True)]
    if by == "link":
        cols += [Col("product", fixed=True, drop=3), Col("title", drop=4, min=6), Col("channel", fixed=True)]
    elif by == "product":
        cols += [Col("title", drop=4, min=6)]
    fans = by == "channel"   # visitors / returning (returning: seen in the channel on an earlier day)
    visitors_col = "visitors / returning" if fans else "visitors"
    drops = {"bots": 8, "in WeChat": 7, "link": 6, "QR": 5, visitors_col: 2}
    cols += [Col(name, fixed=True, right=True, drop=drops.get(name, 0))
             for name in ("clicks", visitors_col, "QR", "link", "in WeChat", "bots")]

    def cells(row: Any) -> list[str]:
        out_cells = [row.key if row.key else "(none)"]
        if by == "link":
            total = row is stats.total
            out_cells += [row.product or "", "" if total else titles.get(row.product or "", ""),
                          "" if total else (row.channel or "(none)")]
        elif by == "product":
            out_cells += ["" if row is stats.total else titles.get(row.key or "", "")]
        visitors = f"{row.visitors} / {row.returning or 0}" if fans else str(row.visitors)
        return out_cells + [str(row.clicks), visitors, *(str(v) for v in (row.qr, row.link, row.wechat, row.bots))]

    render(cols, [cells(r) for r in stats.rows], total=cells(stats.total),
           title=f"Clicks by {by}{span}" + (" (bots included)" if include_bots else ""), wide=wide,
           only=columns.split(",") if columns else None)
