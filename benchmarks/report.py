"""Benchmark: `report --by day` and `--by channel` over 90 days of a year of orders and clicks.

Generates ORDERS order lines and CLICKS clicks (as click_daily counters, which is what the
report reads) spread over one year, then times the library's ``earnings_report`` for the last
90 days against a plain indexed SQL aggregate over the same data in the same run.
Goal: each report under 0.5 s and within 2x of the baseline.

    python benchmarks/report.py                       # 1,000,000 orders, 5,000,000 clicks
    python benchmarks/report.py --orders 100000 --clicks 500000   # a quick run
"""

from __future__ import annotations

import argparse
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
from sharekit.reports import earnings_report, resolve_bound  # noqa: E402
from sharekit.store.db import transaction  # noqa: E402
from sharekit.tracking.channels import add_channel  # noqa: E402

END = datetime(2026, 11, 26, tzinfo=UTC)
START = END - timedelta(days=365)
OFFSET = "+480 minutes"  # Asia/Shanghai, the configured timezone (no DST)
STATUSES = ["pending"] * 30 + ["confirmed"] * 20 + ["settled"] * 40 + ["invalid"] * 10


def iso(t: datetime) -> str:
    return t.replace(microsecond=0).isoformat()


def generate(ws: Workspace, n_orders: int, n_clicks: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    conn = ws.db
    conn.execute("PRAGMA cache_size = -400000")  # 400 MB while loading: random index inserts stay in memory
    channels = [f"group_{i:02d}" for i in range(16)] + ["moments", "friend_a", "friend_b", "friend_c"]
    for name in channels:
        add_channel(conn, name, kind="friend" if name.startswith("friend") else "group")
    subids = channels + ["stray_1", "stray_2", ""]  # some orders carry unknown or no sub-ids
    n_products = 2000
    products = [f"jd:{100000 + i}" for i in range(n_products)]
    now = iso(END)
    with transaction(conn):
        conn.executemany(
            "INSERT INTO products (id, source, native_id, title, currency, price_minor, first_seen_at, updated_at,"
            " seen_at) VALUES (?,?,?,?,?,?,?,?,?)",
            [(p, "jd", p[3:], f"Product {p}", "CNY", 1990, now, now, now) for p in products],
        )
        links = []
        seen = set()
        while len(links) < 5000:
            product, channel = rng.choice(products), rng.choice(channels)
            if (product, channel) in seen:
                continue
            seen.add((product, channel))
            links.append((f"C{len(links):05d}", product, channel, "https://example.com/x", now))
        conn.executemany("INSERT INTO links (code, product_id, channel, target_url, created_at) VALUES (?,?,?,?,?)",
                         links)
    codes = [link[0] for link in links]

    t0 = time.perf_counter()
    span = (END - START).total_seconds()
    times = sorted(rng.random() * span for _ in range(n_orders))
    rows, history = [], []
    for i, offset in enumerate(times):
        placed = START + timedelta(seconds=offset)
        status = rng.choice(STATUSES)
        currency = "USD" if rng.random() < 0.03 else "CNY"
        amount = rng.randint(500, 50000)
        commission = amount * rng.randint(2, 20) // 100
        key = f"jd:{i}"
        if status == "invalid" and rng.random() < 0.05:  # supplier zeroed it: history keeps the estimate
            history.append((key, "pending", "16", commission, iso(placed), now))
            commission = 0
        rows.append((key, "jd", f"O{i // 2}", rng.choice(products), None, rng.choice(subids), status, status,
                     currency, amount, commission, amount + rng.randint(0, 3000), iso(placed),
                     iso(placed + timedelta(days=3)), now))
    with transaction(conn):
        conn.executemany(
            "INSERT INTO orders (id, source, order_id, product_id, product_title, channel, status, raw_status,"
            " currency, amount_minor, commission_minor, list_amount_minor, ordered_at, updated_at, fetched_at)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)
        conn.executemany(
            "INSERT INTO order_status_history (order_line, status, raw_status, commission_minor, changed_at,"
            " recorded_at) VALUES (?,?,?,?,?,?)", history)
    t_orders = time.perf_counter() - t0

    t0 = time.perf_counter()
    days = [(START + timedelta(days=d)).date().isoformat() for d in range(366)]
    per_day = n_clicks // len(days)
    counters = []
    total = 0
    for d_index, day in enumerate(days):
        budget = per_day + (n_clicks - per_day * len(days) if d_index == len(days) - 1 else 0)
        active = rng.sample(codes, 2000)
        weights = [rng.random() for _ in active]
        scale = budget / sum(weights)
        counts = [int(w * scale) for w in weights]
        counts[0] += budget - sum(counts)
        for code, c in zip(active, counts, strict=True):
            if c > 0:
                counters.append((code, day, c, c // 20, c // 3, c // 2, max(c * 2 // 3, 1)))
                total += c
    with transaction(conn):
        conn.executemany("INSERT INTO click_daily (code, day, clicks, bots, qr, wechat, visitors)"
                         " VALUES (?,?,?,?,?,?,?)", counters)
    conn.execute("ANALYZE")
    conn.execute("PRAGMA cache_size = -2000")  # back to SQLite's default for the timed part
    t_clicks = time.perf_counter() - t0
    print(f"generated {n_orders:,} order lines in {t_orders:.1f} s and {total:,} clicks as "
          f"{len(counters):,} daily counters in {t_clicks:.1f} s")


def baseline_day(conn, lo: str, hi: str, day_lo: str, day_hi: str) -> list:
    orders = conn.execute(
        "SELECT date(ordered_at, ?) AS d, count(*), sum(amount_minor),"
        " sum(CASE WHEN status IN ('pending','confirmed') THEN commission_minor ELSE 0 END),"
        " sum(CASE WHEN status = 'settled' THEN commission_minor ELSE 0 END),"
        " sum(CASE WHEN status = 'invalid' THEN commission_minor ELSE 0 END)"
        " FROM orders WHERE currency = 'CNY' AND ordered_at >= ? AND ordered_at < ? GROUP BY d",
        (OFFSET, lo, hi)).fetchall()
    clicks = conn.execute("SELECT day, sum(clicks) FROM click_daily WHERE day >= ? AND day <= ? GROUP BY day",
                          (day_lo, day_hi)).fetchall()
    return [orders, clicks]


def baseline_channel(conn, lo: str, hi: str, day_lo: str, day_hi: str) -> list:
    orders = conn.execute(
        "SELECT channel, count(*), sum(amount_minor),"
        " sum(CASE WHEN status IN ('pending','confirmed') THEN commission_minor ELSE 0 END),"
        " sum(CASE WHEN status = 'settled' THEN commission_minor ELSE 0 END),"
        " sum(CASE WHEN status = 'invalid' THEN commission_minor ELSE 0 END)"
        " FROM orders WHERE currency = 'CNY' AND ordered_at >= ? AND ordered_at < ? GROUP BY channel",
        (lo, hi)).fetchall()
    clicks = conn.execute(
        "SELECT l.channel, sum(c.clicks) FROM click_daily c JOIN links l ON l.code = c.code"
        " WHERE c.day >= ? AND c.day <= ? GROUP BY l.channel", (day_lo, day_hi)).fetchall()
    return [orders, clicks]


def write_cost(n: int = 20_000) -> tuple[float, float]:
    """Seconds to upsert ``n`` new order lines (then move them all to settled) through
    ``upsert_order_lines``, with the rollup triggers and with them dropped: what rollups cost writers."""
    from sharekit.core.money import Money
    from sharekit.orders.store import upsert_order_lines
    from sharekit.sources.base import OrderLine

    def lines(status: str) -> list[OrderLine]:
        return [OrderLine(row_id=str(i), order_id=str(i), status=status, raw_status=status,
                          amount=Money(1000 + i % 500, "CNY"), commission=Money(50 + i % 40, "CNY"),
                          ordered_at=START + timedelta(minutes=i), updated_at=START + timedelta(minutes=i, days=(
                              status == "settled") * 20), product_native_id=str(i % 300), channel=f"g{i % 20}")
                for i in range(n)]

    pending, settled = lines("pending"), lines("settled")
    results = []
    for keep_triggers in (True, False):
        home = Path(tempfile.mkdtemp(prefix="sharekit-bench-write-"))
        try:
            init_home(home)
            with Workspace.open(home) as ws:
                if not keep_triggers:
                    for (name,) in ws.db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'"
                                                 " AND name LIKE 'report_%'").fetchall():
                        ws.db.execute(f"DROP TRIGGER {name}")
                t0 = time.perf_counter()
                upsert_order_lines(ws.db, "jd", pending)
                upsert_order_lines(ws.db, "jd", settled)
                results.append(time.perf_counter() - t0)
        finally:
            shutil.rmtree(home, ignore_errors=True)
    return results[0], results[1]


def timed(fn, repeat: int) -> tuple[float, object]:
    result = fn()  # warm the page cache
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples), result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=1_000_000, help="order lines to generate")
    parser.add_argument("--clicks", type=int, default=5_000_000, help="clicks to generate (as daily counters)")
    parser.add_argument("--days", type=int, default=90, help="report span, ending at the newest data")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per figure (median shown)")
    parser.add_argument("--keep", type=Path, help="build the store in this folder and keep it")
    args = parser.parse_args()

    home = args.keep or Path(tempfile.mkdtemp(prefix="sharekit-bench-report-"))
    try:
        init_home(home)
        with Workspace.open(home) as ws:
            if ws.db.execute("SELECT count(*) FROM orders").fetchone()[0] == 0:
                generate(ws, args.orders, args.clicks)
            since_s, until_s = (END - timedelta(days=args.days)).date().isoformat(), END.date().isoformat()
            tz = ws.config.timezone
            lo_t, hi_t = resolve_bound(since_s, tz, end=False), resolve_bound(until_s, tz, end=True)
            bounds = (to_utc_iso(lo_t), to_utc_iso(hi_t), since_s, until_s)
            print(f"report span: {since_s} .. {until_s} ({args.days} days, {tz}); median of {args.repeat} runs")
            worst = 0.0
            ok = True
            for by, baseline in (("day", baseline_day), ("channel", baseline_channel)):
                t_lib, report = timed(lambda by=by: earnings_report(ws, by=by, since=since_s, until=until_s),
                                      args.repeat)
                t_base, raw = timed(lambda baseline=baseline: baseline(ws.db, *bounds), args.repeat)
                ratio = t_lib / t_base if t_base else float("inf")
                worst = max(worst, t_lib)
                orders_base = sum(r[1] for r in raw[0])
                gmv_base = sum(r[2] for r in raw[0])
                clicks_base = sum(r[1] for r in raw[1])
                same = (report.totals.orders, report.totals.gmv.minor, report.totals.clicks) == (
                    orders_base, gmv_base, clicks_base)
                ok = ok and same and t_lib < 0.5 and ratio <= 2.0
                print(f"report --by {by:<8} {t_lib * 1000:7.1f} ms   baseline SQL {t_base * 1000:7.1f} ms   "
                      f"ratio {ratio:4.2f}x   rows {len(report.rows)}   orders {report.totals.orders:,}   "
                      f"clicks {report.totals.clicks:,}   totals match baseline: {'yes' if same else 'NO'}")
            print(f"goal: each < 500 ms and <= 2.0x baseline: {'met' if ok else 'NOT met'}")
            with_triggers, without = write_cost()
            print(f"write cost of the rollup triggers: upsert 20,000 new lines then settle them all: "
                  f"{with_triggers:.2f} s with, {without:.2f} s without ({with_triggers / without:.2f}x)")
            return 0 if ok else 1
    finally:
        if args.keep is None:
            shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
