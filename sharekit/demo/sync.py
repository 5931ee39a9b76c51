"""Demo step: sync JD and PDD orders offline, replaying recorded gateway answers.

The gateways cannot be reached offline, so ``examples/jd-pdd/*.json`` (the suppliers' real
envelopes) are loaded into the fake gateways of :mod:`sharekit.demo.gateways` (the same ones the
tests serve over HTTP) and answered in-process: signing, envelope parsing, window slicing, status
mapping, exact money and the store are the real code paths.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..core.timeutil import china_wall_clock, utcnow
from ..orders.store import apply_status_changes, confirmed_lines
from ..orders.sync import DEFAULT_LOOKBACK, DEFAULT_OVERLAP, SourceSyncResult, run_windows
from .gateways import transport
from .gateways.jd import JdGateway
from .gateways.pdd import PddGateway

if TYPE_CHECKING:
    from ..store.workspace import Workspace

# Times in the recordings are written ``-Nh`` (N hours before now), so a replay always falls
# inside the suppliers' lookback.
_RELATIVE_JD = re.compile(r'\\"-(\d+)h\\"')
_RELATIVE_PDD = re.compile(r'"-(\d+)h"')


def recorded_jd(text: str, now: datetime) -> JdGateway:
    """A JD gateway (app key and secret ``demo``) holding the recorded order rows."""
    text = _RELATIVE_JD.sub(lambda m: '\\"' + china_wall_clock(now - timedelta(hours=int(m.group(1)))) + '\\"', text)
    envelope = json.loads(text)["jd_union_open_order_row_query_responce"]
    return JdGateway("demo", "demo", rows=json.loads(envelope["queryResult"])["data"])


def recorded_pdd(text: str, now: datetime) -> PddGateway:
    """A PDD gateway (client id and secret ``demo``) holding the recorded orders."""
    text = _RELATIVE_PDD.sub(lambda m: str(int((now - timedelta(hours=int(m.group(1)))).timestamp())), text)
    return PddGateway("demo", "demo", orders=json.loads(text)["order_list_get_response"]["order_list"])


def demo_step(ws: Workspace, examples: Path, say: Callable[[str], None]) -> dict[str, Any]:
    """Sync the recorded JD and PDD orders into the demo store (see the module docstring)."""
    import httpx

    from ..sources.jd import JdSource
    from ..sources.pdd import PddSource

    folder = examples / "jd-pdd"
    now = utcnow().replace(microsecond=0)
    recorded = {"jd": (JdSource, recorded_jd, "jd_order_row_query.json",
                       {"app_key": "demo", "app_secret": "demo", "site_id": "61866"}),
                "pdd": (PddSource, recorded_pdd, "pdd_order_list_increment.json",
                        {"client_id": "demo", "client_secret": "demo", "pid": "1_2"})}
    summary: list[dict[str, Any]] = []
    for name, (cls, gateway_of, filename, settings) in recorded.items():
        gateway = gateway_of((folder / filename).read_text(encoding="utf-8"), now)
        with httpx.Client(transport=transport(gateway)) as client:
            source = cls(name, {**settings, "rate_limit": 0, "endpoint": "https://replay.invalid/router"},
                         client=client)
            result = SourceSyncResult(name)
            run_windows(ws.db, source, result, since=now - timedelta(days=4), now=now, progress=None,
                        lookback=DEFAULT_LOOKBACK, overlap=DEFAULT_OVERLAP)
            if source.settles_orders:
                result.updated += apply_status_changes(ws.db, source.settle_due(confirmed_lines(ws.db, name)))
        counts = dict(ws.db.execute("SELECT status, count(*) FROM orders WHERE source = ? GROUP BY status",
                                    (name,)).fetchall())
        say(f"sync {name}: replayed recorded answers, {result.inserted} order lines stored "
            f"({', '.join(f'{k} {v}' for k, v in sorted(counts.items()))})"
            + (f"; {'; '.join(result.notes)}" if result.notes else ""))
        summary.append({**result.to_json(), "statuses": counts})
    from ..events.notify import after_orders

    after_orders(ws)  # the replayed orders are announced (and sent to a webhook) like a real sync's
    return {"step": "sync", "done": True, "sources": summary}
