"""`sharekit pull SOURCE`: pull products from a configured source into the store."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer

from ..core.limits import MAX_LIST_LIMIT
from ._common import err, interactive, out, print_json, workspace

if TYPE_CHECKING:
    from ..catalog.pull import PullProgress, PullSummary
    from ..store.workspace import Workspace

MAX_PROBLEMS_SHOWN = 20


def register(app: typer.Typer) -> None:
    app.command("pull")(pull)


def pull(
    ctx: typer.Context,
    source: str = typer.Argument(..., metavar="SOURCE",
                                 help="A configured source name ([sources.NAME] in config.toml)."),
    query: str | None = typer.Option(None, "--query", "-q", help="Search text: pull matching products only."),
    ids: str | None = typer.Option(None, "--ids", help="Comma-separated product ids (NATIVE_ID or SOURCE:ID)."),
    limit: int | None = typer.Option(None, "--limit", "-n", min=1, max=MAX_LIST_LIMIT, help="Pull at most N products."),
    no_images: bool = typer.Option(False, "--no-images", help="Do not download product images."),
    strict: bool = typer.Option(False, "--strict", help="Refuse the whole feed on its first bad row "
                                "(nothing is written)."),
    allow_shrink: bool = typer.Option(False, "--allow-shrink", help="Accept a full listing that is empty or "
                                      "much shorter than the stored catalog (mark the rest unavailable)."),
    json_out: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """Pull products from SOURCE into the local store, with their images.

    Each page is stored in one transaction; a price-history row is kept only when a price
    changes; a full listing (no --query/--ids/--limit) marks products the source no longer
    lists as unavailable (they are never deleted). Bad feed rows are skipped and listed.
    An empty listing, or one under [catalog] min_listing_share (0.5) of the stored catalog,
    marks nothing unavailable and exits 1 (--allow-shrink accepts it).

    Example: sharekit pull shop --limit 50
    """
    from ..catalog.pull import pull as run_pull

    ws = workspace(ctx)
    try:
        if json_out or not interactive():
            summary = run_pull(ws, source, query=query, ids=ids, limit=limit, images=not no_images, strict=strict,
                               allow_shrink=allow_shrink)
        else:
            summary = _with_progress(ws, source, query, ids, limit, not no_images, strict, allow_shrink)
    finally:
        ws.close()
    if json_out:
        print_json(summary.to_json())
    else:
        _render(summary)
    if summary.shrink_refused:
        if not json_out:
            from rich.markup import escape

            err().print(f"[bold red]Error:[/] {escape(source)}: {escape(summary.shrink_refused)}")
        raise typer.Exit(1)


def _with_progress(ws: Workspace, source: str, query: str | None, ids: str | None, limit: int | None,
                   images: bool, strict: bool, allow_shrink: bool) -> PullSummary:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from ..catalog.pull import pull as run_pull

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TextColumn("{task.fields[counts]}"), TimeElapsedColumn(), console=out(), transient=True) as bar:
        tasks: dict[str, Any] = {}

        def progress(event: PullProgress) -> None:
            label = f"{source}: products" if event.phase == "products" else f"{source}: images"
            counts = ""
            if event.phase == "products":
                counts = f"+{event.added} ~{event.updated} ={event.unchanged}"
                if event.skipped:
                    counts += f" skipped {event.skipped}"
            if event.phase not in tasks:
                tasks[event.phase] = bar.add_task(label, total=event.total, counts=counts)
            bar.update(tasks[event.phase], completed=event.done, total=event.total, counts=counts)

        return run_pull(ws, source, query=query, ids=ids, limit=limit, images=images, strict=strict,
                        progress=progress, allow_shrink=allow_shrink)


def _render(summary: PullSummary) -> None:
    from rich.markup import escape

    con = out()
    parts = [f"{summary.added} added", f"{summary.updated} updated", f"{summary.unchanged} unchanged",
             f"{summary.unavailable} unavailable", f"{summary.skipped} skipped"]
    con.print(f"[bold]{escape(summary.source)}[/] ({summary.kind}): {', '.join(parts)} "
              f"[dim]({summary.fetched} fetched in {summary.seconds:.1f}s)[/]")
    if summary.price_changes:
        con.print(f"  {summary.price_changes} price change(s) recorded")
    if summary.images_enabled and (summary.images_downloaded or summary.images_reused or summary.images_failed):
        con.print(f"  images: {summary.images_downloaded} downloaded, {summary.images_reused} already cached, "
                  f"{summary.images_failed} failed")
    if not summary.full_listing:
        con.print("  [dim]partial pull (--query/--ids/--limit): nothing was marked unavailable[/]")
    problems = [s.to_json() for s in summary.skipped_rows] + summary.image_problems
    if problems:
        e = err()
        e.print(f"[yellow]{len(problems)} problem(s):[/]")
        for p in problems[:MAX_PROBLEMS_SHOWN]:
            e.print(f"  {escape(p['where'])}: {escape(p['reason'])}")
        if len(problems) > MAX_PROBLEMS_SHOWN:
            e.print(f"  ... and {len(problems) - MAX_PROBLEMS_SHOWN} more (use --json to see all)")
