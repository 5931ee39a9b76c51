"""Benchmark: peak memory and time of a pull against a hostile image server, against a baseline
pull of the same catalog from a well-behaved one, in the same run.

    python benchmarks/hostile_pull.py                 # 120 products
    python benchmarks/hostile_pull.py --products 60 --quick

The hostile server (127.0.0.1 only; every body stops by itself within a minute) answers a share of
the image URLs with: one byte a second (slow), an endless chunked body (endless), a body far over
the cap sent as fast as it is read (huge), and a 6000×6000 PNG of a few KB that decodes to 100+ MB
(bomb). The rest are ordinary JPEGs, as in the baseline. Each pull runs in its own child process
(`[images] timeout = 5`, `max_mb = 15`, 8 workers) that reports its own peak RSS, so the server's
memory is not counted. Goal: the hostile pull's peak RSS stays under 300 MB.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))


def child(home: str) -> None:
    """Run one pull in this process and print its figures as JSON."""
    from sharekit import Workspace
    from sharekit.catalog.pull import pull

    started = time.perf_counter()
    with Workspace.open(home) as ws:
        summary = pull(ws, "bench")
    print(json.dumps({"seconds": time.perf_counter() - started,
                      "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                      "added": summary.added, "images_downloaded": summary.images_downloaded,
                      "images_failed": summary.images_failed,
                      "reasons": sorted({p["reason"].split(" (")[0] for p in summary.image_problems})}))


def bomb_png(side: int = 6000) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (side, side), (200, 30, 30)).save(buf, "PNG", optimize=True)
    return buf.getvalue()


def run_pull(server_url: str, products: int, kinds: list[str]) -> dict:
    from sharekit import init_home

    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        init_home(home)
        rows = ["id,title,price,currency,image_link"]
        for i in range(products):
            rows.append(f"P{i},Item {i},{10 + i}.00,CNY,{server_url}/{kinds[i % len(kinds)]}/{i}.jpg")
        (home / "feed.csv").write_text("\n".join(rows) + "\n", "utf-8")
        with (home / "config.toml").open("a", encoding="utf-8") as fh:
            fh.write('\n[images]\ntimeout = 5\nmax_mb = 15\nworkers = 8\n\n'
                     '[sources.bench]\nkind = "feed"\npath = "feed.csv"\n')
        env = {**os.environ, "NO_PROXY": "127.0.0.1", "no_proxy": "127.0.0.1"}
        out = subprocess.run([sys.executable, __file__, "--child", str(home)], env=env, capture_output=True,
                             text=True, timeout=600)
        if out.returncode != 0:
            raise SystemExit(f"child failed: {out.stderr[-2000:]}")
        return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=120)
    parser.add_argument("--quick", action="store_true", help="fewer hostile images (a quick look)")
    parser.add_argument("--mix", help="comma-separated URL kinds to cycle (ok, slow, endless, huge, bomb)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return

    from catalog_fakes import FakeServer, Reply, endless, image_bytes, trickle

    photo = image_bytes("JPEG", size=(800, 800), color=(20, 120, 200))
    bomb = bomb_png()

    def app(request):
        kind = request.path.split("/")[1]
        if kind == "slow":
            return Reply(200, headers={"Content-Type": "image/jpeg"}, stream=trickle(photo, 1.0), stream_limit=60)
        if kind == "endless":
            return Reply(200, headers={"Content-Type": "image/jpeg"}, stream=endless(), stream_limit=60)
        if kind == "huge":   # declares nothing, sends 64 MB as fast as it is read
            return Reply(200, headers={"Content-Type": "image/jpeg"},
                         stream=lambda: iter([b"\xff" * 65536] * 1024), stream_limit=60)
        if kind == "bomb":
            return Reply(200, bomb, {"Content-Type": "image/png"})
        return Reply(200, photo, {"Content-Type": "image/jpeg"})

    server = FakeServer(app).start()
    try:
        # one URL kind per product, cycling; the hostile mix puts a hostile image on 5 of 10 products
        hostile = ["ok", "slow", "ok", "endless", "ok", "huge", "ok", "bomb", "ok", "bomb"]
        if args.quick:
            hostile = ["ok", "ok", "slow", "ok", "endless", "ok", "huge", "ok", "bomb", "ok"]
        if args.mix:
            hostile = args.mix.split(",")
        base = run_pull(server.url, args.products, ["ok"])
        bad = run_pull(server.url, args.products, hostile)
    finally:
        server.close()
    print(f"products: {args.products}   bomb PNG: {len(bomb) / 1024:.0f} KB for 6000x6000 pixels")
    print(f"baseline pull (well-behaved server): {base['seconds']:6.1f} s   peak RSS {base['peak_rss_mb']:6.1f} MB"
          f"   images {base['images_downloaded']} downloaded, {base['images_failed']} failed")
    print(f"hostile pull (slow/endless/huge/bomb): {bad['seconds']:4.1f} s   peak RSS {bad['peak_rss_mb']:6.1f} MB"
          f"   images {bad['images_downloaded']} downloaded, {bad['images_failed']} failed")
    print(f"  reasons: {'; '.join(bad['reasons'])}")
    print(f"ratio hostile/baseline: time {bad['seconds'] / base['seconds']:.1f}x, "
          f"peak RSS {bad['peak_rss_mb'] / base['peak_rss_mb']:.2f}x   "
          f"goal: peak RSS < 300 MB -> {'met' if bad['peak_rss_mb'] < 300 else 'NOT met'}")


if __name__ == "__main__":
    main()
