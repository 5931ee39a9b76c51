"""Startup: median wall time of `sharekit --help` against `python -c pass`, and their ratio.

Goal (issue 3): `sharekit --help` costs at most 4x a bare interpreter start.
Run: python benchmarks/startup.py [--runs 15]   (--runs 3 for a quick look)
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HEAVY = ("PIL", "httpx", "qrcode", "rich", "uvicorn")
# As installed for a user: bytecode caches are written on the warm-up run and reused after it
# (with PYTHONDONTWRITEBYTECODE set, every run would recompile sharekit's sources).
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def _once(argv: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True, env=ENV)
    return time.perf_counter() - start


def medians(base_argv: list[str], argv: list[str], runs: int) -> tuple[float, float]:
    """Median times of both commands, run alternately so machine load hits both alike."""
    _once(base_argv), _once(argv)  # warm the file caches
    base, timed = [], []
    for _ in range(runs):
        base.append(_once(base_argv))
        timed.append(_once(argv))
    return statistics.median(base), statistics.median(timed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15, help="runs per command (median is reported)")
    args = parser.parse_args()
    script = Path(sys.executable).with_name("sharekit")  # the installed console script, when there is one
    sharekit = [str(script)] if script.exists() else [sys.executable, "-m", "sharekit"]
    base, help_ = medians([sys.executable, "-c", "pass"], [*sharekit, "--help"], args.runs)
    heavy = subprocess.run(
        [sys.executable, "-c", f"import sys, sharekit.cli; print(sorted(m for m in {HEAVY!r} if m in sys.modules))"],
        capture_output=True, text=True, check=True).stdout.strip()
    print(f"python -c pass   median {base * 1000:7.1f} ms over {args.runs} runs")
    print(f"sharekit --help  median {help_ * 1000:7.1f} ms over {args.runs} runs ({' '.join(sharekit)})")
    print(f"ratio            {help_ / base:7.2f}x   (goal <= 4x)")
    print(f"heavy modules ({', '.join(HEAVY)}) imported by the CLI at startup: {heavy}")


if __name__ == "__main__":
    main()
