"""Demo step: short links for the demo products in two channels, then synthetic visits replayed
through the real redirect app in-process (no sockets), so `sharekit clicks` shows numbers."""

from __future__ import annotations

import asyncio
import functools
import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..core.timeutil import utcnow
from ..tracking.clicks import click_stats
from ..tracking.links import ensure_link
from ..tracking.server.app import RedirectApp

if TYPE_CHECKING:
    from ..store.workspace import Workspace

DEMO_CHANNELS = ("moments", "wechat_group_a")


def demo_step(ws: Workspace, examples: Path, say: Callable[[str], None]) -> dict[str, Any]:
    """Create short links for the demo products in two channels, then replay the synthetic
    visits of ``examples/tracking/demo_clicks.json`` through the real ASGI app in-process
    (no network), so `sharekit clicks` shows numbers."""


    products = [r["id"] for r in ws.db.execute(
        "SELECT id FROM products WHERE source = 'demo' AND available = 1 ORDER BY id")]
    if not products:
        say("click tracking: no demo products in the store (the catalog step pulls them); skipped")
        return {"step": "tracking", "done": False, "links": 0, "clicks": 0}
    spec = json.loads((examples / "tracking" / "demo_clicks.json").read_text(encoding="utf-8"))
    channels = spec.get("channels") or list(DEMO_CHANNELS)
    links: dict[tuple[str, str], str] = {}
    for product in products:
        for channel in channels:
            links[(product, channel)] = ensure_link(ws, product, channel).code
    say(f"click tracking: {len(links)} short links for {len(products)} products in channels {', '.join(channels)}")
    already = ws.db.execute("SELECT COUNT(*) FROM clicks").fetchone()[0]
    if already:  # a re-run of the demo does not add the same synthetic visits twice
        say(f"click tracking: {already} clicks already recorded; not replaying the synthetic visits again")
        sent = 0
    else:
        sent = asyncio.run(_replay(ws.home, spec, links, products))
    stats = click_stats(ws, "channel")
    say(f"click tracking: replayed {sent} synthetic visits through the redirect app: "
        f"{stats.total.clicks} clicks ({stats.total.qr} from poster QR codes), "
        f"{stats.total.visitors} visitors ({stats.total.returning or 0} returning: seen on an earlier day), "
        f"{stats.total.bots} bot hits; try `sharekit clicks --by channel`")
    return {"step": "tracking", "done": True, "links": len(links), "clicks": stats.total.clicks,
            "bots": stats.total.bots, "sent": sent}


async def _replay(home: Path, spec: dict[str, Any], links: dict[tuple[str, str], str], products: list[str]) -> int:
    """Send the spec's visits to the ASGI app directly (an in-process ASGI call, no sockets)."""
    app = RedirectApp(home, mode="queue")
    await app.startup()
    classify = app.classifier.click   # the real classifier; a visit `days_ago` is stamped that many days back
    sent = 0
    try:
        for visit in spec["visits"]:
            product = products[int(visit.get("product", 0)) % len(products)]
            code = links[(product, visit["channel"])]
            back = int(visit.get("days_ago", 0))
            app.classifier.click = (functools.partial(classify, now=utcnow() - timedelta(days=back))  # type: ignore[method-assign]
                                    if back else classify)
            for n in range(int(visit.get("times", 1))):
                ip = visit.get("ip", "203.0.113.10").replace("{n}", str(n))
                status = await _call(app, visit.get("method", "GET"), f"/{code}",
                                     "s=q" if visit.get("qr") else "", visit.get("ua", ""), ip)
                if status not in (200, 302):  # pragma: no cover - the demo's own links exist
                    raise RuntimeError(f"demo click on {code} answered {status}")
                sent += 1
    finally:
        app.classifier.click = classify  # type: ignore[method-assign]
        await app.shutdown()
    return sent


async def _call(app: Any, method: str, path: str, query: str, user_agent: str, ip: str) -> int:
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method, "scheme": "http",
        "path": path, "raw_path": path.encode(), "query_string": query.encode(), "root_path": "",
        "headers": [(b"host", b"demo.local"), (b"user-agent", user_agent.encode())],
        "client": (ip, 50000), "server": ("demo.local", 80),
    }
    status = 0

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope, receive, send)
    return status
