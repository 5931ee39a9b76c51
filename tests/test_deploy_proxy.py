"""The generated nginx site in front of the real `sharekit serve`: TLS to the server, and the visitor's
address is the one nginx saw, never an X-Forwarded-For the client sent (skipped without nginx)."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from sharekit.deploy import DeploySettings, nginx_site
from sharekit.tracking.links import ensure_link
from sharekit.tracking.server.classify import load_salt, visitor_id

UA = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36"

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(shutil.which("nginx") is None or shutil.which("openssl") is None,
                                 reason="nginx or openssl is not installed")]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url: str, **kw) -> None:
    deadline = time.monotonic() + 20
    while True:
        try:
            httpx.get(url, trust_env=False, timeout=1, **kw)
            return
        except httpx.HTTPError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()


def test_nginx_site_proxies_to_serve_and_a_forged_x_forwarded_for_is_ignored(ws, tmp_path):
    with ws.db:
        ws.db.execute("INSERT INTO products (id, source, native_id, title, currency, price_minor, url, first_seen_at,"
                      " updated_at, seen_at) VALUES ('shop:A', 'shop', 'A', '保温杯', 'CNY', 1990,"
                      " 'https://shop.example.com/p/A', ?, ?, ?)", ("2026-11-26T00:00:00+00:00",) * 3)
    link = ensure_link(ws, "shop:A", "g")
    ws.close()
    app_port, tls_port, http_port = free_port(), free_port(), free_port()
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
                    "/CN=s.example.com", "-keyout", str(tmp_path / "privkey.pem"), "-out",
                    str(tmp_path / "fullchain.pem")], capture_output=True, check=True)
    site = nginx_site(DeploySettings(user="root", home=str(ws.home), sharekit="sharekit", host="s.example.com",
                                     port=app_port, workers=1, cert_dir=str(tmp_path)))
    # the same file on unprivileged loopback ports (the test cannot take 80 and 443)
    site = (site.replace("    listen [::]:80;\n", "").replace("    listen [::]:443 ssl;\n", "")
            .replace("listen 80;", f"listen 127.0.0.1:{http_port};")
            .replace("listen 443 ssl;", f"listen 127.0.0.1:{tls_port} ssl;"))
    (tmp_path / "site.conf").write_text(site)
    (tmp_path / "nginx.conf").write_text(f"pid {tmp_path}/nginx.pid;\nevents {{}}\nhttp {{\n"
                                         f"  access_log off;\n  include {tmp_path}/site.conf;\n}}\n")
    env = {**os.environ, "SHAREKIT_HOME": str(ws.home), "FORWARDED_ALLOW_IPS": "127.0.0.1"}
    server = subprocess.Popen([sys.executable, "-m", "sharekit", "serve", "--host", "127.0.0.1", "--port",
                               str(app_port), "--record", "direct"], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    nginx = subprocess.Popen(["nginx", "-g", "daemon off;", "-e", str(tmp_path / "error.log"), "-c",
                              str(tmp_path / "nginx.conf"), "-p", str(tmp_path)], stderr=subprocess.DEVNULL)
    try:
        wait_for(f"http://127.0.0.1:{app_port}/healthz")
        wait_for(f"https://127.0.0.1:{tls_port}/healthz", verify=False)
        with httpx.Client(verify=False, trust_env=False) as client:
            answer = client.get(f"https://127.0.0.1:{tls_port}/{link.code}",
                                headers={"host": "s.example.com", "user-agent": UA, "x-forwarded-for": "6.6.6.6"})
            plain = client.get(f"http://127.0.0.1:{http_port}/{link.code}", headers={"host": "s.example.com"})
    finally:
        stop(nginx)
        stop(server)
    assert answer.status_code == 302 and answer.headers["location"] == "https://shop.example.com/p/A?ref=g"
    assert plain.status_code == 301 and plain.headers["location"] == f"https://s.example.com/{link.code}"
    import sqlite3

    conn = sqlite3.connect(Path(ws.home) / "sharekit.db")
    visitors = [r[0] for r in conn.execute("SELECT visitor FROM clicks WHERE code = ? AND is_bot = 0", (link.code,))]
    conn.close()
    salt = load_salt(Path(ws.home) / "visitor.salt")
    assert visitors == [visitor_id(salt, "127.0.0.1", UA)]  # the address nginx saw (the test's loopback)
    assert visitor_id(salt, "6.6.6.6", UA) not in visitors
