"""`sharekit orders import FILE --format csv|amazon`: order report files into the store."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

import typer

from ..errors import ExitCode
from ._common import out, print_json, warn, workspace


class Format(StrEnum):
    csv = "csv"
    amazon = "amazon"


def register(orders_app: typer.Typer) -> None:
    orders_app.command("import")(import_command)


def import_command(
    ctx: typer.Context,
    file: Path = typer.Argument(..., help="The order report file (CSV or TSV; UTF-8, GBK or GB18030)."),
    fmt: Format = typer.Option(..., "--format", "-f", help="csv: the generic order CSV (see the README); "
                               "amazon: an Associates earnings/orders report download."),
    source: str = typer.Option(None, "--source", "-s", help="Source name for rows whose product has no "
                               "SOURCE: prefix (csv), or the Amazon source the report belongs to."),
    strict: bool = typer.Option(False, "--strict", help="Import nothing if any row is bad."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Import an order report file; the same file twice changes nothing, a newer one moves statuses on.

    Exits 1 when any row was skipped as bad (so a cron job notices), 0 otherwise; orders for
    products not in the catalog are imported and named in a note.

    Example: sharekit orders import earnings.tsv --format amazon
    """
    from ..orders.importers import import_orders

    with workspace(ctx) as ws:
        result = import_orders(ws, file, fmt.value, strict, source=source)
    if as_json:
        print_json(result.to_json())
        _exit_if_skipped(result)
        return
    console = out()
    if result.already_imported:
        console.print(f"{file}: already imported (same sha256); nothing changed.")
        return
    kind = f" ({result.report} report)" if result.report else ""
    console.print(
        f"{file}{kind}: {result.imported} of {result.rows} rows imported — {result.inserted} new, "
        f"{result.updated} updated, {result.unchanged} unchanged"
        + (f", {result.ignored} ignored (older status than stored)" if result.ignored else "")
        + (f", {result.credited} without a channel credited from clicks (inferred)" if result.credited else "")
        + (f", {result.ambiguous} clicked in several channels (see `sharekit orders attribute`)"
           if result.ambiguous else "")
        + (f"; sources: {', '.join(result.sources)}" if result.sources else "") + ".")
    for problem in result.skipped[:20]:
        warn(f"{file}, line {problem.line}: {problem.error} (skipped)")
    if len(result.skipped) > 20:
        warn(f"... and {len(result.skipped) - 20} more bad rows skipped")
    if result.unknown_statuses:
        warn(f"statuses not recognised, stored as unknown: {', '.join(result.unknown_statuses)}")
    if result.unknown_products:
        names = ", ".join(result.unknown_products[:5])
        more = f" and {len(result.unknown_products) - 5} more" if len(result.unknown_products) > 5 else ""
        console.print(f"Note: {len(result.unknown_products)} product(s) ordered are not in the catalog ({names}{more}):"
                      " imported; pull their source to see titles and prices.", markup=False)
    _exit_if_skipped(result)


def _exit_if_skipped(result: object) -> None:
    """Exit 1 when bad rows were skipped: the import worked, but a cron job must notice."""
    if getattr(result, "skipped", None):
        raise typer.Exit(int(ExitCode.ERROR))
