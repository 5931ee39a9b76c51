"""Benchmark `sharekit sync`: 100,000 order rows from a local fake gateway.

Prints rows/s of the first sync (every row new), of a second sync over the same span (every
row re-read, nothing changed), of a plain incremental re-run, and the ratio of sync time to
the time the local server alone needs to serve those same pages, measured in the same run by
replaying the recorded requests with a bare httpx client.

    python benchmarks/sync.py            # 100,000 JD rows
    python benchmarks/sync.py --rows 5000 --kind pdd
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))   # the fakes live with the tests
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from fakes import GatewayServer  # noqa: E402

from sharekit import Workspace, init_home  # noqa: E402
from sharekit.core.timeutil import china_wall_clock  # noqa: E402
from sharekit.demo.gateways.jd import JdGateway, make_order_rows  # noqa: E402
from sharekit.demo.gateways.pdd import PddGateway, make_orders  # noqa: E402
from sharekit.orders.sync import sync  # noqa: E402
from sharekit.sources.signing import md5_wrap  # noqa: E402
from sharekit.store.config import write_config  # noqa: E402


def replay_jd(url: str, calls: list[dict]) -> float:
    """Send the recorded JD business calls again with a bare httpx client; seconds taken."""
    with httpx.Client() as client:
        began = time.perf_counter()
        for call in calls:
            business = {k: v for k, v in call.items() if k != "method"}
            param_json = json.dumps(business, ensure_ascii=False, separators=(",", ":"))
            params = {"method": call["method"], "app_key": "testkey", "timestamp": china_wall_clock(datetime.now(UTC)),
                      "v": "1.0", "sign_method": "md5", "format": "json"}
            params["sign"] = md5_wrap({**params, "360buy_param_json": param_json}, "testsecret")
            client.post(url, params=params, data={"360buy_param_json": param_json}).raise_for_status()
        return time.perf_counter() - began


def replay_pdd(url: str, calls: list[dict]) -> float:
    with httpx.Client() as client:
        began = time.perf_counter()
        for call in calls:
            params = {k: v for k, v in call.items() if k not in ("sign", "timestamp")}
            params["timestamp"] = str(int(time.time()))
            params["sign"] = md5_wrap(params, "testsecret")
            client.post(url, data=params).raise_for_status()
        return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000, help="order rows to serve (default 100000)")
    parser.add_argument("--kind", choices=("jd", "pdd"), default="jd", help="which gateway (default jd)")
    parser.add_argument("--hours", type=int, default=20, help="span of update times (default 20)")
    args = parser.parse_args()

    now = datetime.now(UTC).replace(microsecond=0)
    start = now - timedelta(hours=args.hours, minutes=30)
    span = timedelta(hours=args.hours)
    if args.kind == "jd":
        gateway = JdGateway()
        gateway.set_rows(make_order_rows(args.rows, start, span))
        path, settings = "/routerjson", {"kind": "jd", "app_key": "testkey", "app_secret": "testsecret",
                                         "site_id": "61866", "order_page_size": 500}
    else:
        gateway = PddGateway()
        gateway.set_orders(make_orders(args.rows, start, span))
        path, settings = "/api/router", {"kind": "pdd", "client_id": "testclient", "client_secret": "testsecret",
                                         "pid": "1_2", "order_page_size": 100}

    with tempfile.TemporaryDirectory() as tmp, GatewayServer(gateway, path) as server:
        home = Path(tmp) / "home"
        init_home(home)
        write_config(home / "config.toml", {"sources": {"bench": {**settings, "endpoint": server.url,
                                                                  "rate_limit": 0}}})
        with Workspace.open(home) as ws:
            since = start - timedelta(minutes=1)
            began = time.perf_counter()
            [first] = sync(ws, ["bench"], since=since)
            first_s = time.perf_counter() - began
            recorded = list(gateway.calls)
            began = time.perf_counter()
            [second] = sync(ws, ["bench"], since=since)
            second_s = time.perf_counter() - began
            began = time.perf_counter()
            [third] = sync(ws, ["bench"])
            third_s = time.perf_counter() - began
            stored = ws.db.execute("SELECT count(*) FROM orders").fetchone()[0]
        for r in (first, second, third):
            if not r.ok:
                raise SystemExit(f"sync failed: {r.error}")
        baseline_s = (replay_jd if args.kind == "jd" else replay_pdd)(server.url, recorded)

    print(f"sync benchmark: {args.kind}, {args.rows:,} rows over {args.hours} h, {len(recorded)} requests")
    print(f"  first sync    : {first.fetched:,} fetched, {first.inserted:,} new in {first_s:.2f} s "
          f"= {first.fetched / first_s:,.0f} rows/s  (stored: {stored:,})")
    print(f"  second sync   : {second.fetched:,} fetched, {second.inserted + second.updated} changed in "
          f"{second_s:.2f} s = {second.fetched / second_s:,.0f} rows/s  (same span, no changes)")
    print(f"  incremental   : {third.fetched:,} fetched, {third.inserted + third.updated} changed in {third_s:.2f} s "
          f"(checkpoint + overlap only)")
    print(f"  baseline      : bare httpx replay of the same {len(recorded)} requests: {baseline_s:.2f} s "
          f"= {args.rows / baseline_s:,.0f} rows/s served")
    print(f"  ratio         : first sync / server alone = {first_s / baseline_s:.2f}x, "
          f"no-change sync / server alone = {second_s / baseline_s:.2f}x")


if __name__ == "__main__":
    main()
