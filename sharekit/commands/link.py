"""`sharekit link create|list|disable`: short links per product and channel."""

from __future__ import annotations

from typing import Any

import typer

from ..errors import ExitCode
from ._common import err, interactive, out, print_json, product_titles, sub_app, warn, workspace
from ._table import COLUMNS_OPTION, WIDE_OPTION, Col, render

link_app = sub_app("Create, list and disable short links (one per product and channel).")


def register(app: typer.Typer) -> None:
    app.add_typer(link_app, name="link")


def _render(links: list[Any], tz: str, title: str, titles: dict[str, str], *, wide: bool = False,
            columns: str | None = None) -> None:
    from ..core.timeutil import local_iso

    cols = [Col("code", fixed=True), Col("short URL", fixed=True), Col("product", fixed=True, drop=2),
            Col("title", drop=3, min=6), Col("channel", fixed=True), Col("state", fixed=True, drop=4),
            Col("created", fixed=True, drop=5), Col("target", drop=6, min=20)]
    rows = []
    for link in links:
        state = "disabled" if link.disabled else ("expired" if not link.is_active() else "active")
        if state == "active" and link.state != "ok":
            state = link.state
        if state == "active" and link.expires_at:
            state = f"until {local_iso(link.expires_at, tz)[:16].replace('T', ' ')}"
        rows.append([link.code, link.short_url or "-", link.product_id, titles.get(link.product_id, ""),
                     link.channel or "(none)", state, (local_iso(link.created_at, tz) or "")[:16].replace("T", " "),
                     link.target_url])
    if not any(link.short_url for link in links):
        cols[1] = Col("short URL", fixed=True, drop=7)  # without server.base_url the column says nothing
    render(cols, rows, title=title, wide=wide, only=columns.split(",") if columns else None)


@link_app.command("create")
def create(
    ctx: typer.Context,
    product: str = typer.Argument(..., help="Product id, SOURCE:NATIVE_ID (see `sharekit products list`)."),
    channel: str = typer.Option("", "--channel", "-c", help="Channel the link is shared in (sub-id for the supplier)."),
    slug: str = typer.Option(None, "--slug", help="Custom short code (3-32 letters, digits, '-'); refused if taken."),
    expires: str = typer.Option(None, "--expires", help="Stop working after: 7d, 12h, 2w, an ISO date or time."),
    create_channel: bool = typer.Option(False, "--create-channel", help="Add the --channel first if it is new."),
    strict: bool = typer.Option(False, "--strict", help="Exit 1 when the product is out of stock or delisted."),
    own: bool = typer.Option(False, "--self",
                             help="A link to buy through yourself: its orders are savings, not income "
                                  "(uses your self channel; makes `me` of kind self if you have none)."),
    quiet_repeats: bool = typer.Option(False, "--quiet-repeats",
                                       help="No warning when the product was shared to the channel lately."),
    json_out: bool = typer.Option(False, "--json", help="Print the link as JSON."),
) -> None:
    """Create the short link for a product and channel (the same pair reuses its link).

    Example: sharekit link create jd:100012043978 --channel moments

    Example: sharekit link create jd:100012043978 --self
    """
    from ..tracking.links import create_link
    from ..tracking.shares import ShareNotes
    from .channel import require_channel

    ws = workspace(ctx)
    if own:
        channel = _self_channel(ws, channel)
    require_channel(ws, channel, create=create_channel)
    row = ws.db.execute("SELECT available FROM products WHERE id = ?", (product,)).fetchone()
    if row is not None and not row[0]:
        warn(f"{product} is out of stock or no longer listed by its source: friends may not be able to buy.")
        if strict:
            err().print("--strict: no link made (exit 1).")
            raise typer.Exit(int(ExitCode.ERROR))
    notes = ShareNotes.from_config(ws, quiet_repeats=quiet_repeats)
    notes.check(product, channel)
    link = create_link(ws, product, channel, slug=slug, expires=expires)
    notes.record(product, channel, "link")
    for line in notes.warnings():
        warn(line)
    tz = ws.config.timezone
    if json_out:
        print_json(link.to_json(tz))
        return
    verb = "Created" if link.created else "Reusing"
    out().print(f"{verb} link {link.code} for {link.product_id}"
                + (f" in channel {link.channel}" if link.channel else "") + ".")
    out().print(f"Share: {link.share_url}", markup=False, soft_wrap=True)  # the URL whole, on one line
    if not link.short_url:
        out().print("(No server.base_url set: posters carry the target URL itself. "
                    "Set it with `sharekit config set server.base_url https://s.example.com`.)")


def _self_channel(ws: Any, channel: str) -> str:
    """The channel of ``--self``: the one given (it must be of kind self), else the self channel."""
    from ..errors import UsageError
    from ..tracking.channels import self_channel_for_link, self_channels

    if channel:
        if channel not in self_channels(ws.db):
            raise UsageError(f"--self with --channel {channel}: that channel is not of kind self.",
                             hint=f"Make it one with `sharekit channel add {channel} --kind self`, or drop --self.")
        return channel
    name, created = self_channel_for_link(ws.db)
    if created:
        err().print("Added channel me (self): orders through it are savings, not income.")
    return name


@link_app.command("list")
def list_(
    ctx: typer.Context,
    channel: str = typer.Option(None, "--channel", "-c", help="Only links of this channel."),
    product: str = typer.Option(None, "--product", "-p", help="Only links of this product (SOURCE:NATIVE_ID)."),
    active: bool = typer.Option(False, "--active", help="Only links that work (not disabled, not expired)."),
    json_out: bool = typer.Option(False, "--json", help="Print every matching link as JSON."),
    wide: bool = WIDE_OPTION,
    columns: str = COLUMNS_OPTION,
) -> None:
    """List short links, newest first.

    Example: sharekit link list --channel moments --json
    """
    from ..tracking.links import list_links
    from .channel import require_seen_channel

    ws = workspace(ctx)
    require_seen_channel(ws, channel)
    links = list_links(ws, channel=channel, product=product, active_only=active)
    tz = ws.config.timezone
    if json_out:
        print_json([link.to_json(tz) for link in links])
        return
    if not links:
        out().print("No links yet. Create one with `sharekit link create PRODUCT --channel C`.")
        return
    _render(links, tz, f"{len(links)} link(s)", product_titles(ws, [link.product_id for link in links]),
            wide=wide, columns=columns)



@link_app.command("check")
def check(
    ctx: typer.Context,
    json_out: bool = typer.Option(False, "--json", help="Print what was found as JSON."),
) -> None:
    """Re-check the products behind active links: mark sold-out and coupon-expired ones.

    A product unavailable in its source's last pull makes its links sold_out; a coupon (or
    sale price) whose end time passed makes them coupon_expired. The server then answers such
    a link with a page (已售罄 / 优惠券已过期) offering up to three available products of the
    same source and channel, and the product page anyway. Run `sharekit pull` first for fresh
    availability. Quiet when stdout is not a terminal (cron); `link.dead` events tell you.

    Example: sharekit link check --json
    """
    from ..offers import check_links

    with workspace(ctx) as ws:
        result = check_links(ws)
    if json_out:
        print_json(result.to_json())
        return
    if result.delivery is not None and result.delivery.error:
        warn(f"webhook: {result.delivery.error}; the events stay queued for the next run.")
    if not interactive():
        return
    dead = result.dead
    out().print(f"Checked {result.checked} link(s): {sum(s.state == 'sold_out' for s in dead)} sold out, "
                f"{sum(s.state == 'coupon_expired' for s in dead)} coupon expired "
                f"({len(result.newly_dead)} new), {len(result.revived)} back to ok.", markup=False)
    for s in dead:
        offered = ", ".join(s.alternatives) or "none"
        out().print(f"  {s.code}  {s.product_id}  {s.channel or '(none)'}  {s.state}: {s.reason}; "
                    f"offers {offered}", markup=False, soft_wrap=True)


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
