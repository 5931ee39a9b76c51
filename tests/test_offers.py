"""`sharekit link check` and the 已售罄 / 优惠券已过期 page: dead offers never strand a buyer."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import httpx
import pytest
from factories import add_product as store_product
from test_server_redirects import BROWSER, ThreadServer

from sharekit.offers import check_links
from sharekit.offers.coupons import coupon_end, parse_end
from sharekit.tracking.links import ensure_link
from sharekit.tracking.server.app import RedirectApp

T0 = "2026-11-20T00:00:00+00:00"
NOW = datetime(2026, 11, 26, 4, tzinfo=UTC)


def add(ws, pid: str, *, available: bool = True, extra: dict | None = None, updated: str = T0,
        title: str | None = None, price: int = 1990) -> None:
    native = pid.split(":")[1]
    store_product(ws, pid, title=title or f"商品{native}", price=price, available=available, extra=extra, now=updated)


@pytest.fixture
def shop(ws):
    add(ws, "shop:A", title="保温杯")
    add(ws, "shop:B", updated="2026-11-25T00:00:00+00:00", title="茶具", price=5900)
    add(ws, "shop:C", updated="2026-11-24T00:00:00+00:00")
    add(ws, "shop:D", updated="2026-11-23T00:00:00+00:00")
    add(ws, "shop:E", updated="2026-11-22T00:00:00+00:00")
    add(ws, "shop:X", available=False, updated="2026-11-26T00:00:00+00:00")  # never offered: sold out too
    add(ws, "shop:K", extra={"coupon_end_ms": int(datetime(2026, 11, 25, tzinfo=UTC).timestamp() * 1000)})
    add(ws, "other:Z")
    return ws


def test_sold_out_and_expired_coupon_links_are_marked_with_three_alternatives(shop):
    ws = shop
    a = ensure_link(ws, "shop:A", "g")
    k = ensure_link(ws, "shop:K", "g")
    z = ensure_link(ws, "other:Z", "g")
    with ws.db:
        ws.db.execute("UPDATE products SET available = 0 WHERE id = 'shop:A'")
    result = check_links(ws, now=NOW)
    states = {s.code: s for s in result.links}
    assert states[a.code].state == "sold_out" and states[k.code].state == "coupon_expired"
    assert states[z.code].state == "ok"
    # the three most recently updated available products of the same source, each with a link in channel g
    alternatives = [ws.db.execute("SELECT product_id, channel FROM links WHERE code = ?", (c,)).fetchone()
                    for c in states[a.code].alternatives]
    assert [tuple(r) for r in alternatives] == [("shop:B", "g"), ("shop:C", "g"), ("shop:D", "g")]
    assert ws.db.execute("SELECT state FROM links WHERE code = ?", (a.code,)).fetchone()[0] == "sold_out"
    assert [e[0] for e in ws.db.execute("SELECT kind FROM events ORDER BY id")] == ["link.dead", "link.dead"]
    # unchanged on a second run: no new events; a product back in stock revives its link
    check_links(ws, now=NOW)
    assert ws.db.execute("SELECT count(*) FROM events").fetchone()[0] == 2
    with ws.db:
        ws.db.execute("UPDATE products SET available = 1 WHERE id = 'shop:A'")
    again = {s.code: s for s in check_links(ws, now=NOW).links}
    assert again[a.code].state == "ok" and again[a.code].changed


def test_dead_link_answers_a_chinese_page_with_counted_alternatives_never_an_open_redirect(shop):
    ws = shop
    a = ensure_link(ws, "shop:A", "g")
    with ws.db:
        ws.db.execute("UPDATE products SET available = 0 WHERE id = 'shop:A'")
    result = check_links(ws, now=NOW)
    alternatives = result.links[0].alternatives
    server = ThreadServer(RedirectApp(ws.home, flush_interval=0.05, cache_ttl=0)).start()
    try:
        with httpx.Client(base_url=server.url, headers={"user-agent": BROWSER}) as client:
            page = client.get(f"/{a.code}")
            alt = client.get(f"/{alternatives[0]}")
            anyway = client.get(f"/{a.code}?go=1&url=https://evil.example.com")
            head = client.head(f"/{a.code}")
    finally:
        server.stop()
    assert page.status_code == 200 and "location" not in page.headers
    assert "已售罄" in page.text and "保温杯" in page.text and "茶具" in page.text and "¥59.00" in page.text
    for code in alternatives:
        assert f'href="/{code}"' in page.text
    assert f'href="/{a.code}?go=1"' in page.text
    assert alt.status_code == 302 and alt.headers["location"] == "https://shop.example.com/p/B?ref=g"
    assert anyway.status_code == 302 and anyway.headers["location"] == "https://shop.example.com/p/A?ref=g"
    assert head.status_code == 200 and head.content == b""
    clicks = dict(ws.db.execute("SELECT code, count(*) FROM clicks WHERE is_bot = 0 GROUP BY code").fetchall())
    assert clicks == {a.code: 1, alternatives[0]: 1}  # the page view and the alternative; "anyway" is not a second


def test_coupon_expired_page_and_link_list_state(shop, cli):
    ws = shop
    k = ensure_link(ws, "shop:K", "g")
    check_links(ws, now=NOW)
    server = ThreadServer(RedirectApp(ws.home, flush_interval=0.05, cache_ttl=0)).start()
    try:
        page = httpx.get(f"{server.url}/{k.code}", headers={"user-agent": BROWSER})
    finally:
        server.stop()
    assert page.status_code == 200 and "优惠券已过期" in page.text
    listed = json.loads(cli("link", "list", "--json").stdout)
    assert {x["code"]: x["state"] for x in listed}[k.code] == "coupon_expired"
    table = cli("link", "list")
    assert "coupon_expired" in table.stdout
    data = json.loads(cli("link", "check", "--json").stdout)
    assert data["checked"] >= 1 and any(x["code"] == k.code and x["state"] == "coupon_expired" for x in data["links"])


def test_feed_coupon_end_column_expires_the_link(ws, cli, tmp_path):
    feed = tmp_path / "feed.csv"
    feed.write_text("id,title,price,coupon,coupon_end,link\n"
                    "F1,毛巾,19.90,满10减2,2026-11-01,https://shop.example.com/f1\n"
                    "F2,牙刷,9.90,,,https://shop.example.com/f2\n", encoding="utf-8")
    assert cli("config", "set", "sources.f.kind", "feed").exit_code == 0
    assert cli("config", "set", "sources.f.path", str(feed)).exit_code == 0
    assert cli("pull", "f", "--no-images").exit_code == 0
    ws.reload_config()
    one = ensure_link(ws, "f:F1", "g")
    states = {s.code: s.state for s in check_links(ws).links}
    assert states[one.code] == "coupon_expired"


def test_coupon_end_from_each_source_shape():
    assert parse_end(1704600000000) == datetime(2024, 1, 7, 4, tzinfo=UTC)          # JD useEndTime, ms
    assert parse_end(1704600000) == datetime(2024, 1, 7, 4, tzinfo=UTC)             # PDD coupon_end_time, s
    assert parse_end("2026-11-01") == datetime(2026, 11, 1, 16, tzinfo=UTC)         # through that day in +08:00
    assert parse_end("2026-11-01 10:00:00") == datetime(2026, 11, 1, 2, tzinfo=UTC)
    assert parse_end("junk") is None and parse_end(None) is None and parse_end(0) is None
    assert coupon_end({"sale_price_effective_date": "2026-11-01T00:00+08:00/2026-11-11T23:59+08:00"}) == \
        datetime(2026, 11, 11, 15, 59, tzinfo=UTC)
    assert coupon_end({"coupon_end_ms": 1704600000000, "coupon_end": "2024-01-01"}) == \
        datetime(2024, 1, 1, 16, tzinfo=UTC)  # the earliest end wins
    assert coupon_end({}) is None


def test_jd_best_coupon_use_end_time_from_a_real_pull_expires_the_link(ws, cli):
    from fakes import GatewayServer

    from sharekit.demo.gateways.jd import JdGateway

    with GatewayServer(JdGateway(), "/routerjson") as server:
        for key, value in (("kind", "jd"), ("app_key", "testkey"), ("app_secret", "testsecret"),
                           ("site_id", "61866"), ("endpoint", server.url), ("rate_limit", "0"),
                           ("allow_private_hosts", "true")):
            assert cli("config", "set", f"sources.jd.{key}", value).exit_code == 0
        assert cli("pull", "jd", "--no-images").exit_code == 0
        ws.reload_config()
        with_coupon = ensure_link(ws, "jd:100012043978", "g")   # useEndTime 2024-01-07: long past
        without = ensure_link(ws, "jd:100012043980", "g")       # no coupon
        result = {s.code: s for s in check_links(ws).links}
    assert result[with_coupon.code].state == "coupon_expired"
    assert "2024-01-07" in result[with_coupon.code].reason
    assert result[without.code].state == "ok"
    # the only offer left in the source without an expired coupon is the coupon-less one
    alternatives = result[with_coupon.code].alternatives
    assert [ws.db.execute("SELECT product_id FROM links WHERE code = ?", (c,)).fetchone()[0]
            for c in alternatives] == ["jd:100012043980"]
