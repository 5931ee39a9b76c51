"""`sharekit source list|check`: the configured sources and the installed kinds."""

from __future__ import annotations

import typer

from ._common import out, print_json, sub_app, workspace
from ._table import COLUMNS_OPTION, WIDE_OPTION, Col, render

source_app = sub_app("Show configured sources and installed kinds; check a source's endpoint.")


def register(app: typer.Typer) -> None:
    app.add_typer(source_app, name="source")


@source_app.command("list")
def list_(ctx: typer.Context, json_out: bool = typer.Option(False, "--json", help="Print as JSON."),
          wide: bool = WIDE_OPTION, columns: str = COLUMNS_OPTION) -> None:
    """List the sources in config.toml and every installed source kind (built-in and plugins).

    Example: sharekit source list --json
    """
    from ..catalog.admin import list_sources

    with workspace(ctx) as ws:
        report = list_sources(ws)
    if json_out:
        print_json(report.to_json())
        return
    from rich.markup import escape
    from rich.table import Table

    con = out()
    if report.sources:
        cols = [Col("name", fixed=True), Col("kind", fixed=True), Col("location", fixed=True, drop=4),
                Col("products", fixed=True, right=True, drop=2), Col("available", fixed=True, right=True, drop=3),
                Col("last pull", fixed=True, drop=1)]
        render(cols, [[s.name, s.kind if s.installed else f"{s.kind} (not installed)", s.location, str(s.products),
                       str(s.available), (s.last_pull or "-")[:16].replace("T", " ")] for s in report.sources],
               title="configured sources", con=con, wide=wide, only=columns.split(",") if columns else None)
    else:
        con.print("No sources configured. Add one, e.g. "
                  "`sharekit config set sources.shop.kind feed` and `sharekit config set sources.shop.path FILE`.")
    kinds = Table(title="installed kinds", title_justify="left")
    for name in ("kind", "provided by", "status"):
        kinds.add_column(name)
    for k in report.kinds:
        status = "ok" if k.importable else "[red]missing module[/]"
        kinds.add_row(k.name, escape(k.target) + ("" if k.builtin else " (plugin)"), status)
    con.print(kinds)


@source_app.command("check")
def check(ctx: typer.Context,
          name: str = typer.Argument(..., metavar="NAME", help="A configured source name."),
          json_out: bool = typer.Option(False, "--json", help="Print the result as JSON.")) -> None:
    """Make one cheap call to a source and say whether its endpoint and credentials work.

    Exits 1 when the check fails, so scripts and cron can test it.

    Example: sharekit source check shop
    """
    from rich.markup import escape

    from ..catalog.admin import check_source
    from ..errors import ExitCode

    with workspace(ctx) as ws:
        result = check_source(ws, name)
    if json_out:
        print_json(result.to_json())
    elif result.ok:
        out().print(f"[green]ok[/] {escape(name)} ({result.kind}): {escape(result.message)}")
    else:
        from ._common import err

        err().print(f"[bold red]failed[/] {escape(name)} ({result.kind}): {escape(result.message)}")
    if not result.ok:
        raise typer.Exit(int(ExitCode.ERROR))
