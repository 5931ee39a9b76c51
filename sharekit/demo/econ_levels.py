"""Demo step: two-level sharing (多层次分享, capped at two levels): a friend's parent earns an override."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..orders.importers import import_orders
from ..reports import payouts
from ..tracking.channels import add_channel, channel_names
from ..tracking.links import ensure_link

if TYPE_CHECKING:
    from ..store.workspace import Workspace

CHILD, PARENT, MONTH = "amy", "friend_lili", "2026-11"


def demo_step(ws: Workspace, examples: Path, say: Callable[[str], None]) -> dict[str, Any]:
    """Add ``amy`` (a friend brought in by ``friend_lili``: share 20%, Lili's override 5%), a link and
    her orders, then print November's payout lines for Amy's channel: Amy's own, Lili's override on
    it and what the reseller keeps (they add up to the commission, to the fen)."""
    if PARENT not in channel_names(ws.db):
        add_channel(ws.db, PARENT, kind="friend", share=Decimal("0.3"))
    add_channel(ws.db, CHILD, kind="friend", share=Decimal("0.2"), parent=PARENT, override=Decimal("0.05"),
                note="brought in by Lili")
    code = ensure_link(ws, "demo:SK1005", CHILD).code
    imported = import_orders(ws, Path(examples) / "orders" / "levels-orders.csv", "csv")
    result = payouts(ws, MONTH)
    own = next(r for r in result.rows if r.channel == CHILD and r.kind == "settled")
    cut = next(r for r in result.rows if r.line == "override" and r.via == CHILD and r.kind == "settled")
    kept = next(k for k in result.reseller if k.channel == CHILD and k.kind == "settled")
    say(f"two-level sharing: {CHILD} (share {own.share:%}) was brought in by {PARENT} (override {cut.share:%}); "
        f"link {code}")
    say(f"payout {MONTH} on {CHILD}'s settled {kept.settled}: {CHILD} {own.payout} + {PARENT} override "
        f"{cut.payout} + you keep {kept.kept} (a third level is refused: 传销)")
    return {"step": "two-level payout", "done": True, "link": code, "inserted": imported.inserted,
            "month": MONTH, "settled": kept.settled.to_json(), "own": own.payout.to_json(),
            "override": cut.payout.to_json(), "kept": kept.kept.to_json()}
