"""Defect 9: server operations. Slow partial requests are dropped, connections are bounded,
workers end with their master, a busy port is one line and exit 1, poster workers end with
the parent. Real `sharekit` processes on 127.0.0.1."""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import time

import httpx
import pytest
from proc_util import descendants, free_port, sharekit, wait_gone, wait_healthy

from sharekit.store.home import Paths

pytestmark = pytest.mark.slow


@pytest.fixture
def inited(cli, home):
    assert cli("init").exit_code == 0
    return home


def _stop(proc) -> tuple[str, str]:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    try:
        out, err = proc.communicate(timeout=30)
    except Exception:
        proc.kill()
        out, err = proc.communicate()
    return out, err


def _closed_by_server(sock: socket.socket) -> bool:
    try:
        while sock.recv(65536):  # drain what is left of an earlier response
            pass
        return True
    except (ConnectionResetError, BrokenPipeError):
        return True
    except TimeoutError:
        return False


def test_slow_partial_requests_are_dropped_and_new_requests_still_served(inited):
    port = free_port()
    proc = sharekit(inited, "serve", "--port", str(port), "--limit-concurrency", "50", "--header-timeout", "1.5")
    partial: list[socket.socket] = []
    ka = None
    try:
        wait_healthy(port)
        # slowloris: 300 connections (6x the limit) that never finish their headers
        for _ in range(300):
            s = socket.create_connection(("127.0.0.1", port), timeout=5)
            s.sendall(b"GET /abc HTTP/1.1\r\nHost: x\r\nX-a: ")
            partial.append(s)
        # ...and one on keep-alive that starts a second request and stalls
        ka = socket.create_connection(("127.0.0.1", port), timeout=5)
        ka.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        assert b" 200 " in ka.recv(4096)
        ka.sendall(b"GET /healthz HTTP/1.1\r\nHo")
        started = time.monotonic()
        for _ in range(20):  # real visitors get through while the slow ones are held
            response = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5, trust_env=False)
            assert response.status_code == 200
        assert time.monotonic() - started < 10   # (a loaded CI machine: still far below a hang)
        # every slow connection is closed by the server within the header timeout (+ slack)
        for s in [*partial, ka]:
            s.settimeout(max(0.1, started + 4 - time.monotonic()))
            assert _closed_by_server(s)
    finally:
        for s in [*partial, ka]:
            if s is not None:
                s.close()
        out, err = _stop(proc)
    assert proc.returncode in (0, -signal.SIGTERM), err
    assert "Traceback" not in err


@pytest.mark.parametrize("workers", ["1", "2"])
def test_busy_port_is_one_line_and_exit_1(inited, workers):
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        proc = sharekit(inited, "serve", "--port", str(port), "--workers", workers)
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == 1
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and "already in use" in lines[0] and str(port) in lines[0], err
    assert "Traceback" not in err and "Serving" not in out


def test_kill_9_of_the_master_ends_the_workers_and_a_restart_works(inited):
    port = free_port()
    master = sharekit(inited, "serve", "--port", str(port), "--workers", "2")
    workers: set[int] = set()
    try:
        wait_healthy(port)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and len(workers) < 2:
            workers = {p for p in descendants(master.pid) if "resource_tracker" not in _cmdline(p)}
            time.sleep(0.1)
        assert len(workers) >= 2
        os.kill(master.pid, signal.SIGKILL)
        master.wait(timeout=10)
        left = wait_gone(workers, timeout=10)
        assert not left, f"workers still running after their master died: {left}"
        with pytest.raises(httpx.HTTPError):
            httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1, trust_env=False)
        again = sharekit(inited, "serve", "--port", str(port))
        try:
            wait_healthy(port)
        finally:
            _, err = _stop(again)
        assert again.returncode in (0, -signal.SIGTERM), err
    finally:
        if master.poll() is None:
            master.kill()
        _kill_all(workers)  # after a failure: do not leave them serving (nor block communicate)
        master.communicate()


def _kill_all(pids: set[int]) -> None:
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


def _cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            return fh.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def test_killed_poster_jobs_leave_no_worker_processes(inited):
    db = sqlite3.connect(Paths(inited).db)
    now = "2026-11-26T00:00:00Z"
    with db:
        db.executemany(
            "INSERT INTO products (id, source, native_id, title, currency, price_minor, url, first_seen_at,"
            " updated_at, seen_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
            [(f"jd:{n}", "jd", str(n), f"商品 {n} 限时特惠 超值好物", "CNY", 1990 + n, f"https://item.jd.com/{n}.html",
              now, now, now) for n in range(400)])
    db.close()
    kids: set[int] = set()
    parent = sharekit(inited, "poster", "--all", "--jobs", "2", "--template", "square",
                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and parent.poll() is None:
            kids = descendants(parent.pid)
            if len(kids) >= 3 and list((inited / "posters").rglob("*.txt")):  # forkserver + 2 rendering
                break
            time.sleep(0.1)
        assert parent.poll() is None, "the batch finished before it could be killed"
        assert len(kids) >= 2
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait(timeout=10)
        left = wait_gone(kids, timeout=10)
        assert not left, f"poster workers outlived their parent: {[_cmdline(p) for p in left]}"
    finally:
        if parent.poll() is None:
            parent.kill()
        _kill_all(kids)
        parent.communicate()
