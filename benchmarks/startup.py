"""Startup: median wall time of `sharekit --help` against `python -c pass`, and their ratio.

Goal (issue 3): `sharekit --help` costs at most 4x a bare interpreter start.
Run: python benchmarks/startup.py [--runs 15]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time


def median_time(argv: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    base = median_time([sys.executable, "-c", "pass"], args.runs)
    help_ = median_time([sys.executable, "-m", "sharekit", "--help"], args.runs)
    heavy = subprocess.run(
        [sys.executable, "-c", "import sys, sharekit.cli; print(sorted(m for m in ('PIL', 'httpx', 'qrcode') "
         "if m in sys.modules))"], capture_output=True, text=True, check=True).stdout.strip()
    print(f"python -c pass   median {base * 1000:7.1f} ms over {args.runs} runs")
    print(f"sharekit --help  median {help_ * 1000:7.1f} ms over {args.runs} runs")
    print(f"ratio            {help_ / base:7.2f}x   (goal <= 4x)")
    print(f"heavy modules imported by the CLI at startup: {heavy}")


if __name__ == "__main__":
    main()
