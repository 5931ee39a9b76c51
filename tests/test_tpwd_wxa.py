"""淘口令 and mini-program paths without the affiliate API: feed columns, the in-WeChat page (real
uvicorn on 127.0.0.1), PDD's we_app_info and the share-text placeholders."""

from __future__ import annotations

import json
import socket
import threading
import time
from pathlib import Path

import httpx
import pytest
import uvicorn
from factories import add_product

from sharekit.poster.batch import app_values, share_text
from sharekit.poster.render import Brand, ProductRecord
from sharekit.sources.feed import FeedSource
from sharekit.store.config import write_config
from sharekit.tracking.channels import add_channel
from sharekit.tracking.links import ensure_link
from sharekit.tracking.server.app import RedirectApp

WECHAT = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
          "Mobile/15E148 MicroMessenger/8.0.49(0x18003129) NetType/WIFI Language/zh_CN")
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"


class Server:
    def __init__(self, app: RedirectApp) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.server = uvicorn.Server(uvicorn.Config(app, lifespan="on", log_level="warning", access_log=False))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)

    def __enter__(self) -> Server:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            assert time.monotonic() < deadline and self.thread.is_alive(), "server did not start"
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(30)
        self.sock.close()


def feed_products(path: Path) -> list:
    with FeedSource("f", {"path": str(path), "currency": "CNY"}) as source:
        return [p for page in source.iter_products() for p in page]


def test_feed_columns_tpwd_and_wxa_path_are_stored_under_any_header(tmp_path):
    feed = tmp_path / "p.csv"
    feed.write_text("id,title,price,tpwd,wxa_path,wxa_appid\n"
                    "A1,杯子,19.90,￥AbC123￥,pages/item/detail/detail?sku=100,wx91d27dbf599dff74\n"
                    "A2,碗,9.90,,,\n", encoding="utf-8")
    a1, a2 = feed_products(feed)
    assert a1.extra["tpwd"] == "￥AbC123￥"
    assert a1.extra["wxa_path"] == "pages/item/detail/detail?sku=100"
    assert a1.extra["wxa_appid"] == "wx91d27dbf599dff74"
    assert "tpwd" not in a2.extra and "wxa_path" not in a2.extra
    for header in ("淘口令", "口令"):
        cn = tmp_path / f"{header}.csv"
        cn.write_text(f"商品ID,标题,价格,{header},小程序路径\nB1,杯子,19.90,8￥Xy9Z￥/,pages/a?id=1\n",
                      encoding="utf-8")
        (b1,) = feed_products(cn)
        assert b1.extra["tpwd"] == "8￥Xy9Z￥/" and b1.extra["wxa_path"] == "pages/a?id=1"


def test_pull_then_products_show_json_carries_the_tpwd(cli, home, tmp_path):
    feed = tmp_path / "p.csv"
    feed.write_text("id,title,price,淘口令\nA1,杯子,19.90,￥AbC123￥\n", encoding="utf-8")
    assert cli(["init"]).exit_code == 0
    assert cli(["config", "set", "sources.f.kind", "feed"]).exit_code == 0
    assert cli(["config", "set", "sources.f.path", str(feed)]).exit_code == 0
    assert cli(["pull", "f", "--no-images"]).exit_code == 0
    shown = json.loads(cli(["products", "show", "f:A1", "--json"]).stdout)
    assert shown["extra"]["tpwd"] == "￥AbC123￥"


def test_wechat_page_shows_a_feed_products_tpwd_escaped_with_a_copy_button(ws):
    add_product(ws, "feed:A1", title="<b>杯</b>", extra={"tpwd": "￥Ab<script>alert(1)</script>￥"},
                url="https://item.jd.com/100.html?a=1&b=2")
    add_product(ws, "feed:A2", title="碗")                      # no 淘口令: a plain redirect
    with_code = ensure_link(ws, "feed:A1", "g1")
    without = ensure_link(ws, "feed:A2", "g1")
    with Server(RedirectApp(ws.home, mode="direct")) as server, \
            httpx.Client(base_url=server.url, trust_env=False) as client:
        page = client.get(f"/{with_code.code}", headers={"user-agent": WECHAT})
        browser = client.get(f"/{with_code.code}", headers={"user-agent": BROWSER})
        plain = client.get(f"/{without.code}", headers={"user-agent": WECHAT})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    body = page.text
    assert "￥Ab&lt;script&gt;alert(1)&lt;/script&gt;￥" in body and "<script>alert(1)" not in body
    assert "&lt;b&gt;杯&lt;/b&gt;" in body
    assert 'id="kl"' in body and "一键复制淘口令" in body and "copyCode()" in body
    # not a Taobao source: the product page itself is offered too (attribute-escaped)
    assert 'href="https://item.jd.com/100.html?a=1&amp;b=2?ref=g1"' in body or \
        'href="https://item.jd.com/100.html?a=1&amp;b=2&amp;ref=g1"' in body
    assert browser.status_code == 302                                     # outside WeChat: the redirect
    assert plain.status_code == 302 and plain.headers["location"].startswith("https://shop.example.com/")
    clicks = ws.db.execute("SELECT count(*) FROM clicks WHERE in_wechat = 1").fetchone()[0]
    assert clicks == 2


def test_share_text_placeholders_tpwd_wxa_path_and_share_text_fallback():
    product = ProductRecord("feed:A1", "杯子", sale_price=None)
    apps = app_values({"tpwd": "￥AbC123￥", "wxa_path": "pages/item/detail/detail?sku=1"}, {}, None)
    text = share_text(product, "https://s.example/X", None, Brand(),
                      "{title}\n{share_text}\n【小程序】{wxa_path}\n{link}", apps)
    assert text == "杯子\n￥AbC123￥\n【小程序】pages/item/detail/detail?sku=1\nhttps://s.example/X\n"
    # the default copy carries the product's own 淘口令 too
    assert "￥AbC123￥" in share_text(product, "https://s.example/X", None, Brand(), None, apps)
    # a link's own share text (Taobao API) wins; PDD's we_app_info wins over a feed path
    pdd = app_values({"wxa_path": "feed/path"},
                     {"we_app_info": {"app_id": "wx32540bd863b27570", "page_path": "package_a/x?goods_sign=S"}},
                     "￥Link￥")
    assert pdd == {"tpwd": "￥Link￥", "wxa_path": "package_a/x?goods_sign=S", "wxa_appid": "wx32540bd863b27570"}
    # nothing to say: the labelled line is dropped
    assert "小程序" not in share_text(product, "L", None, Brand(), "{title}\n【小程序】{wxa_path}\n{link}")


def test_pdd_links_keep_we_app_info_and_the_poster_share_text_uses_it(cli, ws):
    from fakes import GatewayServer

    from sharekit.demo.gateways.pdd import PddGateway

    gateway = PddGateway()
    with GatewayServer(gateway, "/api/router") as srv:
        data = dict(ws.config.data)
        data["sources"] = {"pdd": {"kind": "pdd", "client_id": "testclient", "client_secret": "testsecret",
                                   "pid": "1_2", "endpoint": srv.url, "rate_limit": 0,
                                   "allow_private_hosts": True}}
        data["poster"] = {"share_text": "{title}\n【小程序】{wxa_appid} {wxa_path}\n{link}"}
        write_config(ws.paths.config, data)
        ws.reload_config()
        add_product(ws, "pdd:c9r2omogKFFAc7WBwvbZU1", url="https://mobile.yangkeduo.com/goods.html?goods_id=1")
        add_channel(ws.db, "g1", kind="group")
        result = cli(["poster", "pdd:c9r2omogKFFAc7WBwvbZU1", "--channel", "g1", "--json", "--jobs", "1"])
    assert result.exit_code == 0, result.output
    assert gateway.calls[-1]["generate_we_app"] == "true"
    extra = json.loads(ws.db.execute("SELECT extra FROM links").fetchone()[0])
    assert extra["we_app_info"]["page_path"].startswith("package_a/welfare_coupon/welfare_coupon?goods_sign=")
    poster = json.loads(result.stdout)
    text = (poster["posters"][0] if "posters" in poster else poster["outcomes"][0])["share_text"]
    assert "【小程序】wx32540bd863b27570 package_a/welfare_coupon/welfare_coupon?goods_sign=c9r2omogKFFAc7WBwvbZU1" \
        in text


@pytest.mark.parametrize("kind", ["feed"])
def test_taobao_kind_without_any_code_still_gets_the_open_in_browser_page(ws, kind):
    add_product(ws, "tb:1", url="https://item.taobao.com/item.htm?id=1")
    data = dict(ws.config.data)
    data["sources"] = {"tb": {"kind": "taobao", "app_key": "k", "app_secret": "s", "adzone_id": "1",
                              "tpwd": False}}
    write_config(ws.paths.config, data)
    ws.reload_config()
    with ws.db:  # a stored link (the Taobao API is not needed to serve it)
        ws.db.execute("INSERT INTO links (code, product_id, channel, target_url, created_at)"
                      " VALUES ('TB1CODE', 'tb:1', '', 'https://s.click.taobao.com/x', '2026-11-26T00:00:00+00:00')")
    with Server(RedirectApp(ws.home, mode="direct")) as server, \
            httpx.Client(base_url=server.url, trust_env=False) as client:
        page = client.get("/TB1CODE", headers={"user-agent": WECHAT})
    assert page.status_code == 200 and "在浏览器打开" in page.text and 'id="kl"' not in page.text
