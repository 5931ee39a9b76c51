"""Demo step: the bundled example catalog as the feed source `demo`, pulled with images."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import NotFoundError

if TYPE_CHECKING:

    from ..store.workspace import Workspace

from ..catalog.pull import pull


def _use(ws: Workspace, feed: Path) -> None:
    from ..store.config import set_value

    wanted = {"kind": "feed", "path": str(feed), "currency": "CNY"}
    if (ws.config.data.get("sources") or {}).get("demo") != wanted:
        set_value(ws.config, "sources.demo", wanted)
        ws.reload_config()


def demo_step(ws: Workspace, examples: Path, say: Callable[[str], None]) -> dict[str, Any]:
    """Configure the bundled example catalog as the feed source `demo` and pull it, images included.

    A new demo home first pulls last week's copy of the feed (three prices were higher), so
    the price history holds a real drop.
    """
    feed = (examples / "catalog" / "products.csv").resolve()
    if not feed.is_file():
        raise NotFoundError(f"The example catalog {feed} is missing.")
    last_week = feed.with_name("products-last-week.csv")
    earlier = None
    first_time = ws.db.execute("SELECT 1 FROM products WHERE source = 'demo' LIMIT 1").fetchone() is None
    if first_time and last_week.is_file():
        # last week's prices first, so the store has seen a real drop (`sharekit today` says so)
        _use(ws, last_week)
        earlier = pull(ws, "demo")
        say(f"pulled last week's {last_week.name}: {earlier.fetched} products")
    _use(ws, feed)
    say(f"source `demo`: feed {feed.name} ({feed.parent})")
    summary = pull(ws, "demo")
    say(f"pulled {summary.fetched} products: {summary.added} added, {summary.updated} updated, "
        f"{summary.unchanged} unchanged, {summary.skipped} skipped; "
        f"{summary.images_downloaded + summary.images_reused} images cached, {summary.images_failed} failed")
    return {"step": "catalog", "done": True, "source": "demo", **summary.to_json(),
            "last_week": earlier.to_json() if earlier is not None else None}
