"""Demo step: what to share today in each demo channel, with the reason for the top pick."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..store.workspace import Workspace


def demo_step(ws: Workspace, examples: Path, say: Callable[[str], None]) -> dict[str, Any]:
    """Pick for every channel (nothing rendered, nothing recorded) and say each channel's first pick."""
    from ..today import pick_today

    results = pick_today(ws, count=3)
    for result in results:
        if result.picks:
            top = result.picks[0]
            say(f"today for {result.channel}: {top.product_id} {top.title[:18]}… — {top.reasons[0]}")
        else:
            left_out = ", ".join(f"{n} {why}" for why, n in sorted(result.excluded.items()))
            say(f"today for {result.channel}: nothing new to share ({left_out or 'no candidates'})")
    return {"step": "today", "done": True, "channels": [r.to_json() for r in results]}
