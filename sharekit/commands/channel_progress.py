"""`sharekit channel progress NAME`: a group's spending toward its threshold, as a line to share or a poster."""

from __future__ import annotations

from pathlib import Path

import typer

from ._common import fmt_money, out, print_json, workspace
from ._table import Col, render


def progress_cmd(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="The channel (a group with a threshold)."),
    at: str = typer.Option(None, "--at", help="The period holding this day (default: now), e.g. 2026-11-20."),
    periods: int = typer.Option(1, "--periods", help="Also show this many periods in all (newest first)."),
    poster: Path = typer.Option(None, "--poster", help="Also render the line as a small poster to this file."),
    template: str = typer.Option("progress", "--template",
                                 help="Progress poster template: built-in `progress` or a .toml path."),
    json_out: bool = typer.Option(False, "--json", help="Print as JSON."),
) -> None:
    """A group's spending in the current week or month and what is left to unlock its group deal.

    Prints a line to post in the group (本群本周已消费¥29.80，还差¥70.20解锁群专享价); --poster
    renders it as a small image with a progress bar (a template with a `progress` block).

    Example: sharekit channel progress mama_group --periods 4 --poster progress.png
    """
    from ..reports.groups import group_progress

    ws = workspace(ctx)
    from .channel import _known

    _known(ws, name)
    result = group_progress(ws, name, at=at, periods=periods)
    written = None
    if poster is not None:
        from ..poster.progress import write_progress_poster

        written = write_progress_poster(ws, result, poster, template)
    if json_out:
        print_json({**result.to_json(), "poster": str(written) if written else None})
        return
    con = out()
    con.print(result.share_line(), markup=False)
    if result.threshold is None:
        con.print(f"({name} has no threshold: `sharekit channel add {name} --threshold 100 --period week`.)",
                  markup=False)
    if periods > 1 and result.period != "none":
        cols = [Col("period", fixed=True), Col("orders", fixed=True, right=True), Col("spent", fixed=True, right=True),
                Col("saved", fixed=True, right=True), Col("unlocked", fixed=True, drop=1)]
        rows = [[p.key or "-", f"{p.orders:,}", fmt_money(p.spent), fmt_money(p.saved) if p.saved is not None else "—",
                 _when(p.unlocked_at, result.tz)] for p in result.history]
        render(cols, rows, title=f"{name}: spending per {result.period}")
        con.print("spent, saved: lines not invalid; saved — = no list price.", markup=False)
    if written:
        con.print(f"Poster written to {written}", markup=False, soft_wrap=True)


def _when(moment, tz: str) -> str:
    from zoneinfo import ZoneInfo

    return "-" if moment is None else moment.astimezone(ZoneInfo(tz)).strftime("%m-%d %H:%M")
