"""Benchmark: import a generated CSV feed with `pull` against parsing it with csv.DictReader alone.

    python benchmarks/pull.py            # 100,000 rows
    python benchmarks/pull.py --rows 5000

Prints rows/s for the bare parse (the baseline, same file, same run) and for the first import
into a fresh store (no images), the ratio import/parse (goal: at most 3x), and the time of a
second import of the unchanged file (every row unchanged, nothing rewritten).

It also prints a floor: inserting the already-prepared rows (plain tuples read back from the
first import, no parsing, no Python per row beyond sqlite3's own binding) into an empty store
with the same schema, one transaction per 1,000 rows as a pull does. No import can cost less
than reading the file plus that.
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

WORDS = ["保温杯", "电动牙刷", "每日坚果", "四件套", "跑步鞋", "口红", "电饭煲", "瓜子", "充电器", "洗衣液",
         "复印纸", "湿巾", "Stainless", "Wireless", "Organic", "Portable", "Classic", "Pro", "Mini", "Max"]
BRANDS = ["象印", "米家", "三只松鼠", "南极人", "安踏", "完美日记", "苏泊尔", "洽洽", "Anker", "蓝月亮"]


def make_feed(path: Path, rows: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id", "title", "description", "link", "image_link", "price", "sale_price", "coupon",
                         "commission_rate", "availability", "brand", "gtin"])
        for i in range(rows):
            price = rng.randint(990, 99900)
            sale = price - rng.randint(0, price // 3)
            title = " ".join(rng.choice(WORDS) for _ in range(4)) + f" {i}"
            writer.writerow([
                f"SKU{i:07d}", title, f"{title}，品质保证，假一赔十。", f"https://m.example-shop.cn/p/SKU{i:07d}",
                f"https://img.example-shop.cn/{i % 997}/{i}.jpg", f"{price / 100:.2f}", f"{sale / 100:.2f}",
                str(rng.choice([0, 5, 10, 20])), f"{rng.randint(1, 30)}%",
                "in_stock" if rng.random() > 0.05 else "out_of_stock", rng.choice(BRANDS),
                f"69{rng.randint(10**10, 10**11 - 1)}",
            ])


def timed(fn) -> tuple[float, float, object]:
    """(wall seconds, CPU seconds, result) of ``fn()``."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn()
    return time.perf_counter() - wall, time.process_time() - cpu, result


def bare_parse(path: Path) -> int:
    with open(path, newline="", encoding="utf-8") as fh:
        return sum(1 for _ in csv.DictReader(fh))


def store_only(home: Path, rows: list) -> int:
    """Insert ready-made product rows into a fresh store, 1,000 per transaction (the floor)."""
    from sharekit import Workspace, init_home
    from sharekit.catalog.pull import PULL_CACHE_KIB, PULL_CHECKPOINT_PAGES
    from sharekit.store.db import transaction

    init_home(home)
    with Workspace.open(home) as ws:
        conn = ws.db
        conn.execute(f"PRAGMA cache_size = {PULL_CACHE_KIB}")
        conn.execute(f"PRAGMA wal_autocheckpoint = {PULL_CHECKPOINT_PAGES}")
        tuples = [tuple(r) for r in rows]
        sql = f"INSERT INTO products VALUES ({','.join('?' * len(tuples[0]))})"
        for start in range(0, len(tuples), 1000):
            with transaction(conn):
                conn.executemany(sql, tuples[start:start + 1000])
        conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
    return len(tuples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000, help="rows in the generated feed (default 100000)")
    parser.add_argument("--rounds", type=int, default=3,
                        help="interleaved rounds of all four measurements; medians are printed (default 3)")
    args = parser.parse_args()

    from statistics import median

    from sharekit import Workspace, init_home
    from sharekit.catalog.pull import pull
    from sharekit.sources.feed import FeedSource
    from sharekit.store.config import set_value

    results: dict[str, list[tuple[float, float, object]]] = {"base": [], "parsed": [], "first": [], "second": [],
                                                             "floor": []}
    with tempfile.TemporaryDirectory(prefix="sharekit-catalog-pull-") as tmp:
        root = Path(tmp)
        feed = root / "feed.csv"
        make_feed(feed, args.rows)
        size_mb = feed.stat().st_size / 1e6

        def parse_only() -> int:
            with FeedSource("bench", {"path": str(feed), "currency": "CNY"}) as source:
                return sum(len(page) for page in source.iter_products())

        warm = root / "warm"  # import everything a pull needs once, untimed
        init_home(warm)
        with Workspace.open(warm) as ws:
            set_value(ws.config, "sources.bench", {"kind": "feed", "path": str(feed), "currency": "CNY"})
            ws.reload_config()
            pull(ws, "bench", limit=1, images=False)
        # Rounds interleave the baseline and the imports, so a busy machine slows both alike.
        for number in range(max(1, args.rounds)):
            home = root / f"home{number}"
            init_home(home)
            with Workspace.open(home) as ws:
                set_value(ws.config, "sources.bench", {"kind": "feed", "path": str(feed), "currency": "CNY"})
                ws.reload_config()
                results["base"].append(timed(lambda: bare_parse(feed)))
                results["parsed"].append(timed(parse_only))
                results["first"].append(timed(lambda ws=ws: pull(ws, "bench", images=False)))
                results["second"].append(timed(lambda ws=ws: pull(ws, "bench", images=False)))
                prepared = ws.db.execute("SELECT * FROM products").fetchall()
            floor_home = root / f"floor{number}"
            results["floor"].append(timed(lambda h=floor_home, rows=prepared: store_only(h, rows)))

    def mid(key: str) -> tuple[float, float]:
        return median(r[0] for r in results[key]), median(r[1] for r in results[key])

    count = results["base"][0][2]
    base = mid("base")
    first_summary = results["first"][-1][2]
    second_summary = results["second"][-1][2]
    print(f"feed: {count:,} rows, {size_mb:.1f} MB CSV, no images; median of {len(results['base'])} interleaved "
          "round(s); wall time, CPU time in brackets")
    rows = [("csv.DictReader alone (baseline)", "base", ""),
            ("feed parsed to products only", "parsed", ""),
            ("sharekit pull, first import", "first", f"added {first_summary.added:,}"),
            ("sharekit pull, unchanged re-import", "second", f"unchanged {second_summary.unchanged:,}"),
            ("floor: store prepared rows only", "floor", "no parsing at all")]
    for label, key, note in rows:
        wall, cpu = mid(key)
        print(f"{label:36s} {wall:7.2f} s ({cpu:6.2f}) {count / wall:10,.0f} rows/s  "
              f"{wall / base[0]:5.2f}x ({cpu / base[1]:5.2f}x)  {note}")
    first = mid("first")
    ratio = first[0] / base[0]
    print(f"ratio first import / bare parse: {ratio:.2f}x wall, {first[1] / base[1]:.2f}x CPU "
          f"(goal <= 3x: {'met' if ratio <= 3 else 'not met'})")
    print(f"second, unchanged import: {mid('second')[0]:.2f} s")
    floor = mid("floor")[0] / base[0]
    print(f"floor: storing the prepared rows alone costs {floor:.2f}x the bare parse, so an import (which must also "
          f"read the file) costs at least {1 + floor:.2f}x")


if __name__ == "__main__":
    main()
