"""`sharekit poster PRODUCT... | --all` and `sharekit poster templates`: share posters with your QR code."""

from __future__ import annotations

from typing import Any

import click
import typer
from typer.core import TyperGroup

from ..errors import ExitCode
from ._common import err, interactive, out, print_json, sub_app, warn, workspace


class PosterGroup(TyperGroup):
    """``poster`` is both a command and a group: anything that is not a subcommand renders."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("-h", "--help"):
            args = ["render", *args]
        return super().parse_args(ctx, args)


poster_app = sub_app(
    "Render share posters (product photo, title, price, coupon, QR, brand). "
    "`sharekit poster PRODUCT... | --all` renders (short for `poster render`); "
    "`sharekit poster templates` lists the templates.",
    cls=PosterGroup,
)


def register(app: typer.Typer) -> None:
    app.add_typer(poster_app, name="poster")


@poster_app.command("render")
def render(
    ctx: typer.Context,
    products: list[str] = typer.Argument(None, help="Products as SOURCE:ID (e.g. jd:100012043978).",
                                         show_default=False, metavar="PRODUCT..."),
    all_products: bool = typer.Option(False, "--all", help="Every available product in the store."),
    source: str = typer.Option(None, "--source", "-s", help="Only products from this source."),
    template: str = typer.Option(None, "--template", "-t",
                                 help="Built-in template name (moments, square, card) or a .toml path; "
                                      "several comma-separated (moments,square) give one poster each."),
    channel: list[str] = typer.Option(None, "--channel", "-c",
                                      help="Channel whose link the QR carries; repeat for several."),
    out_dir: str = typer.Option(None, "--out", "-o", help="Output folder (default: the home's posters/)."),
    fmt: str = typer.Option(None, "--format", "-f", help="jpg, png or webp (default from config: jpg)."),
    jobs: int = typer.Option(None, "--jobs", "-j", min=1, max=64, help="Worker processes (default: the core count)."),
    force: bool = typer.Option(False, "--force", help="Re-render posters that are already up to date."),
    create_channel: bool = typer.Option(False, "--create-channel", help="Add each --channel first if it is new."),
    strict: bool = typer.Option(False, "--strict",
                                help="Exit 1 when a product is out of stock or delisted, or a poster shows a "
                                     "placeholder instead of the photo."),
    variants: bool = typer.Option(False, "--variants",
                                  help="Give each template's poster a short link of its own, so `report --by "
                                       "template` tells their scans, orders and earnings apart."),
    quiet_repeats: bool = typer.Option(False, "--quiet-repeats",
                                       help="No summary line about products shared to the channel lately."),
    json_out: bool = typer.Option(False, "--json", help="Print the result as JSON (per poster: file, share text "
                                                         "and its file, short URL, product title)."),
) -> None:
    """Render one poster (and a share text file beside it) per product and channel.

    Files are named {product}-{channel}-{template}.jpg; unchanged inputs are skipped.
    Warnings come as one summary line each: products shared to the channel in the last
    [channels] min_days_between days, more than [channels] max_shares_per_day in a day,
    unavailable products, posters without their photo.
    `sharekit poster PRODUCT...` is short for `sharekit poster render PRODUCT...`.

    --template moments,square --variants gives each template's poster its own short link, so
    `report --by template` tells which one sells.

    Example: sharekit poster jd:100012043978 --channel wx-group-1 --template moments,square --variants
    """
    from ..poster.batch import make_posters

    if not products and not all_products:
        raise typer.BadParameter("name at least one product (SOURCE:ID) or pass --all.", param_hint="PRODUCT")
    from .channel import require_channel

    ws = workspace(ctx)
    for name in channel or ():
        require_channel(ws, name, create=create_channel)
    progress_cb, finish = _progress(not json_out and interactive())
    try:
        result = make_posters(ws, products or (), all_products=all_products, source=source, template=template,
                              channels=channel or ("",), out=out_dir, fmt=fmt, jobs=jobs, force=force,
                              progress=progress_cb, quiet_repeats=quiet_repeats, variants=variants)
    finally:
        finish()
        ws.close()
    if json_out:
        print_json(result.to_json())
    else:
        for warning in result.warnings:
            warn(warning)
        out().print(f"{result.rendered} rendered, {result.skipped} up to date, {len(result.failed)} failed"
                    f" → {result.out_dir}", markup=False, soft_wrap=True)
        for outcome in result.outcomes:
            if outcome.status == "rendered" and len(result.outcomes) <= 20:
                out().print(f"  {outcome.path}", markup=False, soft_wrap=True)
                if outcome.variant:
                    out().print(f"    variant {outcome.variant}: {outcome.short_url}", markup=False, soft_wrap=True)
        for outcome in result.failed:
            err().print(f"[red]Failed:[/] {outcome.product} ({outcome.channel or 'no channel'}): {outcome.error}",
                        markup=True)
    if result.failed:
        raise typer.Exit(int(ExitCode.ERROR))
    if strict and result.strict_problems:
        if not json_out:
            err().print("--strict: exit 1 (unavailable products or placeholder photos above).")
        raise typer.Exit(int(ExitCode.ERROR))


def _progress(show: bool) -> tuple[Any, Any]:
    if not show:
        return None, lambda: None
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    bar = Progress(TextColumn("posters"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                   console=err(), transient=True)
    task = bar.add_task("posters", total=None)
    bar.start()

    def update(done: int, total: int) -> None:
        bar.update(task, completed=done, total=total)

    return update, bar.stop


@poster_app.command("templates")
def templates(json_out: bool = typer.Option(False, "--json", help="Print as JSON.")) -> None:
    """List the built-in poster templates (use --template PATH for your own TOML file).

    Example: sharekit poster templates --json
    """
    from ..poster.templates import list_templates

    items = list_templates()
    if json_out:
        print_json([t.to_json() for t in items])
        return
    from rich.table import Table

    table = Table()
    table.add_column("name")
    table.add_column("size")
    table.add_column("description")
    for t in items:
        table.add_row(t.name, f"{t.width}x{t.height}", t.description)
    out().print(table)
