"""Benchmark: `sharekit today` over 100,000 products × 10 channels.

Generates PRODUCTS available products (a third with two or three price-history rows in the
last 60 days, coupons with end times, several brands and categories), 10 channels, 50,000
orders and 3,000 shares, then times ``pick_today`` for all 10 channels against a plain SQL
scan of the same tables (products joined with their price-history low and order counts) in the
same run. Goal: under 2 s.

    python benchmarks/today.py                      # 100,000 products
    python benchmarks/today.py --products 10000     # a quick run
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sharekit import Workspace, init_home  # noqa: E402
from sharekit.core.timeutil import to_utc_iso  # noqa: E402
from sharekit.store.db import transaction  # noqa: E402
from sharekit.today.pick import pick_today, plain_scan  # noqa: E402
from sharekit.tracking.channels import add_channel  # noqa: E402

NOW = datetime(2026, 12, 3, 2, 0, tzinfo=UTC)
BRANDS = [f"brand{i}" for i in range(200)]
SHARES = 3_000
CATEGORIES = ["厨房", "母婴", "美妆", "零食", "家纺", "数码", "宠物", "运动"]


def generate(ws: Workspace, n: int, seed: int = 11) -> None:
    rng = random.Random(seed)
    conn = ws.db
    channels = [f"group_{i}" for i in range(8)] + ["moments", "friend_a"]
    for name in channels:
        add_channel(conn, name, kind="moments" if name == "moments" else "friend" if "friend" in name else "group")
    first = to_utc_iso(NOW - timedelta(days=90))
    products, history, orders, shares = [], [], [], []
    for i in range(n):
        pid = f"shop:{i}"
        price = rng.randint(990, 29900)
        coupon = rng.choice([None, None, 500, 1000, 2000])
        end = int((NOW + timedelta(hours=rng.randint(-48, 240))).timestamp() * 1000) if coupon else None
        extra = json.dumps({"category": rng.choice(CATEGORIES), **({"coupon_end_ms": end} if end else {})})
        products.append((pid, "shop", str(i), f"商品 {i}", rng.choice(BRANDS), "CNY", price, price + 3000, coupon,
                         f"0.{rng.randint(2, 30):02d}", extra, first, first, first))
        if i % 3 == 0:
            for k, days in enumerate(sorted(rng.sample(range(1, 60), rng.randint(2, 3)), reverse=True)):
                history.append((pid, "CNY", price + 500 * (2 - k), to_utc_iso(NOW - timedelta(days=days))))
            history.append((pid, "CNY", price, to_utc_iso(NOW - timedelta(hours=5))))
    for k in range(50_000):
        pid = f"shop:{rng.randrange(n)}"
        when = to_utc_iso(NOW - timedelta(days=rng.randint(0, 59)))
        orders.append((f"shop:r{k}", "shop", f"o{k}", pid, rng.choice(channels),
                       rng.choice(["settled", "pending", "invalid"]), "x", "CNY", 9900, 990, when, when, when))
    for _ in range(SHARES):  # about ten a day per channel over a month, none yet today
        shares.append((f"shop:{rng.randrange(n)}", rng.choice(channels), "poster",
                       to_utc_iso(NOW - timedelta(hours=rng.randint(12, 24 * 30)))))
    with transaction(conn):
        conn.executemany(
            "INSERT INTO products (id, source, native_id, title, brand, currency, price_minor, original_price_minor,"
            " coupon_minor, commission_rate, extra, first_seen_at, updated_at, seen_at)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)", products)
        conn.executemany("INSERT INTO price_history (product_id, currency, price_minor, recorded_at) VALUES (?,?,?,?)",
                         history)
        conn.executemany(
            "INSERT INTO orders (id, source, order_id, product_id, channel, status, raw_status, currency,"
            " amount_minor, commission_minor, ordered_at, updated_at, fetched_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            orders)
        conn.executemany("INSERT INTO share_log (product_id, channel, kind, shared_at) VALUES (?,?,?,?)", shares)


def timed(fn, rounds: int) -> list[float]:
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="sk-today-"))
    try:
        init_home(tmp)
        ws = Workspace.open(tmp)
        t0 = time.perf_counter()
        generate(ws, args.products)
        print(f"generated {args.products:,} products, 50,000 orders, 3,000 shares in {time.perf_counter() - t0:.1f} s")
        baseline = timed(lambda: plain_scan(ws.db), args.rounds)
        result: list = []
        picks = timed(lambda: result.append(pick_today(ws, None, count=5, now=NOW)), args.rounds)
        b, p = statistics.median(baseline), statistics.median(picks)
        chosen = sum(len(c.picks) for c in result[-1])
        print(f"plain SQL scan (baseline):        {b * 1000:8.1f} ms")
        print(f"pick_today, 10 channels × 5:      {p * 1000:8.1f} ms  ({chosen} picks)  ratio {p / b:.2f}x baseline")
        print(f"goal: under 2000 ms -> {'met' if p < 2.0 else 'NOT met'}")
        ws.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
