"""PddSource against the local fake PDD gateway (a real HTTP server on 127.0.0.1)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from fakes import GatewayServer

from sharekit.core.money import Money
from sharekit.demo.gateways.pdd import PddGateway, make_orders
from sharekit.errors import SourceAuthError, SourceError, SourceThrottled
from sharekit.sources.base import StoredProduct
from sharekit.sources.pdd import PddSource, channel_from_custom, pdd_status


@pytest.fixture
def gateway():
    return PddGateway()


@pytest.fixture
def server(gateway):
    with GatewayServer(gateway, "/api/router") as srv:
        yield srv


@pytest.fixture
def make_source(server):
    made = []

    def make(**settings):
        base = {"kind": "pdd", "client_id": "testclient", "client_secret": "testsecret", "pid": "1_2",
                "allow_private_hosts": True, "endpoint": server.url, "rate_limit": 0}
        source = PddSource("pdd", {**base, **settings}, sleep=lambda _s: None)
        made.append(source)
        return source

    yield make
    for source in made:
        source.close()


def test_search_keeps_fen_and_turns_per_mille_into_a_rate(make_source, gateway):
    products = [p for page in make_source().iter_products(query="手机壳") for p in page]
    assert len(products) == 5
    first = products[0]
    assert first.native_id == "c9r2omogKFFAc7WBwvbZU00"
    assert first.original_price == Money(935, "CNY")   # min_normal_price, the single-buy price
    assert first.price == Money(435, "CNY")            # min_group_price, what it sells for
    assert first.coupon == Money(192, "CNY")
    assert first.coupon_threshold == Money(435, "CNY")  # coupon_min_order_amount, reached
    assert first.story.final_price == Money(243, "CNY")
    assert first.commission_rate == Decimal("0.205")
    assert products[2].price == Money(29, "CNY") and products[2].coupon is None
    assert products[2].story.final_price == Money(29, "CNY")
    assert gateway.calls[0]["keyword"] == "手机壳" and gateway.calls[0]["pid"] == "1_2"


def test_limit_pages_with_a_page_size_of_at_least_ten(make_source, gateway):
    products = [p for page in make_source().iter_products(limit=3) for p in page]
    assert len(products) == 3
    assert gateway.calls[0]["page_size"] == "10"


def test_promotion_link_carries_the_channel_in_custom_parameters(make_source, gateway):
    link = make_source().promotion_link(StoredProduct("c9r2omogKFFAc7WBwvbZU00", extra={"search_id": "S1"}),
                                        "g1")
    sent = gateway.calls[-1]
    assert sent["custom_parameters"] == '{"sid":"g1"}'
    assert sent["goods_sign_list"] == '["c9r2omogKFFAc7WBwvbZU00"]'
    assert sent["generate_short_url"] == "true" and sent["search_id"] == "S1"
    assert link.url.startswith("https://mobile.yangkeduo.com/") and "%22sid%22%3A%22g1%22" in link.url
    assert link.short_url == "https://p.pinduoduo.com/m0"


def test_bad_secret_is_an_auth_error_without_the_secret(make_source):
    with pytest.raises(SourceAuthError) as info:
        make_source(client_secret="very-secret-999").check()
    assert "client_secret" in str(info.value) and "very-secret-999" not in str(info.value)


def test_unknown_client_id_is_an_auth_error(make_source):
    with pytest.raises(SourceAuthError, match="client id"):
        make_source(client_id="nobody").check()


def test_unknown_pid_stops_with_the_gateway_message(make_source):
    with pytest.raises(SourceError, match="60001"):
        make_source(pid="9_9").promotion_link(StoredProduct("x"), "g1")


def test_rate_limit_52101_every_other_call_is_retried(make_source, gateway):
    gateway.throttle_every = 2
    source = make_source()
    for _ in range(4):
        assert "answered" in source.check()
    assert gateway.throttled >= 1


def test_rate_limit_that_never_ends_raises_source_throttled(make_source, gateway):
    gateway.throttle_every = 1
    with pytest.raises(SourceThrottled):
        make_source(retries=1).check()


def test_orders_are_read_backwards_from_the_last_page(make_source, gateway):
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=30)
    gateway.set_orders(make_orders(25, start, timedelta(hours=20)))
    pages = list(make_source(order_page_size=10).iter_orders(start, start + timedelta(hours=24)))
    assert [len(p.lines) for p in pages] == [5, 10, 10]
    assert [p.next_cursor for p in pages] == [{"page": 2}, {"page": 1}, None]
    assert [c["page"] for c in gateway.calls] == ["1", "3", "2", "1"]
    assert gateway.calls[0]["return_count"] == "true" and gateway.calls[1]["return_count"] == "false"
    assert len({line.row_id for p in pages for line in p.lines}) == 25


def test_order_fields_map_fen_times_and_channel(make_source, gateway):
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=5)
    gateway.set_orders(make_orders(1, start, timedelta(hours=1)))
    [page] = list(make_source().iter_orders(start, start + timedelta(hours=1)))
    [line] = page.lines
    assert line.row_id == "240102-100000001"
    assert line.status == "pending" and line.raw_status == "1"
    assert line.amount == Money(7, "CNY") and line.commission == Money(100500, "CNY")
    assert line.channel == "moments"
    assert line.updated_at == start
    assert line.list_amount == Money(435 * 2, "CNY")


def test_orders_window_longer_than_a_day_is_refused(make_source, gateway):
    start = datetime.now(UTC) - timedelta(days=3)
    with pytest.raises(ValueError):
        list(make_source().iter_orders(start, start + timedelta(hours=25)))
    assert gateway.calls == []


@pytest.mark.parametrize(("code", "expected"), [
    (0, "pending"), (1, "pending"), (2, "confirmed"), (3, "confirmed"), (5, "settled"),
    (4, "invalid"), (10, "invalid"), (7, "unknown"), ("?", "unknown"),
])
def test_order_status_maps_to_the_normalised_status(code, expected):
    assert pdd_status(code) == expected


@pytest.mark.parametrize(("custom", "channel"), [
    ('{"sid":"g1"}', "g1"), ('{"uid":"u1"}', ""), ("", ""), (None, ""), ("plain", "plain"),
])
def test_channel_comes_from_the_sid_of_custom_parameters(custom, channel):
    assert channel_from_custom(custom) == channel


def test_a_stale_clock_is_refused_by_the_gateway(server):
    source = PddSource("pdd", {"client_id": "testclient", "client_secret": "testsecret", "pid": "1_2",
                               "allow_private_hosts": True, "endpoint": server.url, "rate_limit": 0},
                       clock=lambda: datetime.now(UTC) - timedelta(minutes=30))
    try:
        with pytest.raises(SourceError, match="timestamp"):
            source.check()
    finally:
        source.close()


def test_orders_without_total_count_are_read_forwards_until_a_short_page(make_source, gateway):
    # suppliers.md 2.6: no has_next; "stop when a page returns fewer than page_size rows
    # (or use total_count)". A server that omits total_count must not cut the window short.
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=30)
    gateway.set_orders(make_orders(25, start, timedelta(hours=20)))
    gateway.send_total_count = False
    source = make_source(order_page_size=10)
    pages = list(source.iter_orders(start, start + timedelta(hours=24)))
    assert [len(p.lines) for p in pages] == [10, 10, 5]
    assert [c["page"] for c in gateway.calls] == ["1", "2", "3"]
    assert pages[-1].next_cursor is None
    assert len({line.row_id for p in pages for line in p.lines}) == 25
    resumed = list(source.iter_orders(start, start + timedelta(hours=24), pages[0].next_cursor))
    assert [len(p.lines) for p in resumed] == [10, 5]


def test_orders_without_total_count_stop_after_an_exactly_full_last_page(make_source, gateway):
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=30)
    gateway.set_orders(make_orders(20, start, timedelta(hours=20)))
    gateway.send_total_count = False
    pages = list(make_source(order_page_size=10).iter_orders(start, start + timedelta(hours=24)))
    assert [len(p.lines) for p in pages] == [10, 10, 0]
    assert len({line.row_id for p in pages for line in p.lines}) == 20


def test_every_parameter_travels_in_the_form_body_with_unix_seconds(make_source, gateway, server):
    # suppliers.md 2.1: POST form, type/client_id/timestamp (Unix seconds)/data_type=JSON/sign, flat business
    # fields, arrays as compact JSON strings; nothing in the query string.
    import time

    seen = []
    original = gateway.handle

    def spy(method, path, query, body, headers):
        seen.append((method, query))
        return original(method, path, query, body, headers)

    gateway.handle = spy
    before = int(time.time())
    make_source().promotion_link(StoredProduct("c9r2omogKFFAc7WBwvbZU00"), "g1")
    [(method, query)] = seen
    [params] = gateway.calls
    assert method == "POST" and query == ""
    assert params["type"] == "pdd.ddk.goods.promotion.url.generate" and params["data_type"] == "JSON"
    assert params["timestamp"].isdigit() and abs(int(params["timestamp"]) - before) <= 5
    assert params["goods_sign_list"] == '["c9r2omogKFFAc7WBwvbZU00"]'
    assert params["custom_parameters"] == '{"sid":"g1"}'
    assert params["generate_short_url"] == "true" and "" not in params.values()


@pytest.mark.parametrize(("goods", "usable", "final"), [
    # group price 59.90 (single buy 89.90), 满59减10: 49.90
    ({"min_group_price": 5990, "min_normal_price": 8990, "has_coupon": True, "coupon_discount": 1000,
      "coupon_min_order_amount": 5900}, True, 4990),
    # ¥89 with 满99减10: not usable, no after-coupon price
    ({"min_group_price": 8900, "min_normal_price": 8900, "has_coupon": True, "coupon_discount": 1000,
      "coupon_min_order_amount": 9900}, False, 8900),
    # has_coupon false: a leftover coupon_discount is not a coupon
    ({"min_group_price": 1990, "min_normal_price": 2990, "has_coupon": False, "coupon_discount": 300}, None, 1990),
])
def test_pdd_price_story_in_fen(goods, usable, final):
    source = PddSource("pdd", {"client_id": "c", "client_secret": "s", "pid": "1_2"})
    try:
        product = source.product({"goods_sign": "g1", "goods_name": "x", **goods})
    finally:
        source.close()
    assert product.price == Money(goods["min_group_price"], "CNY")
    assert product.original_price == Money(goods["min_normal_price"], "CNY")
    assert product.story.coupon_usable is usable
    assert product.story.final_price == Money(final, "CNY")
