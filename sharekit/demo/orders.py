"""Demo step: import the bundled generic order CSV."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..orders.importers import import_orders

if TYPE_CHECKING:
    from ..store.workspace import Workspace


def demo_step(ws: Workspace, examples: Path, say: Callable[[str], None]) -> dict[str, Any]:
    """Demo: import the bundled generic order CSV (products ``demo:SK1001``...; they need not exist)."""
    path = Path(examples) / "orders" / "demo-orders.csv"
    result = import_orders(ws, path, "csv")
    if result.already_imported:
        say(f"orders: {path.name} was already imported; nothing changed")
    else:
        say(f"orders: imported {result.imported} order lines from {path.name} "
            f"({result.inserted} new, {result.updated} updated, {len(result.skipped)} skipped)")
    return {"step": "orders import", "done": True, "file": str(path), "inserted": result.inserted,
            "updated": result.updated, "already_imported": result.already_imported}
