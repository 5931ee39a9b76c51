"""`sharekit products list|show` and `sharekit source list|check`."""

from __future__ import annotations

import json

import pytest
from catalog_fakes import FakeServer, Reply, shopify_app, shopify_product

from sharekit.catalog.pull import pull
from sharekit.store.config import set_value

DESIGN_KEYS = ["id", "source", "title", "price", "original_price", "sale_price", "final_price", "coupon",
               "coupon_threshold", "coupon_usable", "commission_rate", "url", "image_url", "available", "updated_at"]


@pytest.fixture
def no_proxy(monkeypatch):
    for key in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(key, raising=False)


@pytest.fixture
def stocked(ws, tmp_path):
    feed = tmp_path / "p.csv"
    feed.write_text(
        "id,title,price,sale_price,coupon,commission_rate,availability,link,image_link,brand\n"
        "A1,象印 保温杯,199.00,159.00,20,8%,in_stock,https://m.shop.cn/p/A1,https://img.shop.cn/a1.jpg,象印\n"
        "A2,电动牙刷,99.00,,,,out_of_stock,,,米家\n"
        "A3,每日坚果,129.90,89.90,,15%,in_stock,,,三只松鼠\n",
        encoding="utf-8",
    )
    set_value(ws.config, "sources.shop", {"kind": "feed", "path": str(feed)})
    ws.reload_config()
    pull(ws, "shop", images=False)
    return ws


def test_products_list_json_has_exactly_the_design_fields(cli, stocked):
    result = cli(["products", "list", "--json"])
    assert result.exit_code == 0, result.output
    items = json.loads(result.stdout)
    assert len(items) == 3
    assert all(list(item) == DESIGN_KEYS for item in items)
    cup = next(i for i in items if i["id"] == "shop:A1")
    assert cup == {
        "id": "shop:A1", "source": "shop", "title": "象印 保温杯",
        "price": {"minor": 13900, "currency": "CNY"}, "original_price": {"minor": 19900, "currency": "CNY"},
        "sale_price": {"minor": 15900, "currency": "CNY"}, "final_price": {"minor": 13900, "currency": "CNY"},
        "coupon": {"minor": 2000, "currency": "CNY"}, "coupon_threshold": None, "coupon_usable": True,
        "commission_rate": "0.08",
        "url": "https://m.shop.cn/p/A1", "image_url": "https://img.shop.cn/a1.jpg", "available": True,
        "updated_at": cup["updated_at"],
    }
    assert cup["updated_at"].endswith("+08:00")
    brush = next(i for i in items if i["id"] == "shop:A2")
    assert brush["original_price"] is None and brush["coupon"] is None and brush["commission_rate"] is None
    assert brush["sale_price"] == brush["final_price"] == {"minor": 9900, "currency": "CNY"}
    assert brush["coupon_usable"] is None


def test_products_list_filters(cli, stocked):
    def ids(*args):
        result = cli(["products", "list", "--json", *args])
        assert result.exit_code == 0, result.output
        return sorted(i["id"] for i in json.loads(result.stdout))

    assert ids("--available") == ["shop:A1", "shop:A3"]
    assert ids("--search", "坚果") == ["shop:A3"]
    assert ids("--search", "米家") == ["shop:A2"]          # brand matches too
    assert ids("--search", "100%") == []                  # LIKE wildcards are literal
    assert ids("--source", "other") == []
    assert len(ids("--limit", "2")) == 2


def test_products_list_table_for_people(cli, stocked):
    result = cli(["products", "list"])
    assert result.exit_code == 0, result.output
    assert "象印 保温杯" in result.stdout and "¥139.00" in result.stdout and "8%" in result.stdout


def test_products_show_json_has_price_history(cli, stocked, tmp_path):
    feed = tmp_path / "p.csv"
    feed.write_text(feed.read_text(encoding="utf-8").replace("159.00", "149.00"), encoding="utf-8")
    pull(stocked, "shop", images=False)
    result = cli(["products", "show", "shop:A1", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["brand"] == "象印" and data["native_id"] == "A1"
    assert [h["price"]["minor"] for h in data["price_history"]] == [13900, 12900]
    assert all(h["recorded_at"].endswith("+08:00") for h in data["price_history"])
    shown = cli(["products", "show", "A1"])  # a bare native id that is unique works too
    assert shown.exit_code == 0 and "price history" in shown.stdout


def test_products_show_unknown_id_exits_1(cli, stocked):
    result = cli(["products", "show", "shop:nope"])
    assert result.exit_code == 1
    assert "No product `shop:nope` in the store" in result.stderr


def test_source_list_json_shows_configured_sources_and_installed_kinds(cli, stocked):
    result = cli(["source", "list", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    (shop,) = data["sources"]
    assert shop["last_pull"].endswith("+08:00")
    assert (shop["name"], shop["kind"], shop["installed"], shop["products"], shop["available"]) == (
        "shop", "feed", True, 3, 2)
    kinds = {k["name"]: k for k in data["kinds"]}
    for name in ("feed", "shopify", "woocommerce"):
        assert kinds[name]["builtin"] and kinds[name]["importable"]


def test_source_check_ok_and_failing(cli, ws, no_proxy):
    good = FakeServer(shopify_app([shopify_product(1, "A", "1.00")])).start()
    locked = FakeServer(shopify_app([], override=lambda r, n: Reply.html("Enter password", 401))).start()
    try:
        set_value(ws.config, "sources.good", {"kind": "shopify", "allow_private_hosts": True, "store": good.url})
        ws.reload_config()
        set_value(ws.config, "sources.locked", {"kind": "shopify", "allow_private_hosts": True, "store": locked.url,
                                                "retries": 0})
        ok = cli(["source", "check", "good"])
        assert ok.exit_code == 0, ok.output
        assert ok.stdout.startswith("ok good (shopify):")
        bad = cli(["source", "check", "locked", "--json"])
        assert bad.exit_code == 1
        data = json.loads(bad.stdout)
        assert data["ok"] is False and "answered HTTP 401" in data["message"]
    finally:
        good.close()
        locked.close()


def test_source_check_unknown_kind_is_a_config_error(cli, ws):
    set_value(ws.config, "sources.odd", {"kind": "ebay"})
    result = cli(["source", "check", "odd"])
    assert result.exit_code == 1
    assert "Unknown source kind `ebay`" in result.stderr


def test_every_catalog_command_has_help_with_an_example(cli):
    for argv in (["pull"], ["products", "list"], ["products", "show"], ["source", "list"], ["source", "check"]):
        result = cli([*argv, "--help"])
        assert result.exit_code == 0, result.output
        assert "Example: sharekit " in result.stdout
