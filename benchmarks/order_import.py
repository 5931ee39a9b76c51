"""Benchmark: `orders import --format csv` throughput against plain csv parsing of the same file.

Run: python benchmarks/order_import.py [--rows N] [--quick]
Prints rows/s for the baseline (csv.reader over the file), a first import (parse, validate,
upsert with status history, one transaction), a re-import of a file where every status moved on,
and the ratio of import time to the baseline.
"""

from __future__ import annotations

import argparse
import csv
import random
import tempfile
import time
from pathlib import Path

HEADER = "order_id,product,channel,status,amount,commission,currency,ordered_at,updated_at\n"


def make_file(path: Path, rows: int, status: str, day: int) -> None:
    rng = random.Random(1)
    with path.open("w", encoding="utf-8") as fh:
        fh.write(HEADER)
        for n in range(rows):
            amount = rng.randint(990, 99900)
            fh.write(f"B{n:08d},demo:SK{n % 12 + 1:03d},ch{n % 7},{status},{amount / 100:.2f},{amount / 1000:.2f},"
                     f"CNY,2026-10-01T10:{n % 60:02d}:00,2026-10-{day:02d}T10:00:00\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=20000)
    parser.add_argument("--quick", action="store_true", help="2,000 rows")
    args = parser.parse_args()
    rows = 2000 if args.quick else args.rows

    from sharekit import Workspace, init_home
    from sharekit.orders.importers import import_orders

    with tempfile.TemporaryDirectory() as tmp:
        tmpdir = Path(tmp)
        first, second = tmpdir / "first.csv", tmpdir / "second.csv"
        make_file(first, rows, "pending", 2)
        make_file(second, rows, "settled", 20)

        t0 = time.perf_counter()
        with first.open(encoding="utf-8", newline="") as fh:
            parsed = sum(1 for _ in csv.reader(fh)) - 1
        baseline = time.perf_counter() - t0
        assert parsed == rows

        home = tmpdir / "home"
        init_home(home)
        with Workspace.open(home) as ws:
            t0 = time.perf_counter()
            r1 = import_orders(ws, first, "csv")
            t_first = time.perf_counter() - t0
            t0 = time.perf_counter()
            r2 = import_orders(ws, second, "csv")
            t_second = time.perf_counter() - t0
            t0 = time.perf_counter()
            r3 = import_orders(ws, second, "csv")
            t_again = time.perf_counter() - t0
        assert (r1.inserted, r2.updated, r3.already_imported) == (rows, rows, True)

    print(f"rows: {rows}")
    print(f"baseline csv.reader parse:      {baseline * 1000:8.1f} ms  {rows / baseline:12,.0f} rows/s")
    print(f"first import (insert+history):  {t_first * 1000:8.1f} ms  {rows / t_first:12,.0f} rows/s")
    print(f"newer file (all statuses move): {t_second * 1000:8.1f} ms  {rows / t_second:12,.0f} rows/s")
    print(f"same file again (sha256 hit):   {t_again * 1000:8.1f} ms")
    print(f"ratio first import / baseline:  {t_first / baseline:8.1f}x")
    print(f"ratio newer file / baseline:    {t_second / baseline:8.1f}x")


if __name__ == "__main__":
    main()
