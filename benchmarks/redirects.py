"""Redirects: requests/s and latency of `sharekit serve`, recording on vs off, in one run.

Starts the real server (a `sharekit serve` subprocess under uvicorn) on loopback once per
recording mode, drives it with a lean asyncio load generator (raw keep-alive HTTP/1.1 over 64
concurrent connections, so the client costs little CPU and no apt package is needed), stops it
with SIGTERM, and checks that the database holds exactly one click per request sent.

Modes: ``off`` (no recording: the baseline), ``queue`` (default: queued, batched flushes, flush
on shutdown), ``direct`` (one transaction per click before the redirect).
Goals (issue 8): recording costs at most 30% of throughput, p99 under 25 ms, nothing lost.

Run: python benchmarks/redirects.py [--requests 20000] [--concurrency 64] [--workers 1] [--modes off,queue,direct]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from statistics import median

UA = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
      "Mobile/15E148 MicroMessenger/8.0.49 NetType/WIFI Language/zh_CN")
LINKS = 100


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare_home(home: Path) -> list[str]:
    from sharekit.store.workspace import init_home
    from sharekit.tracking.links import new_code

    init_home(home)
    conn = sqlite3.connect(home / "sharekit.db")
    now = "2026-11-26T00:00:00+00:00"
    codes = []
    with conn:
        for i in range(LINKS):
            pid = f"demo:SK{i:03d}"
            conn.execute(
                "INSERT INTO products (id, source, native_id, title, currency, price_minor, url, first_seen_at,"
                " updated_at, seen_at) VALUES (?, 'demo', ?, ?, 'CNY', 1990, ?, ?, ?, ?)",
                (pid, f"SK{i:03d}", f"商品 {i}", f"https://shop.example.com/p/{i}", now, now, now))
            code = new_code()
            codes.append(code)
            conn.execute("INSERT INTO links (code, product_id, channel, target_url, created_at) VALUES (?,?,?,?,?)",
                         (code, pid, "moments", f"https://shop.example.com/p/{i}?ref=moments", now))
    conn.close()
    return codes


def clicks_in(home: Path) -> int:
    conn = sqlite3.connect(home / "sharekit.db")
    try:
        return conn.execute("SELECT count(*) FROM clicks").fetchone()[0]
    finally:
        conn.close()


def start_server(home: Path, port: int, mode: str, workers: int) -> subprocess.Popen[bytes]:
    env = dict(os.environ, SHAREKIT_HOME=str(home))
    proc = subprocess.Popen([sys.executable, "-m", "sharekit", "serve", "--port", str(port), "--record", mode,
                             "--workers", str(workers)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2) as s:
                s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                if s.recv(64).startswith(b"HTTP/1.1 200"):
                    return proc
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise SystemExit(f"server did not start: {proc.stderr.read().decode() if proc.stderr else ''}")


async def read_response(reader: asyncio.StreamReader) -> bytes:
    """Read one HTTP/1.1 response (head, then a Content-Length body); return its head."""
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
    if length:
        await reader.readexactly(length)
    return head


async def load(port: int, codes: list[str], total: int, concurrency: int) -> tuple[float, list[float], int]:
    """Send ``total`` GETs over ``concurrency`` keep-alive connections; (seconds, latencies, non-302)."""
    latencies: list[float] = []
    bad = 0
    issued = 0
    requests = [(f"GET /{c}{'?s=q' if i % 3 == 0 else ''} HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: {UA}\r\n"
                 f"X-Forwarded-For: 198.51.100.{i % 250}\r\n\r\n").encode() for i, c in enumerate(codes)]

    async def client(n: int) -> None:
        nonlocal issued, bad
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while issued < total:
                req = requests[(issued + n) % len(requests)]
                issued += 1
                t0 = time.perf_counter()
                writer.write(req)
                head = await read_response(reader)
                latencies.append(time.perf_counter() - t0)
                if not head.startswith(b"HTTP/1.1 302"):
                    bad += 1
        finally:
            writer.close()
            await writer.wait_closed()

    start = time.perf_counter()
    await asyncio.gather(*(client(n) for n in range(concurrency)))
    return time.perf_counter() - start, latencies, bad


def cpu_seconds(pid: int) -> float:
    """User+system CPU of ``pid`` and its live children (uvicorn workers), from /proc."""
    tick = os.sysconf("SC_CLK_TCK")
    pids = [pid]
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        pids += [int(c) for c in children]
    except OSError:
        pass
    total = 0.0
    for p in pids:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


def run_load(port: int, codes: list[str], total: int, concurrency: int) -> tuple[float, list[float], int]:
    try:
        import uvloop  # the client's own overhead stays small with it

        return uvloop.run(load(port, codes, total, concurrency))
    except ImportError:
        return asyncio.run(load(port, codes, total, concurrency))


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def run_mode(home: Path, codes: list[str], mode: str, args: argparse.Namespace) -> dict[str, float]:
    port = free_port()
    before = clicks_in(home)
    proc = start_server(home, port, mode, args.workers)
    try:
        warm = min(1000, args.requests // 5)
        run_load(port, codes, warm, args.concurrency)
        server_cpu = cpu_seconds(proc.pid)
        client_cpu = time.process_time()
        seconds, lat, bad = run_load(port, codes, args.requests, args.concurrency)
        client_cpu = time.process_time() - client_cpu
        server_cpu = cpu_seconds(proc.pid) - server_cpu
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            _, err = proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
    sent = warm + args.requests
    recorded = clicks_in(home) - before
    errors = [line for line in (err or b"").decode().splitlines() if "locked" in line or "Traceback" in line]
    return {"rps": args.requests / seconds, "p50": pct(lat, 50) * 1000, "p99": pct(lat, 99) * 1000,
            "server_us": server_cpu / args.requests * 1e6, "client_us": client_cpu / args.requests * 1e6,
            "sent": sent, "recorded": recorded, "non302": bad, "errors": len(errors)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=20000, help="measured requests per mode")
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--workers", type=int, default=2, help="server worker processes (default: 2, one per core)")
    parser.add_argument("--modes", default="off,queue,direct", help="comma list of off, queue, direct")
    parser.add_argument("--rounds", type=int, default=2,
                        help="run every mode this many times, interleaved; the best round of each mode is compared "
                             "(other work on the machine only ever slows a round down)")
    args = parser.parse_args()
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    with tempfile.TemporaryDirectory(prefix="sharekit-bench-") as tmp:
        home = Path(tmp) / "home"
        codes = prepare_home(home)

        loop_impl = "uvloop" if _has("uvloop") else "asyncio"
        http_impl = "httptools" if _has("httptools") else "h11"
        print(f"redirect benchmark: {args.requests} requests per mode, {args.concurrency} connections, "
              f"{args.workers} worker(s), {os.cpu_count()} CPUs, uvicorn "
              f"loop={loop_impl} http={http_impl}")
        results: dict[str, dict[str, float]] = {}
        paired: dict[str, list[float]] = {}   # per round: this mode's req/s over the same round's off
        lost: dict[str, int] = {}
        errors: dict[str, int] = {}
        for round_ in range(1, args.rounds + 1):
            this_round: dict[str, float] = {}
            for mode in modes:
                r = run_mode(home, codes, mode, args)
                this_round[mode] = r["rps"]
                if mode != "off" and "off" in this_round:
                    paired.setdefault(mode, []).append(r["rps"] / this_round["off"])
                recorded = "-" if mode == "off" else f"{r['recorded']}/{int(r['sent'])}"
                print(f"  round {round_} record={mode:<6} {r['rps']:6.0f} req/s  p50 {r['p50']:6.2f} ms  "
                      f"p99 {r['p99']:6.2f} ms  server CPU {r['server_us']:4.0f} us/req  "
                      f"client CPU {r['client_us']:4.0f} us/req  recorded {recorded}  non-302 {r['non302']}  "
                      f"'locked'/tracebacks in log {r['errors']}")
                if mode != "off":
                    lost[mode] = lost.get(mode, 0) + int(r["sent"] - r["recorded"])
                errors[mode] = errors.get(mode, 0) + int(r["errors"] + r["non302"])
                if mode not in results or r["rps"] > results[mode]["rps"]:
                    results[mode] = r
        if "off" in results:
            base = results["off"]
            print(f"best of {args.rounds} round(s): off {base['rps']:.0f} req/s, p99 {base['p99']:.1f} ms")
            for mode in modes:
                if mode == "off" or mode not in results:
                    continue
                r = results[mode]
                cost = 1 - r["rps"] / base["rps"]
                cpu = r["server_us"] / base["server_us"]
                ok = cost <= 0.30 and r["p99"] < 25 and lost[mode] == 0 and errors[mode] == 0
                print(f"  {mode}: {r['rps']:.0f} req/s = {r['rps'] / base['rps']:.2f}x of off (recording cost "
                      f"{cost:.0%}, goal <= 30%); server CPU per request {cpu:.2f}x of off; p99 {r['p99']:.1f} ms "
                      f"(goal < 25); lost {lost[mode]} and errors {errors[mode]} over all rounds"
                      f" -> {'OK' if ok else 'MISSED'}")
                if paired.get(mode):
                    ratios = sorted(paired[mode])
                    print(f"    paired rounds (each against the off run just before it): median "
                          f"{median(ratios):.2f}x of off, range {ratios[0]:.2f}x..{ratios[-1]:.2f}x")


def _has(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


if __name__ == "__main__":
    main()
