"""Demo step: the bundled example catalog as the feed source `demo`, pulled with images."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import NotFoundError

if TYPE_CHECKING:

    from ..store.workspace import Workspace

from ..catalog.pull import pull


# demo ----------------------------------------------------------------------------------------
def demo_step(ws: Workspace, examples: Path, say: Callable[[str], None]) -> dict[str, Any]:
    """Configure the bundled example catalog as the feed source `demo` and pull it, images included."""
    from ..store.config import set_value

    feed = (examples / "catalog" / "products.csv").resolve()
    if not feed.is_file():
        raise NotFoundError(f"The example catalog {feed} is missing.")
    wanted = {"kind": "feed", "path": str(feed), "currency": "CNY"}
    if (ws.config.data.get("sources") or {}).get("demo") != wanted:
        set_value(ws.config, "sources.demo", wanted)
        ws.reload_config()
    say(f"source `demo`: feed {feed.name} ({feed.parent})")
    summary = pull(ws, "demo")
    say(f"pulled {summary.fetched} products: {summary.added} added, {summary.updated} updated, "
        f"{summary.unchanged} unchanged, {summary.skipped} skipped; "
        f"{summary.images_downloaded + summary.images_reused} images cached, {summary.images_failed} failed")
    return {"step": "catalog", "done": True, "source": "demo", **summary.to_json()}
