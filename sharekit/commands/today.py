"""`sharekit today`: what to share in each channel today, with the reason for each pick."""

from __future__ import annotations

import typer

from ._common import interactive, out, print_json, warn, workspace


def register(app: typer.Typer) -> None:
    app.command("today")(today)


def today(
    ctx: typer.Context,
    channel: list[str] = typer.Option(None, "--channel", "-c",
                                      help="Pick for this channel (repeat for several; default: every channel "
                                           "except self ones)."),
    count: int = typer.Option(None, "--count", "-n", min=1, max=100,
                              help="Picks per channel (default [channels] daily_count, 5)."),
    explain: bool = typer.Option(False, "--explain", help="Show the parts of each score."),
    posters: bool = typer.Option(False, "--posters",
                                 help="Render the picks' posters and share texts into posters/today/DATE/CHANNEL/ "
                                      "and record the shares."),
    template: str = typer.Option(None, "--template", "-t", help="Poster template for --posters."),
    json_out: bool = typer.Option(False, "--json", help="Print the picks as JSON."),
) -> None:
    """Pick, per channel, the products most worth sharing now, each with a reason you can check.

    Never picks a product that is unavailable, whose coupon ended, that was shared to the channel
    within [channels] min_days_between days or whose orders often come back invalid; never goes
    over [channels] max_shares_per_day. A price drop counts only against prices sharekit itself
    saw in the last 30 days.

    Example: sharekit today --channel mama_group --posters
    """
    from ..today import pick_today, render_picks
    from .channel import require_channel

    ws = workspace(ctx)
    for name in channel or ():
        require_channel(ws, name, offer_create=False)
    results = pick_today(ws, channel or None, count=count)
    warnings: list[str] = []
    if posters:
        if interactive() and not json_out:
            with out().status("Rendering today's posters…"):
                warnings = render_picks(ws, results, template=template)
        else:
            warnings = render_picks(ws, results, template=template)
    if json_out:
        print_json({"channels": [r.to_json() for r in results], "warnings": warnings})
        return
    _print(results, explain, posters)
    for message in dict.fromkeys(warnings):
        warn(message)


def _print(results: list, explain: bool, posters: bool) -> None:  # type: ignore[type-arg]
    from rich.markup import escape
    from rich.text import Text

    con = out()
    for result in results:
        head = f"[bold]{escape(result.channel)}[/] ({result.kind})"
        if not result.picks:
            if result.left_today == 0:
                reason = f"daily limit reached ({result.shared_today} shared today)"
            else:
                left_out = ", ".join(f"{n} {why}" for why, n in sorted(result.excluded.items()))
                reason = "nothing to share" + (f" (left out: {left_out})" if left_out else "")
            con.print(f"{head}: {reason}")
            continue
        con.print(f"{head}: {len(result.picks)} pick(s), {result.left_today} share(s) left today")
        for n, pick in enumerate(result.picks, 1):
            con.print(f" {n}. {escape(pick.product_id)}  {pick.price.format()}  score {pick.score:.2f}",
                      overflow="fold")
            title = Text(pick.title, no_wrap=True)
            title.truncate(max(20, con.width - 6), overflow="ellipsis")
            con.print(Text("    ") + title)
            for reason in pick.reasons:
                con.print(f"    - {escape(reason)}")
            if explain:
                parts = "  ".join(f"{k} {v:.2f}" for k, v in pick.parts.items())
                con.print(f"    parts: {parts}")
            if posters and pick.poster:
                con.print(f"    poster: {escape(pick.poster)}", soft_wrap=True)
                if pick.short_url:
                    con.print(f"    link: {escape(pick.short_url)}", soft_wrap=True)
