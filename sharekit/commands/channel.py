"""`sharekit channel add|list`: where links are shared (groups, Moments, friends who re-share)."""

from __future__ import annotations

from enum import StrEnum

import typer

from ._common import fmt_money, out, print_json, sub_app, workspace


class Kind(StrEnum):
    """Channel kinds (mirrors sharekit.tracking.channels.KINDS)."""

    group = "group"
    moments = "moments"
    friend = "friend"
    other = "other"

channel_app = sub_app("Add and list channels: where you share links (a WeChat group, Moments, a friend).")


def register(app: typer.Typer) -> None:
    app.add_typer(channel_app, name="channel")


@channel_app.command("add")
def add(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Channel name: 1-32 letters, digits, '_' or '-' (sent as the sub-id)."),
    kind: Kind = typer.Option(None, "--kind",
                              help="group, moments, friend or other (new channels default to other)."),
    note: str = typer.Option(None, "--note", help="A note for you, e.g. who runs the group."),
    threshold: str = typer.Option(None, "--threshold", help="Spending that unlocks group deals, e.g. 100 or ¥100."),
    share: str = typer.Option(None, "--share", help="A friend's share of the commission, e.g. 0.3 or 30%."),
    json_out: bool = typer.Option(False, "--json", help="Print the channel as JSON."),
) -> None:
    """Add a channel, or change the given fields of an existing one.

    Example: sharekit channel add friend_lili --kind friend --share 30% --note "Lili, pays monthly"
    """
    from ..tracking.channels import add_channel, parse_share, parse_threshold

    ws = workspace(ctx)
    saved = add_channel(
        ws.db, name, kind=Kind(kind).value if kind else None, note=note,
        threshold=parse_threshold(threshold, ws.config.currency) if threshold else None,
        share=parse_share(share) if share else None,
    )
    if json_out:
        print_json(saved.channel.to_json(ws.config.timezone))
        return
    ch = saved.channel
    extras = []
    if ch.threshold:
        extras.append(f"threshold {ch.threshold}")
    if ch.share is not None:
        extras.append(f"share {ch.share}")
    verb = "Added" if saved.created else "Updated"
    out().print(f"{verb} channel {ch.name} ({ch.kind}{', ' + ', '.join(extras) if extras else ''})", markup=False)


@channel_app.command("list")
def list_cmd(
    ctx: typer.Context,
    kind: Kind = typer.Option(None, "--kind", help="Only channels of this kind."),
    json_out: bool = typer.Option(False, "--json", help="Print as JSON."),
) -> None:
    """List channels with their kind, note, threshold and share.

    Example: sharekit channel list --json
    """
    from ..tracking.channels import list_channels

    ws = workspace(ctx)
    channels = list_channels(ws.db, kind=Kind(kind).value if kind else None)
    if json_out:
        print_json([c.to_json(ws.config.timezone) for c in channels])
        return
    from rich.table import Table

    table = Table(title="Channels", title_justify="left")
    for name in ("name", "kind", "threshold", "share", "note"):
        table.add_column(name)
    for c in channels:
        table.add_row(c.name, c.kind, fmt_money(c.threshold), "-" if c.share is None else str(c.share), c.note or "")
    out().print(table)
    if not channels:
        out().print("No channels yet: `sharekit channel add wechat_group_a --kind group`.")
