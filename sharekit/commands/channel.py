"""`sharekit channel add|list|remove|rename`: where links are shared (groups, Moments, friends who re-share)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

import typer

from ..errors import UsageError
from ._common import fmt_money, out, print_json, sub_app, workspace
from ._table import COLUMNS_OPTION, WIDE_OPTION, Col, render


class Kind(StrEnum):
    """Channel kinds (mirrors sharekit.tracking.channels.KINDS)."""

    group = "group"
    moments = "moments"
    friend = "friend"
    other = "other"
    self = "self"

class Period(StrEnum):
    """Threshold periods (mirrors sharekit.tracking.groups.PERIODS)."""

    week = "week"
    month = "month"
    none = "none"


channel_app = sub_app("Add, list, rename and remove channels: where you share links "
                      "(a WeChat group, Moments, a friend).")


def register(app: typer.Typer) -> None:
    from .channel_progress import progress_cmd

    channel_app.command("progress")(progress_cmd)
    app.add_typer(channel_app, name="channel")


@channel_app.command("add")
def add(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Channel name: 1-32 letters, digits, '_' or '-' (sent as the sub-id)."),
    kind: Kind = typer.Option(None, "--kind",
                              help="group, moments, friend, other, or self for your own purchases "
                                   "(savings, not income; new channels default to other)."),
    note: str = typer.Option(None, "--note", help="A note for you, e.g. who runs the group."),
    threshold: str = typer.Option(None, "--threshold", help="Spending that unlocks group deals, e.g. 100 or ¥100."),
    period: Period = typer.Option(None, "--period", help="The threshold counts per week, per month, or none "
                               "(over the report's span)."),
    share: str = typer.Option(None, "--share", help="A friend's share of the commission, e.g. 0.3 or 30%."),
    parent: str = typer.Option(None, "--parent",
                               help="The friend who brought this friend in (two levels at most; '' removes it)."),
    override: str = typer.Option(None, "--override",
                                 help="The parent's cut of this friend's commission, e.g. 5%."),
    json_out: bool = typer.Option(False, "--json", help="Print the channel as JSON."),
) -> None:
    """Add a channel, or change the given fields of an existing one.

    A friend may have a parent friend who earns an override on her orders (two levels at most: a
    deeper chain is what WeChat's rules and 《禁止传销条例》 call 传销, so it is refused).

    Example: sharekit channel add friend_lili --kind friend --share 30% --note "Lili, pays monthly"

    Example: sharekit channel add amy --kind friend --parent friend_lili --share 20% --override 5%
    """
    from ..tracking.channels import add_channel, parse_override, parse_share, parse_threshold

    ws = workspace(ctx)
    saved = add_channel(
        ws.db, name, kind=Kind(kind).value if kind else None, note=note,
        threshold=parse_threshold(threshold, ws.config.currency) if threshold else None,
        share=parse_share(share) if share else None, parent=parent,
        override=parse_override(override) if override else None,
    )
    from ..tracking.groups import period_of, set_period

    if period is not None:
        set_period(ws.db, name, Period(period).value)
    if json_out:
        print_json({**saved.channel.to_json(ws.config.timezone), "period": period_of(ws.db, name)})
        return
    ch = saved.channel
    extras = []
    if ch.threshold:
        extras.append(f"threshold {ch.threshold}" + (f" per {period_of(ws.db, name)}"
                                                     if period_of(ws.db, name) != "none" else ""))
    if ch.share is not None:
        extras.append(f"share {ch.share}")
    if ch.parent:
        extras.append(f"parent {ch.parent}" + (f", override {ch.override}" if ch.override is not None else ""))
    verb = "Added" if saved.created else "Updated"
    out().print(f"{verb} channel {ch.name} ({ch.kind}{', ' + ', '.join(extras) if extras else ''})", markup=False)


@channel_app.command("list")
def list_cmd(
    ctx: typer.Context,
    kind: Kind = typer.Option(None, "--kind", help="Only channels of this kind."),
    json_out: bool = typer.Option(False, "--json", help="Print as JSON."),
    wide: bool = WIDE_OPTION,
    columns: str = COLUMNS_OPTION,
) -> None:
    """List channels with their kind, note, threshold and share.

    Example: sharekit channel list --json
    """
    from ..tracking.channels import list_channels

    ws = workspace(ctx)
    channels = list_channels(ws.db, kind=Kind(kind).value if kind else None)
    if json_out:
        from ..tracking.groups import channel_periods

        periods = channel_periods(ws.db)
        print_json([{**c.to_json(ws.config.timezone), "period": periods.get(c.name, "none")} for c in channels])
        return
    cols = [Col("name", fixed=True), Col("kind", fixed=True), Col("threshold", fixed=True, right=True, drop=2),
            Col("share", fixed=True, right=True, drop=1), Col("parent", fixed=True, drop=4),
            Col("override", fixed=True, right=True, drop=5), Col("note", min=6, drop=3)]
    if channels:
        render(cols, [[c.name, c.kind, fmt_money(c.threshold), "-" if c.share is None else str(c.share),
                       c.parent or "-", "-" if c.override is None else str(c.override),
                       c.note or ""] for c in channels], title="Channels",
               wide=wide, only=columns.split(",") if columns else None)
    if not channels:
        out().print("No channels yet: `sharekit channel add wechat_group_a --kind group`.")


@channel_app.command("remove")
def remove_cmd(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="The channel to remove."),
    force: bool = typer.Option(False, "--force", help="Remove it even though links or orders name it "
                               "(they keep the name; reports list them as unmatched)."),
) -> None:
    """Remove a channel (refused while links or orders use it, unless --force).

    Example: sharekit channel remove mama_gruop
    """
    from ..tracking.channels import remove_channel

    ws = workspace(ctx)
    _known(ws, name)
    usage = remove_channel(ws.db, name, force=force)
    kept = ", ".join(f"{n} {t}" for t, n in sorted(usage.items()))
    out().print(f"Removed channel {name}" + (f" ({kept} keep its name)." if kept else "."), markup=False)


@channel_app.command("rename")
def rename_cmd(
    ctx: typer.Context,
    old: str = typer.Argument(..., help="The channel's current name."),
    new: str = typer.Argument(..., help="Its new name."),
) -> None:
    """Rename a channel everywhere: its links, orders, shares and report counters.

    Links already shared carry the old name as the supplier's sub-id: orders synced later for them
    come back under the old name (add it again as a channel, or keep the old name).

    Example: sharekit channel rename mama_gruop mama_group
    """
    from ..tracking.channels import rename_channel

    ws = workspace(ctx)
    _known(ws, old)
    changed = rename_channel(ws.db, old, new)
    counts = ", ".join(f"{n} {t}" for t, n in sorted(changed.items()) if t != "channels")
    out().print(f"Renamed channel {old} to {new}" + (f" ({counts})." if counts else "."), markup=False)


def _known(ws: Any, name: str) -> None:
    """A usage error naming the closest channel when ``name`` is not one."""
    from ..tracking.channels import channel_names

    names = channel_names(ws.db)
    if name in names:
        return
    raise UsageError(unknown_channel_message(name, names))


def require_channel(ws: Any, name: str, *, create: bool = False, offer_create: bool = True) -> None:
    """A usage error (exit 2) listing the channels and naming the closest when ``name`` is not a
    channel; with ``create`` the channel is added instead. An empty name (no channel) passes.
    ``offer_create`` says the command has ``--create-channel`` (the error then names it)."""
    from ..tracking.channels import add_channel, channel_names

    if not name:
        return
    names = channel_names(ws.db)
    if name in names:
        return
    if create:
        add_channel(ws.db, name)
        return
    how = "--create-channel or " if offer_create else ""
    raise UsageError(unknown_channel_message(name, names), hint=f"Make it with {how}`sharekit channel add {name}`.")


def require_seen_channel(ws: Any, name: str | None) -> None:
    """For a listing's ``--channel`` filter: a usage error naming the closest channel when ``name``
    is neither a channel nor a channel any order or link carries (a typo would list nothing)."""
    from ..tracking.channels import channel_names

    if not name:
        return
    names = channel_names(ws.db)
    if name in names:
        return
    seen = ws.db.execute("SELECT 1 FROM orders WHERE channel = ? UNION ALL SELECT 1 FROM links WHERE channel = ?"
                         " LIMIT 1", (name, name)).fetchone()
    if seen is None:
        raise UsageError(unknown_channel_message(name, names))


def unknown_channel_message(name: str, names: set[str]) -> str:
    """`No channel named X (channels: a, b); did you mean Y?` in one line."""
    from difflib import get_close_matches

    listed = ", ".join(sorted(names)) or "none yet"
    near = get_close_matches(name, sorted(names), n=1, cutoff=0.5)
    return f"No channel named {name} (channels: {listed})" + (f"; did you mean {near[0]}?" if near else ".")
