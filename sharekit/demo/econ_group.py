"""Demo step: the group's threshold counted per week, its progress line and a progress poster."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..store.workspace import Workspace

GROUP = "wechat_group_a"


def demo_step(ws: Workspace, examples: Path, say: Callable[[str], None]) -> dict[str, Any]:
    """Count the demo group's threshold per week and show the line to post in the group for the
    week of its latest order (the example orders are from the past), plus the progress poster."""
    from ..poster.progress import write_progress_poster
    from ..reports.groups import group_progress
    from ..tracking.channels import channel_names
    from ..tracking.groups import set_period

    if GROUP not in channel_names(ws.db):
        say(f"group progress: no channel {GROUP}; skipped")
        return {"skipped": True}
    set_period(ws.db, GROUP, "week")
    row = ws.db.execute("SELECT max(ordered_at) FROM orders WHERE channel = ?", (GROUP,)).fetchone()
    at = None
    if row and row[0]:
        from ..core.timeutil import from_iso, local_iso

        at = (local_iso(from_iso(row[0]), ws.config.timezone) or "")[:10]
    result = group_progress(ws, GROUP, at=at)
    say(f"channel add {GROUP} --period week (threshold {result.threshold} per week)")
    say(f"group progress of {GROUP} in {result.current.key}, the line to post:")
    say(f"  {result.share_line()}")
    poster = write_progress_poster(ws, result, ws.home / f"progress-{GROUP}.png")
    say(f"progress poster written to {poster}")
    return {"share_line": result.share_line(), "period": result.current.key, "poster": str(poster)}
