"""Soak: the click server under load while pulls, imports and syncs write the same database.

Three runs on 127.0.0.1 (nothing leaves the machine), each bounded by ``--seconds``:

1. baseline: `sharekit serve` under load alone, stopped with SIGTERM after the load;
2. soak: the same load while three writer processes loop (a 2,000-row feed pull with changed
   prices, a 200-line order import, the JD/PDD sync replay of the demo); SIGTERM arrives *while*
   the load is still running, as in a restart during the day;
3. kill -9: as 2, but the server is killed with SIGKILL: what it loses is stated.

For each run it prints requests sent, answered (302), clicks recorded, lost (answered but not recorded),
errors (answers other than 302, and server log lines with a traceback or "locked"), connections cut
at shutdown, requests/s and p99, and the soak's ratio to the baseline. Goal: 0 lost and 0 errors
on SIGTERM.

    python benchmarks/soak.py [--seconds 20] [--concurrency 32]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from redirects import UA, clicks_in, free_port, pct, prepare_home, read_response, start_server  # noqa: E402

WRITERS = ("pull", "import", "sync")


async def load(port: int, codes: list[str], seconds: float, concurrency: int,
               stop_at: float | None = None, on_stop=None) -> dict[str, object]:
    """Keep-alive GETs for ``seconds``; ``on_stop()`` is called at ``stop_at`` seconds (SIGTERM or
    SIGKILL) while the clients keep going until the server stops answering."""
    latencies: list[float] = []
    stats = {"ok": 0, "bad": 0, "cut": 0}
    end = time.perf_counter() + seconds
    requests = [(f"GET /{c}{'?s=q' if i % 3 == 0 else ''} HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: {UA}\r\n"
                 f"X-Forwarded-For: 198.51.100.{i % 250}\r\n\r\n").encode() for i, c in enumerate(codes)]

    async def client(n: int) -> None:
        i = n
        while time.perf_counter() < end:
            try:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
            except OSError:
                return   # the server is gone: this client is done
            try:
                while time.perf_counter() < end:
                    i += 1
                    t0 = time.perf_counter()
                    writer.write(requests[i % len(requests)])
                    head = await read_response(reader)
                    latencies.append(time.perf_counter() - t0)
                    stats["ok" if head.startswith(b"HTTP/1.1 302") else "bad"] += 1
            except (OSError, asyncio.IncompleteReadError):
                stats["cut"] += 1   # a connection closed by the shutdown, mid-request
            finally:
                writer.close()

    async def stopper() -> None:
        if stop_at is not None and on_stop is not None:
            await asyncio.sleep(stop_at)
            on_stop()

    start = time.perf_counter()
    await asyncio.gather(stopper(), *(client(n) for n in range(concurrency)))
    took = time.perf_counter() - start
    return {**stats, "seconds": took, "rps": stats["ok"] / took if took else 0.0,
            "p99": pct(latencies, 99) * 1000 if latencies else 0.0}


def write_feed(path: Path, rng: random.Random) -> None:
    rows = [f"SK{i:04d},商品 {i},{rng.randint(100, 9999) / 100:.2f},CNY,https://shop.example.com/p/{i}"
            for i in range(2000)]
    path.write_text("id,title,price,currency,link\n" + "\n".join(rows) + "\n", encoding="utf-8")


def writer(kind: str, home: Path, seconds: float) -> None:
    """One writer process: loop its job until ``seconds`` are up; print ``done errors``."""
    from sharekit import Workspace

    rng = random.Random(kind)
    ws = Workspace.open(home)
    done = errors = 0
    end = time.monotonic() + seconds
    examples = Path(__file__).resolve().parent.parent / "sharekit" / "demo" / "examples"
    while time.monotonic() < end:
        try:
            if kind == "pull":
                from sharekit.catalog.pull import pull

                write_feed(home / "feed.csv", rng)
                pull(ws, "f", images=False)
            elif kind == "import":
                from sharekit.orders.importers import import_orders

                path = home / f"orders-{done}.csv"
                lines = [f"S{done}-{i},f:SK{i:04d},moments,paid,{rng.randint(100, 9999) / 100:.2f},0.50,CNY,"
                         "2026-11-20T10:00:00," for i in range(200)]
                path.write_text("order_id,product,channel,status,amount,commission,currency,ordered_at,updated_at\n"
                                + "\n".join(lines) + "\n", encoding="utf-8")
                import_orders(ws, path, "csv")
            else:
                from sharekit.demo.sync import demo_step

                demo_step(ws, examples, lambda _text: None)
            done += 1
        except Exception as exc:  # noqa: BLE001 - counted and shown, the soak goes on
            errors += 1
            print(f"{kind}: {type(exc).__name__}: {exc}", file=sys.stderr)
    ws.close()
    print(done, errors)


def start_writers(home: Path, seconds: float) -> list[subprocess.Popen[str]]:
    return [subprocess.Popen([sys.executable, __file__, "--writer", kind, "--home", str(home),
                              "--seconds", str(seconds)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for kind in WRITERS]


def run(home: Path, codes: list[str], args: argparse.Namespace, *, writers: bool, stop: str) -> dict[str, object]:
    port = free_port()
    before = clicks_in(home)
    proc = start_server(home, port, "queue", args.workers)
    procs = start_writers(home, args.seconds) if writers else []
    sig = signal.SIGKILL if stop == "kill" else signal.SIGTERM
    stop_at = args.seconds * 0.8 if writers else None   # mid-load: a restart during the day
    stats = asyncio.run(load(port, codes, args.seconds, args.concurrency, stop_at,
                             lambda: proc.send_signal(sig)))
    if stop_at is None:
        proc.send_signal(sig)
    try:
        _, err = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        _, err = proc.communicate()
    if stop == "kill":   # the workers of a killed master end on their own (parent-death signal)
        time.sleep(1.0)
    written = {}
    for kind, w in zip(WRITERS, procs, strict=False):
        out, werr = w.communicate(timeout=max(60, args.seconds * 3))
        done, errors = (int(x) for x in (out.split() or ["0", "0"])[:2])
        written[kind] = (done, errors, werr.strip().splitlines()[-1:] if errors else [])
    log_errors = [ln for ln in (err or b"").decode().splitlines() if "Traceback" in ln or "locked" in ln]
    recorded = clicks_in(home) - before
    return {**stats, "recorded": recorded, "lost": max(0, int(stats["ok"]) - recorded),
            "errors": int(stats["bad"]) + len(log_errors), "writers": written}


def show(name: str, r: dict[str, object]) -> None:
    sent = int(r["ok"]) + int(r["bad"]) + int(r["cut"])   # every request written to a connection
    print(f"{name:<22} sent {sent:>7,}  answered {r['ok']:>7,}  recorded {r['recorded']:>7,}  lost {r['lost']:>4}  "
          f"errors {r['errors']:>3}  cut at shutdown {r['cut']:>3}  {r['rps']:>7,.0f} req/s  p99 {r['p99']:6.1f} ms")
    for kind, (done, errors, last) in (r.get("writers") or {}).items():
        print(f"{'':<22} writer {kind:<6} {done:>4} runs, {errors} failed" + (f" (last: {last[0]})" if last else ""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="load time per run (bounded)")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--writer", choices=WRITERS, help=argparse.SUPPRESS)
    parser.add_argument("--home", help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.seconds = min(max(args.seconds, 2.0), 600.0)
    if args.writer:
        writer(args.writer, Path(args.home), args.seconds)
        return
    with tempfile.TemporaryDirectory(prefix="sharekit-soak-") as tmp:
        home = Path(tmp) / "home"
        codes = prepare_home(home)
        write_feed(home / "feed.csv", random.Random(1))
        with (home / "config.toml").open("a", encoding="utf-8") as fh:
            fh.write('\n[sources.f]\nkind = "feed"\npath = "feed.csv"\n')
        os.environ["SHAREKIT_HOME"] = str(home)
        print(f"soak: {args.seconds:g} s per run, {args.concurrency} connections, {os.cpu_count()} cores, 127.0.0.1")
        base = run(home, codes, args, writers=False, stop="term")
        show("baseline (no writers)", base)
        soak = run(home, codes, args, writers=True, stop="term")
        show("soak + SIGTERM", soak)
        killed = run(home, codes, args, writers=True, stop="kill")
        show("soak + kill -9", killed)
        ratio = soak["rps"] / base["rps"] if base["rps"] else 0.0
        print(f"soak throughput {ratio:.2f}x baseline; p99 {soak['p99']:.1f} ms vs {base['p99']:.1f} ms")
        ok = soak["lost"] == 0 and soak["errors"] == 0
        print(f"SIGTERM under load: {soak['lost']} lost, {soak['errors']} errors -> {'met' if ok else 'NOT met'}; "
              f"kill -9 lost {killed['lost']} of {killed['ok']:,} answered "
              f"({100 * killed['lost'] / max(1, int(killed['ok'])):.2f}%: clicks queued in memory, not yet written)")


if __name__ == "__main__":
    main()
