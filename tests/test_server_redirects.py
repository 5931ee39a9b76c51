"""The redirect server, run for real under uvicorn on 127.0.0.1 and driven over HTTP with httpx."""

from __future__ import annotations

import hashlib
import logging
import socket
import sqlite3
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
import uvicorn
from factories import add_product as store_product

from sharekit.tracking.links import ensure_link
from sharekit.tracking.server.app import RedirectApp

NOW = "2026-11-26T00:00:00+00:00"
BROWSER = ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 "
           "Mobile Safari/537.36")
WECHAT = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
          "Mobile/15E148 MicroMessenger/8.0.49(0x18003129) NetType/WIFI Language/zh_CN")


def add_product(ws, pid: str, *, source: str | None = None, url: str = "https://shop.example.com/p/1",
                title: str = "保温杯") -> None:
    store_product(ws, pid, source=source, url=url, title=title, now=NOW)


class ThreadServer:
    """uvicorn serving a RedirectApp in a thread, on a free port; stop() runs the lifespan shutdown."""

    def __init__(self, app: RedirectApp) -> None:
        self.app = app
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(app, lifespan="on", log_level="warning", access_log=False, proxy_headers=True,
                                forwarded_allow_ips="127.0.0.1")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)

    def start(self) -> ThreadServer:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("server did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(30)
        self.sock.close()


@pytest.fixture
def serve(ws):
    servers: list[ThreadServer] = []

    def start(**kwargs) -> ThreadServer:
        kwargs.setdefault("flush_interval", 0.05)
        server = ThreadServer(RedirectApp(ws.home, **kwargs)).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        if server.thread.is_alive():
            server.stop()


@pytest.fixture
def link(ws):
    add_product(ws, "demo:SK001")
    return ensure_link(ws, "demo:SK001", "moments")


def counts(ws) -> dict[str, int]:
    row = ws.db.execute("SELECT coalesce(sum(clicks),0) c, coalesce(sum(bots),0) b, coalesce(sum(qr),0) q,"
                        " coalesce(sum(wechat),0) w, coalesce(sum(visitors),0) v FROM click_daily").fetchone()
    raw = ws.db.execute("SELECT count(*) FROM clicks").fetchone()[0]
    return {"clicks": row["c"], "bots": row["b"], "qr": row["q"], "wechat": row["w"], "visitors": row["v"], "raw": raw}


def test_get_code_redirects_302_no_store_to_stored_target_ignoring_case(ws, serve, link):
    server = serve()
    with httpx.Client(base_url=server.url, headers={"user-agent": BROWSER}) as client:
        r = client.get(f"/{link.code}")
        lower = client.get(f"/{link.code.lower()}")
        health = client.get("/healthz")
    server.stop()
    assert r.status_code == 302 and lower.status_code == 302
    assert r.headers["location"] == "https://shop.example.com/p/1?ref=moments"
    assert r.headers["cache-control"] == "no-store"
    assert health.status_code == 200 and health.json()["ok"] is True
    assert counts(ws)["clicks"] == 2
    row = ws.db.execute("SELECT * FROM clicks").fetchone()
    assert (row["code"], row["channel"], row["product_id"]) == (link.code, "moments", "demo:SK001")


def test_unknown_disabled_and_expired_codes_answer_404_page(ws, serve, link):
    add_product(ws, "demo:SK002")
    add_product(ws, "demo:SK003")
    off = ensure_link(ws, "demo:SK002", "moments")
    old = ensure_link(ws, "demo:SK003", "moments")
    with ws.db:
        ws.db.execute("UPDATE links SET disabled = 1 WHERE code = ?", (off.code,))
        ws.db.execute("UPDATE links SET expires_at = '2020-01-01T00:00:00+00:00' WHERE code = ?", (old.code,))
    server = serve()
    with httpx.Client(base_url=server.url, headers={"user-agent": BROWSER}) as client:
        answers = [client.get(p) for p in ("/NOSUCH", f"/{off.code}", f"/{old.code}", "/", "/a%2Fb")]
    server.stop()
    for r in answers:
        assert r.status_code == 404, r.request.url
        assert "location" not in r.headers
        assert r.headers["content-type"].startswith("text/html")
        assert "链接不存在" in r.text
    assert counts(ws)["raw"] == 0


@pytest.mark.parametrize("path", ["//evil.example.com", "/https://evil.example.com", "/%2F%2Fevil.example.com",
                                  "/CODE?url=https://evil.example.com", "/CODE/https://evil.example.com",
                                  "/CODE?next=//evil.example.com"])
def test_never_redirects_to_anything_the_request_names(ws, serve, link, path):
    server = serve()
    with httpx.Client(base_url=server.url, headers={"user-agent": BROWSER}) as client:
        r = client.get(path.replace("CODE", link.code))
    server.stop()
    location = r.headers.get("location", "")
    assert "evil" not in location
    assert r.status_code == 404 or location == link.target_url


def test_head_redirects_without_counting_a_click(ws, serve, link):
    server = serve()
    with httpx.Client(base_url=server.url, headers={"user-agent": BROWSER}) as client:
        r = client.head(f"/{link.code}")
    server.stop()
    assert r.status_code == 302 and r.headers["location"] == link.target_url
    c = counts(ws)
    assert c["clicks"] == 0 and c["bots"] == 1 and c["visitors"] == 0


@pytest.mark.parametrize("ua", [
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
    "TelegramBot (like TwitterBot)", "Twitterbot/1.0",
    "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)", "WhatsApp/2.23.20.0 A",
    "Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)", "curl/8.5.0", "",
])
def test_crawlers_and_link_preview_fetchers_are_flagged_as_bots(ws, serve, link, ua):
    server = serve()
    with httpx.Client(base_url=server.url) as client:
        r = client.get(f"/{link.code}", headers={"user-agent": ua})
    server.stop()
    assert r.status_code == 302  # bots are redirected too, just not counted as clicks
    c = counts(ws)
    assert (c["clicks"], c["bots"], c["raw"]) == (0, 1, 1)


def test_wechat_browser_is_a_person_and_qr_marker_is_recorded(ws, serve, link):
    server = serve()
    with httpx.Client(base_url=server.url) as client:
        assert client.get(f"/{link.code}?s=q", headers={"user-agent": WECHAT}).status_code == 302
        assert client.get(f"/{link.code}", headers={"user-agent": BROWSER}).status_code == 302
    server.stop()
    c = counts(ws)
    assert (c["clicks"], c["bots"], c["qr"], c["wechat"]) == (2, 0, 1, 1)
    flags = ws.db.execute("SELECT in_wechat, via_qr FROM clicks ORDER BY id").fetchall()
    assert [tuple(f) for f in flags] == [(1, 1), (0, 0)]


def test_visitor_is_salted_hash_never_raw_ip_and_fields_are_cropped(ws, serve, link):
    server = serve()
    long_ua = BROWSER + " x" * 400
    with httpx.Client(base_url=server.url) as client:
        for ip in ("198.51.100.7", "198.51.100.7", "198.51.100.8"):
            client.get(f"/{link.code}", headers={"user-agent": long_ua, "x-forwarded-for": ip,
                                                 "referer": "https://weibo.example.com/" + "r" * 2000})
    server.stop()
    rows = ws.db.execute("SELECT visitor, user_agent, referer FROM clicks").fetchall()
    assert len({r["visitor"] for r in rows}) == 2
    assert all(len(r["user_agent"]) == 512 and len(r["referer"]) == 1024 for r in rows)
    dump = "\n".join("|".join(str(v) for v in tuple(r)) for r in ws.db.execute("SELECT * FROM clicks"))
    assert "198.51.100" not in dump
    plain = hashlib.sha256(b"198.51.100.7" + b"\x00" + long_ua.encode()).hexdigest()[:32]
    assert plain not in dump  # salted: not the bare hash either
    salt = ws.paths.salt
    assert salt.exists() and oct(salt.stat().st_mode & 0o777) == "0o600"
    assert counts(ws)["visitors"] == 2


def test_taobao_link_inside_wechat_gets_taokouling_page_instead_of_redirect(ws, serve):
    add_product(ws, "tb:T1", source="tb", url="https://item.taobao.com/item.htm?id=1", title="淘宝好物 <b>")
    link = ensure_link(ws, "tb:T1", "moments")
    # the server learns the source's kind from config.toml
    (ws.home / "config.toml").write_text('[sources.tb]\nkind = "taobao"\n', encoding="utf-8")
    add_product(ws, "demo:SK001")
    with ws.db:
        ws.db.execute("UPDATE links SET share_text = ? WHERE code = ?", ("￥AbC123￥ <script>", link.code))
    plain = ensure_link(ws, "demo:SK001", "moments")
    server = serve()
    with httpx.Client(base_url=server.url) as client:
        page = client.get(f"/{link.code}", headers={"user-agent": WECHAT})
        outside = client.get(f"/{link.code}", headers={"user-agent": BROWSER})
        other = client.get(f"/{plain.code}", headers={"user-agent": WECHAT})
    server.stop()
    assert page.status_code == 200 and page.headers["content-type"] == "text/html; charset=utf-8"
    assert page.headers["cache-control"] == "no-store"
    assert "￥AbC123￥ &lt;script&gt;" in page.text and "￥AbC123￥ <script>" not in page.text
    assert "淘口令" in page.text and "手机淘宝" in page.text and "淘宝好物 &lt;b&gt;" in page.text
    assert outside.status_code == 302 and other.status_code == 302  # outside WeChat / not Taobao: redirect
    assert counts(ws)["clicks"] == 3 and counts(ws)["wechat"] == 2


def test_300_concurrent_clicks_over_50_connections_are_each_counted_once(ws, serve, link):
    add_product(ws, "demo:SK002")
    second = ensure_link(ws, "demo:SK002", "family")
    server = serve()

    # 50 threads sharing a 50-connection pool: 50 requests in flight at a time, 300 in all
    # (httpx's sync client in threads; its async pool is ~10x slower on a busy 2-core box).
    limits = httpx.Limits(max_connections=50, max_keepalive_connections=50)
    with httpx.Client(base_url=server.url, limits=limits, timeout=30) as client:
        def one(i: int) -> int:
            code = link.code if i % 3 else second.code
            r = client.get(f"/{code}" + ("?s=q" if i % 5 == 0 else ""),
                           headers={"user-agent": BROWSER, "x-forwarded-for": f"203.0.113.{i % 100}"})
            return r.status_code

        with ThreadPoolExecutor(max_workers=50) as pool:
            statuses = list(pool.map(one, range(300)))
    server.stop()
    assert statuses == [302] * 300
    c = counts(ws)
    assert (c["raw"], c["clicks"], c["bots"], c["qr"]) == (300, 300, 0, 60)
    per_link = dict(ws.db.execute("SELECT code, clicks FROM click_daily").fetchall())
    assert per_link == {link.code: 200, second.code: 100}
    assert c["visitors"] == ws.db.execute("SELECT count(*) FROM click_visitors").fetchone()[0]
    assert ws.db.execute("SELECT count(DISTINCT visitor) FROM clicks WHERE code = ?",
                         (second.code,)).fetchone()[0] == dict(
        ws.db.execute("SELECT code, visitors FROM click_daily").fetchall())[second.code]


def test_clicks_survive_another_writer_holding_the_db(ws, serve, link, caplog):
    caplog.set_level(logging.INFO, logger="sharekit.tracking.server")
    server = serve()
    holder = sqlite3.connect(ws.paths.db, isolation_level=None, timeout=10, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")  # like `sharekit sync` in a long transaction
    holder.execute("INSERT INTO channels (name, created_at) VALUES ('sync-holds-the-lock', ?)", (NOW,))
    try:
        with httpx.Client(base_url=server.url, headers={"user-agent": BROWSER}, timeout=10) as client:
            statuses = [client.get(f"/{link.code}", headers={"x-forwarded-for": f"198.51.100.{i}"}).status_code
                        for i in range(60)]
            time.sleep(1.5)  # longer than the click writer's busy timeout: its retry path runs
            assert server.app.recorder.pending == 60  # nothing lost, nothing written yet
        holder.execute("COMMIT")
        # and a writer doing short transactions while clicks flow: neither side sees "locked"
        done = threading.Event()
        errors: list[BaseException] = []

        def cron_writer() -> None:
            try:
                for i in range(40):
                    holder.execute("BEGIN IMMEDIATE")
                    holder.execute("INSERT INTO channels (name, created_at) VALUES (?, ?)", (f"c{i}", NOW))
                    holder.execute("COMMIT")
            except BaseException as exc:  # pragma: no cover - the failure being tested for
                errors.append(exc)
            done.set()

        t = threading.Thread(target=cron_writer)
        t.start()
        with httpx.Client(base_url=server.url, headers={"user-agent": BROWSER}, timeout=10) as client:
            statuses += [client.get(f"/{link.code}").status_code for _ in range(60)]
        t.join(30)
    finally:
        holder.close()
    server.stop()
    assert not errors
    assert statuses == [302] * 120
    assert counts(ws)["raw"] == 120 and counts(ws)["clicks"] == 120
    assert server.app.recorder.stats.busy_retries >= 1
    assert server.app.recorder.stats.errors == 0 and server.app.recorder.stats.spooled == 0
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_direct_mode_records_before_the_redirect_is_answered(ws, serve, link):
    server = serve(mode="direct")
    with httpx.Client(base_url=server.url, headers={"user-agent": BROWSER}) as client:
        for _ in range(3):
            assert client.get(f"/{link.code}").status_code == 302
            # already in the store when the redirect arrives
        seen = sqlite3.connect(ws.paths.db)
        try:
            assert seen.execute("SELECT count(*) FROM clicks").fetchone()[0] == 3
        finally:
            seen.close()
    server.stop()


def test_link_disabled_while_serving_stops_redirecting_within_the_cache_ttl(ws, serve, link):
    server = serve(cache_ttl=0.2)
    with httpx.Client(base_url=server.url, headers={"user-agent": BROWSER}) as client:
        assert client.get(f"/{link.code}").status_code == 302
        with ws.db:
            ws.db.execute("UPDATE links SET disabled = 1 WHERE code = ?", (link.code,))
        time.sleep(0.3)
        assert client.get(f"/{link.code}").status_code == 404
    server.stop()
