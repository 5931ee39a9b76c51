"""`sharekit events`: what happened (new, settled and refunded orders, thresholds, dead links, failed syncs)."""

from __future__ import annotations

import typer

from ._common import interactive, out, print_json, warn, workspace


def register(app: typer.Typer) -> None:
    app.command("events")(events)


def events(
    ctx: typer.Context,
    since: str = typer.Option("1d", "--since", metavar="WHEN", help="From WHEN: 12h, 1d, 7d or an ISO date/time."),
    kinds: list[str] = typer.Option(None, "--kind", "-k", metavar="KIND",
                                    help="Only this kind (repeatable): order.new, order.settled, order.invalid, "
                                         "channel.threshold_reached, link.dead, source.failed."),
    send: bool = typer.Option(False, "--send", help="Send undelivered events to [notify] webhook now."),
    json_out: bool = typer.Option(False, "--json", help="Print the events as JSON."),
) -> None:
    """A digest of recent events: counts per kind, then one line per event.

    Events are written by `sync`, `orders import` and `link check`, and sent to
    `[notify] webhook` (signed JSON, or WeCom with format = "wecom") when one is set.

    Example: sharekit events --since 1d --kind order.new
    """
    from ..core.timeutil import local_iso, parse_when
    from ..errors import InputError
    from ..events import KINDS, digest, list_events, record_order_events, summary_line
    from ..events.notify import send as send_events

    for kind in kinds or []:
        if kind not in KINDS:
            raise InputError(f"--kind {kind!r} is not an event kind (use {', '.join(KINDS)}).")
    with workspace(ctx) as ws:
        tz = ws.config.timezone
        record_order_events(ws.db, tz=tz)  # catch up on orders written by anything else
        delivery = send_events(ws, force=True) if send else None
        found = list_events(ws.db, since=parse_when(since, tz), kinds=kinds or [])
        undelivered = ws.db.execute("SELECT count(*) FROM events WHERE delivered_at IS NULL").fetchone()[0]
        webhook = bool(ws.config.get("notify.webhook"))
    if json_out:
        print_json({"since": since, "counts": digest(found), "events": [e.to_json(tz) for e in found],
                    "undelivered": undelivered if webhook else None,
                    "sent": delivery.to_json() if delivery is not None else None})
    else:
        con = out()
        counts = digest(found)
        con.print(f"{len(found)} event(s) since {since}" + (": " + ", ".join(f"{k} {v}" for k, v in counts.items())
                                                           if counts else "."), markup=False)
        for e in found:
            con.print(f"{(local_iso(e.created_at, tz) or '')[:16].replace('T', ' ')}  {summary_line(e)}",
                      markup=False, soft_wrap=True)
        if send and delivery is None:
            con.print("No [notify] webhook is set: sharekit config set notify.webhook https://...", markup=False)
        elif delivery is not None:
            con.print(f"Sent {delivery.delivered}; {delivery.failed + delivery.waiting} still queued.", markup=False)
        elif webhook and undelivered and interactive():
            con.print(f"{undelivered} event(s) not delivered yet: `sharekit events --send` retries now.",
                      markup=False)
    if delivery is not None and delivery.error:
        warn(f"webhook: {delivery.error}; the events stay queued for the next run.")
        raise typer.Exit(1)
