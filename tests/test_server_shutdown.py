"""`sharekit serve` as a real subprocess: queued clicks are written when it is stopped, and the
spool keeps clicks the store refused at shutdown."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time

import httpx
import pytest
from factories import add_product as store_product

from sharekit.tracking.links import ensure_link
from sharekit.tracking.server.classify import Classifier
from sharekit.tracking.server.recorder import Recorder

NOW = "2026-11-26T00:00:00+00:00"
BROWSER = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148 Safari/604.1"


def add_product(ws, pid: str) -> None:
    store_product(ws, pid, title="cup", price=None, url="https://shop.example.com/p/1", now=NOW)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def clicks_in(db) -> int:
    conn = sqlite3.connect(db)
    try:
        return conn.execute("SELECT count(*) FROM clicks").fetchone()[0]
    finally:
        conn.close()


@pytest.mark.slow
@pytest.mark.parametrize(("sig", "workers"), [(signal.SIGTERM, 1), (signal.SIGINT, 1), (signal.SIGTERM, 2)])
def test_queued_clicks_are_written_when_the_server_is_stopped(ws, sig, workers):
    add_product(ws, "demo:SK001")
    link = ensure_link(ws, "demo:SK001", "moments")
    port = free_port()
    # A flush interval far longer than the test: the only write is the one on shutdown.
    env = dict(os.environ, SHAREKIT_HOME=str(ws.home), SHAREKIT_SERVE_FLUSH_INTERVAL="600")
    proc = subprocess.Popen([sys.executable, "-m", "sharekit", "serve", "--port", str(port), "--workers",
                             str(workers)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        with httpx.Client(base_url=url, headers={"user-agent": BROWSER}) as client:
            while True:
                try:
                    if client.get("/healthz").status_code == 200:
                        break
                except httpx.TransportError:
                    if time.monotonic() > deadline or proc.poll() is not None:
                        raise
                    time.sleep(0.05)
            statuses = [client.get(f"/{link.code}", headers={"x-forwarded-for": f"203.0.113.{i}"}).status_code
                        for i in range(50)]
        assert statuses == [302] * 50
        assert clicks_in(ws.paths.db) == 0  # still queued
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert clicks_in(ws.paths.db) == 50, err.decode()
    assert b"Traceback" not in err and b"locked" not in err
    row = ws.db.execute("SELECT clicks, visitors FROM click_daily").fetchone()
    assert tuple(row) == (50, 50)


def test_clicks_refused_at_shutdown_are_spooled_and_written_at_next_start(ws, tmp_path):
    add_product(ws, "demo:SK001")
    link = ensure_link(ws, "demo:SK001", "moments")
    spool = ws.home / "clicks.spool.jsonl"
    classifier = Classifier(b"salt", "Asia/Shanghai")

    async def session(block: bool) -> Recorder:
        rec = Recorder(ws.paths.db, flush_interval=600, spool_path=spool, shutdown_timeout=0.3)
        await rec.start()
        for i in range(5):
            rec.record(classifier.click(code=link.code, channel="moments", product_id="demo:SK001", ip=f"10.0.0.{i}",
                                        user_agent=BROWSER, referer=None, method="GET", via_qr=False))
        holder = sqlite3.connect(ws.paths.db, isolation_level=None)
        try:
            if block:
                holder.execute("BEGIN IMMEDIATE")
            await rec.stop()
        finally:
            holder.close()
        return rec

    first = asyncio.run(session(block=True))
    assert first.stats.spooled == 5 and clicks_in(ws.paths.db) == 0
    assert spool.exists() and oct(spool.stat().st_mode & 0o777) == "0o600"
    assert "10.0.0" not in spool.read_text()
    second = asyncio.run(session(block=False))
    assert second.stats.written == 10 and not spool.exists()
    assert clicks_in(ws.paths.db) == 10
    assert ws.db.execute("SELECT clicks, visitors FROM click_daily").fetchone()[0] == 10
