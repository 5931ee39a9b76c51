"""`sharekit link create|list|disable`: short links per product and channel."""

from __future__ import annotations

from typing import Any

import typer

from ._common import out, print_json, sub_app, warn, workspace

link_app = sub_app("Create, list and disable short links (one per product and channel).")


def register(app: typer.Typer) -> None:
    app.add_typer(link_app, name="link")


def _render(links: list[Any], tz: str, title: str) -> None:
    from rich.table import Table

    from ..core.timeutil import local_iso

    table = Table(title=title)
    for column in ("code", "short URL", "product", "channel", "state", "created", "target"):
        table.add_column(column, overflow="fold")
    for link in links:
        state = "disabled" if link.disabled else ("expired" if not link.is_active() else "active")
        if state == "active" and link.expires_at:
            state = f"until {local_iso(link.expires_at, tz)[:16].replace('T', ' ')}"
        table.add_row(link.code, link.short_url or "-", link.product_id, link.channel or "(none)", state,
                      (local_iso(link.created_at, tz) or "")[:16].replace("T", " "), link.target_url)
    out().print(table)


@link_app.command("create")
def create(
    ctx: typer.Context,
    product: str = typer.Argument(..., help="Product id, SOURCE:NATIVE_ID (see `sharekit products list`)."),
    channel: str = typer.Option("", "--channel", "-c", help="Channel the link is shared in (sub-id for the supplier)."),
    slug: str = typer.Option(None, "--slug", help="Custom short code (3-32 letters, digits, '-'); refused if taken."),
    expires: str = typer.Option(None, "--expires", help="Stop working after: 7d, 12h, 2w, an ISO date or time."),
    json_out: bool = typer.Option(False, "--json", help="Print the link as JSON."),
) -> None:
    """Create the short link for a product and channel (the same pair reuses its link).

    Example: sharekit link create jd:100012043978 --channel moments
    """
    from ..tracking.channels import record_share, share_warning
    from ..tracking.links import create_link

    ws = workspace(ctx)
    too_soon = share_warning(ws.db, product, channel, int(ws.config.get("channels.min_days_between", 3) or 0))
    link = create_link(ws, product, channel, slug=slug, expires=expires)
    record_share(ws.db, product, channel, "link")
    if too_soon:
        warn(too_soon)
    tz = ws.config.timezone
    if json_out:
        print_json(link.to_json(tz))
        return
    verb = "Created" if link.created else "Reusing"
    out().print(f"{verb} link {link.code} for {link.product_id}"
                + (f" in channel {link.channel}" if link.channel else "") + ".")
    out().print(f"Share: {link.share_url}")
    if not link.short_url:
        out().print("(No server.base_url set: posters carry the target URL itself. "
                    "Set it with `sharekit config set server.base_url https://s.example.com`.)")


@link_app.command("list")
def list_(
    ctx: typer.Context,
    channel: str = typer.Option(None, "--channel", "-c", help="Only links of this channel."),
    product: str = typer.Option(None, "--product", "-p", help="Only links of this product (SOURCE:NATIVE_ID)."),
    active: bool = typer.Option(False, "--active", help="Only links that work (not disabled, not expired)."),
    json_out: bool = typer.Option(False, "--json", help="Print every matching link as JSON."),
) -> None:
    """List short links, newest first.

    Example: sharekit link list --channel moments --json
    """
    from ..tracking.links import list_links

    ws = workspace(ctx)
    links = list_links(ws, channel=channel, product=product, active_only=active)
    tz = ws.config.timezone
    if json_out:
        print_json([link.to_json(tz) for link in links])
        return
    if not links:
        out().print("No links yet. Create one with `sharekit link create PRODUCT --channel C`.")
        return
    _render(links, tz, f"{len(links)} link(s)")


@link_app.command("disable")
def disable(
    ctx: typer.Context,
    code: str = typer.Argument(..., help="The short code (case does not matter)."),
) -> None:
    """Disable a short link: the server answers 404 for it from now on.

    Example: sharekit link disable 7KQ4MX
    """
    from ..tracking.links import disable_link

    link = disable_link(workspace(ctx), code)
    out().print(f"Disabled link {link.code} ({link.product_id}" + (f", {link.channel}" if link.channel else "") + ").")
