"""The coupon reaches the buyer: feed/storefront short links go to the coupon link (issue 14, defect 3)."""

from __future__ import annotations

import json

from sharekit.store.config import write_config
from sharekit.tracking.links import ensure_link

NOW = "2026-11-26T00:00:00+00:00"


def add_product(ws, pid: str, *, coupon_url: str | None, usable: int | None,
                url: str = "https://m.example-shop.cn/p/1") -> None:
    source, native = pid.split(":", 1)
    with ws.db:
        ws.db.execute(
            "INSERT INTO products (id, source, native_id, title, currency, price_minor, sale_price_minor,"
            " coupon_minor, coupon_url, coupon_usable, url, first_seen_at, updated_at, seen_at)"
            " VALUES (?,?,?,'保温杯','CNY',4990,5990,?,?,?,?,?,?,?)",
            (pid, source, native, 1000 if usable is not None else None, coupon_url, usable, url, NOW, NOW, NOW))


def set_source(ws, name: str, **settings) -> None:
    data = dict(ws.config.data)
    data["sources"] = {**dict(data.get("sources") or {}), name: {"kind": "feed", "path": "x.csv", **settings}}
    write_config(ws.paths.config, data)
    ws.reload_config()


def test_a_usable_coupon_link_is_where_the_short_link_sends_the_buyer(ws) -> None:
    set_source(ws, "shop")
    add_product(ws, "shop:1", coupon_url="https://m.example-shop.cn/coupon/1", usable=1)
    link = ensure_link(ws, "shop:1", "mama_group")
    assert link.target_url == "https://m.example-shop.cn/coupon/1?ref=mama_group"


def test_a_coupon_the_price_does_not_reach_is_not_the_target(ws) -> None:
    set_source(ws, "shop")
    add_product(ws, "shop:2", coupon_url="https://m.example-shop.cn/coupon/2?k=1", usable=0)
    assert ensure_link(ws, "shop:2", "g").target_url == "https://m.example-shop.cn/p/1?ref=g"


def test_without_a_coupon_the_product_url_as_before(ws) -> None:
    set_source(ws, "shop")
    add_product(ws, "shop:3", coupon_url=None, usable=None)
    assert ensure_link(ws, "shop:3", "g").target_url == "https://m.example-shop.cn/p/1?ref=g"


def test_a_link_template_may_place_the_coupon_link(ws) -> None:
    set_source(ws, "shop", link_template="https://go.example.cn/?to={coupon_url}&sub={channel}&sku={id}")
    add_product(ws, "shop:4", coupon_url="https://m.example-shop.cn/coupon/4", usable=1)
    add_product(ws, "shop:5", coupon_url=None, usable=None, url="https://m.example-shop.cn/p/5")
    assert ensure_link(ws, "shop:4", "g").target_url == \
        "https://go.example.cn/?to=https://m.example-shop.cn/coupon/4&sub=g&sku=4"
    # no coupon link: {coupon_url} is the product URL, so one template serves every product
    assert ensure_link(ws, "shop:5", "g").target_url == "https://go.example.cn/?to=https://m.example-shop.cn/p/5&sub=g&sku=5"


def test_a_pulled_feed_products_short_link_redirects_the_buyer_to_its_coupon(ws, cli, tmp_path) -> None:
    import httpx
    from test_server_redirects import BROWSER, ThreadServer

    from sharekit.tracking.server.app import RedirectApp

    feed = tmp_path / "p.csv"
    feed.write_text("id,title,link,price,sale_price,coupon,coupon_link\n"
                    "A,保温杯,https://m.example-shop.cn/p/A,89.90,59.90,满59减10,https://m.example-shop.cn/coupon/A\n"
                    "B,连衣裙,https://m.example-shop.cn/p/B,89,,满99减10,https://m.example-shop.cn/coupon/B\n",
                    encoding="utf-8")
    data = dict(ws.config.data)
    data["sources"] = {"f": {"kind": "feed", "path": str(feed), "currency": "CNY"}}
    write_config(ws.paths.config, data)
    assert cli(["pull", "f", "--no-images"]).exit_code == 0
    assert cli(["channel", "add", "mama_group", "--kind", "group"]).exit_code == 0
    codes = {}
    for pid in ("f:A", "f:B"):
        result = cli(["link", "create", pid, "--channel", "mama_group", "--json"])
        assert result.exit_code == 0, result.output
        codes[pid] = json.loads(result.stdout)["code"]
    server = ThreadServer(RedirectApp(ws.home, flush_interval=0.05)).start()
    try:
        with httpx.Client(base_url=server.url, headers={"user-agent": BROWSER}) as client:
            a = client.get(f"/{codes['f:A']}?s=q")
            b = client.get(f"/{codes['f:B']}")
    finally:
        server.stop()
    assert a.status_code == 302 and a.headers["location"] == "https://m.example-shop.cn/coupon/A?ref=mama_group"
    # ¥89 with 满99减10: the coupon cannot be used, so the buyer goes to the product page
    assert b.headers["location"] == "https://m.example-shop.cn/p/B?ref=mama_group"
