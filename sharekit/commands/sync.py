"""`sharekit sync`: fetch new and changed orders from the suppliers, safe to run from cron."""

from __future__ import annotations

from typing import Any

import typer

from ._common import err, interactive, out, print_json, warn, workspace


def register(app: typer.Typer) -> None:
    app.command("sync")(sync_command)


def sync_command(
    ctx: typer.Context,
    sources: list[str] = typer.Argument(None, metavar="[SOURCE]...",
                                        help="Sources to sync (default: every source with an order API)."),
    since: str = typer.Option(None, "--since", metavar="WHEN",
                              help="Re-read updates since WHEN: an ISO date/time or 90m, 12h, 7d."),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON summary per source."),
) -> None:
    """Fetch new and changed orders from each source and store every status change.

    Resumes where the last run stopped; two runs never overlap (the second exits at once).
    Quiet when stdout is not a terminal, except for errors; exit 1 if any source failed.

    Example: sharekit sync jd --since 12h
    """
    from ..core.timeutil import parse_when
    from ..errors import NotFoundError
    from ..orders.sync import order_sources, sync

    with workspace(ctx) as ws:
        since_at = parse_when(since, ws.config.timezone) if since else None
        names = list(sources or []) or order_sources(ws)
        if not names:
            raise NotFoundError("No source with an order API is configured.",
                                hint="Add a [sources.NAME] table with kind = \"jd\", \"pdd\" or \"taobao\".")
        if interactive() and not as_json:
            results = _with_progress(lambda cb: sync(ws, names, since=since_at, progress=cb))
        else:
            results = sync(ws, names, since=since_at)
    if as_json:
        print_json([r.to_json() for r in results])
    elif interactive():
        _table(results)
    for r in results:
        if not r.ok:
            err().print(f"[bold red]Error:[/] {_escape(r.error or 'failed')}")
        elif r.notes and not interactive() and not as_json:
            for note in r.notes:
                if "unknown" in note:
                    warn(f"{r.source}: {note}")
    if any(not r.ok for r in results):
        raise typer.Exit(1)


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


def _with_progress(run: Any) -> Any:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TextColumn("windows"),
                  TimeElapsedColumn(), console=out(), transient=True) as bar:
        tasks: dict[str, Any] = {}

        def on_progress(event: Any) -> None:
            if event.source not in tasks:
                tasks[event.source] = bar.add_task(event.source, total=event.windows_total)
            bar.update(tasks[event.source], completed=event.windows_done, total=event.windows_total,
                       description=f"{event.source}: {event.fetched} lines")

        return run(on_progress)


def _table(results: list[Any]) -> None:
    from rich.table import Table

    table = Table(title="Order sync")
    for col in ("Source", "OK", "Fetched", "New", "Changed", "Notes"):
        table.add_column(col, justify="right" if col in ("Fetched", "New", "Changed") else "left")
    for r in results:
        notes = "; ".join(r.notes) if r.ok else (r.error or "")
        table.add_row(r.source, "yes" if r.ok else "[red]no[/]", str(r.fetched), str(r.inserted), str(r.updated),
                      _escape(notes))
    out().print(table)
