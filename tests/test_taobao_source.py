"""TaobaoSource against a real local TOP gateway: search, links with 淘口令, orders, errors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
import pytest

from sharekit.core.money import Money
from sharekit.errors import InputError, SourceAuthError, SourceError, SourceThrottled
from sharekit.orders.store import upsert_order_lines
from sharekit.sources import build_source
from sharekit.sources.base import StoredProduct
from sharekit.sources.taobao import TaobaoSource

try:  # the fakes package is importable as tests.fakes_tb or fakes_tb depending on the rootdir layout
    from tests.fakes_tb import TopFake
except ImportError:
    from fakes_tb import TopFake

NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
def gateway():
    fake = TopFake()
    yield fake
    fake.close()


@pytest.fixture
def sleeps():
    return []


@pytest.fixture
def make_source(gateway, sleeps):
    made = []

    def make(**settings):
        client = httpx.Client()
        base = {"kind": "taobao", "app_key": "testkey", "app_secret": "testsecret", "adzone_id": "111112234455",
                "allow_private_hosts": True, "endpoint": gateway.endpoint, "retries": 3}
        source = build_source("tb", {**base, **settings}, client=client, sleep=sleeps.append)
        made.append((source, client))
        return source

    yield make
    for source, client in made:
        source.close()
        client.close()


def test_build_source_gives_a_taobao_source(make_source):
    assert isinstance(make_source(), TaobaoSource)


@pytest.mark.parametrize("method", ["md5", "hmac", "hmac-sha256"])
def test_gateway_accepts_each_sign_method(gateway, make_source, method):
    gateway.add_item("abcDEF123", "保温杯 316不锈钢")
    pages = list(make_source(sign_method=method).iter_products(query="保温杯"))
    assert [p.native_id for p in pages[0]] == ["abcDEF123"]
    sent = gateway.requests[-1]
    assert sent["sign_method"] == method
    assert len(sent["sign"]) == (64 if method == "hmac-sha256" else 32)


def test_search_maps_prices_images_and_rate(gateway, make_source):
    gateway.add_item("abcDEF123", "保温杯 316不锈钢", reserve="99.00", zk="79.00", final="69.00", rate="10.00")
    product = next(iter(make_source().iter_products(query="保温杯")))[0]
    assert product.price == Money(7900, "CNY")           # zk_final_price: what it sells for
    assert product.original_price == Money(9900, "CNY")  # reserve_price
    assert product.coupon == Money(1000, "CNY")          # what final_promotion_price takes off
    assert product.story.final_price == Money(6900, "CNY")
    assert product.commission_rate == Decimal("0.1")
    assert product.image_urls[0] == "https://img.alicdn.com/abcDEF123.jpg"
    assert product.url.startswith("https://uland.taobao.com/")


def test_search_pages_until_the_limit(gateway, make_source):
    for n in range(25):
        gateway.add_item(f"item{n:03d}", f"数据线 {n}")
    pages = list(make_source(page_size=10).iter_products(query="数据线", limit=23))
    assert [len(p) for p in pages] == [10, 10, 3]
    assert [r["page_no"] for r in gateway.requests] == ["1", "2", "3"]
    ids = [p.native_id for page in pages for p in page]
    assert ids == [f"item{n:03d}" for n in range(23)]  # no page overlaps another


def test_search_needs_a_query(make_source):
    with pytest.raises(InputError):
        list(make_source().iter_products())


def test_wrong_secret_is_a_permanent_auth_error(make_source, gateway):
    with pytest.raises(SourceAuthError) as info:
        list(make_source(app_secret="wrong").iter_products(query="x"))
    assert "wrong" not in str(info.value)
    assert len(gateway.requests) == 1  # never retried


def test_a_skewed_clock_is_refused_by_the_gateway(gateway, sleeps):
    with httpx.Client() as client:
        source = TaobaoSource("tb", {"app_key": "testkey", "app_secret": "testsecret", "adzone_id": "1",
                                     "allow_private_hosts": True, "endpoint": gateway.endpoint},
                              client=client, sleep=sleeps.append,
                              clock=lambda: datetime.now(UTC) - timedelta(minutes=20))
        with pytest.raises(SourceError, match="timestamp"):
            list(source.iter_products(query="x"))


def test_throttling_sub_code_backs_off_then_succeeds(gateway, make_source, sleeps):
    gateway.add_item("a1", "雨伞")
    gateway.throttle_next = 2
    pages = list(make_source().iter_products(query="雨伞"))
    assert pages[0][0].native_id == "a1"
    assert len([s for s in sleeps if s > 0]) >= 2


def test_persistent_throttling_raises_source_throttled(gateway, make_source):
    gateway.throttle_next = 99
    with pytest.raises(SourceThrottled):
        list(make_source(retries=2).iter_products(query="雨伞"))


def test_promotion_link_carries_the_channel_relation_id_and_a_tpwd(gateway, make_source):
    gateway.add_item("abcDEF123", "保温杯 316不锈钢")
    source = make_source(channels={"friend_lili": {"taobao_relation_id": "2788889"}})
    link = source.promotion_link(StoredProduct("abcDEF123", "保温杯 316不锈钢"), "friend_lili")
    assert link.url.startswith("https://uland.taobao.com/")
    assert "relationId=2788889" in link.url
    assert link.share_text and "￥" in link.share_text
    search = [r for r in gateway.requests if r["method"].endswith("optional.upgrade")][-1]
    assert search["relation_id"] == "2788889"
    tpwd = [r for r in gateway.requests if r["method"] == "taobao.tbk.tpwd.create"][-1]
    assert tpwd["url"] == link.url


def test_promotion_link_uses_the_channel_adzone_when_configured(gateway, make_source):
    gateway.add_item("abcDEF123", "保温杯 316不锈钢", coupon=False)
    source = make_source(channels={"moments": {"taobao_adzone_id": "999"}})
    link = source.promotion_link(StoredProduct("abcDEF123", "保温杯 316不锈钢"), "moments")
    assert "pid=mm_1_2_999" in link.url and link.url.startswith("https://s.click.taobao.com/")


def test_untagged_link_reuses_the_stored_search_link_without_a_search(gateway, make_source):
    source = make_source()
    stored = StoredProduct("abcDEF123", "保温杯 316不锈钢", extra={"coupon_share_url": "https://uland.taobao.com/c?e=1"})
    link = source.promotion_link(stored, "")
    assert link.url == "https://uland.taobao.com/c?e=1"
    assert [r["method"] for r in gateway.requests] == ["taobao.tbk.tpwd.create"]
    assert link.extra["attributed"] is False


def test_link_without_tpwd_permission_still_works_without_share_text(gateway, make_source):
    gateway.add_item("abcDEF123", "保温杯 316不锈钢")
    gateway.tpwd_permission = False
    link = make_source().promotion_link(StoredProduct("abcDEF123", "保温杯 316不锈钢"), "")
    assert link.url and link.share_text is None
    assert "tpwd_error" in link.extra


def test_promotion_link_for_an_item_search_no_longer_returns(gateway, make_source):
    source = make_source(channels={"moments": {"taobao_adzone_id": "999"}})
    with pytest.raises(SourceError, match="no longer"):
        source.promotion_link(StoredProduct("gone", "保温杯"), "moments")


# orders --------------------------------------------------------------------------------------
def _window():
    end = NOW - timedelta(hours=1)
    return end - timedelta(hours=3), end


def test_orders_page_with_position_index_and_jump_type(gateway, make_source):
    start, end = _window()
    for n in range(25):
        gateway.add_order(f"29415988744506{n:04d}", start + timedelta(minutes=5 * n + 1))
    pages = list(make_source(page_size=10).iter_orders(start, end))
    assert [len(p.lines) for p in pages] == [10, 10, 5]
    calls = [r for r in gateway.requests if r["method"] == "taobao.tbk.order.details.get"]
    assert "position_index" not in calls[0] and "jump_type" not in calls[0]
    assert all(c["jump_type"] == "1" and c["position_index"] for c in calls[1:])
    assert all(c["query_type"] == "4" for c in calls)
    assert pages[0].next_cursor["page_no"] == 2 and pages[-1].next_cursor is None
    assert len({line.row_id for page in pages for line in page.lines}) == 25


def test_orders_resume_from_a_cursor_mid_window(gateway, make_source):
    start, end = _window()
    for n in range(25):
        gateway.add_order(f"29415988744506{n:04d}", start + timedelta(minutes=5 * n + 1))
    source = make_source(page_size=10)
    first = next(iter(source.iter_orders(start, end)))
    rest = list(source.iter_orders(start, end, first.next_cursor))
    assert [len(p.lines) for p in rest] == [10, 5]
    assert rest[0].lines[0].row_id == "294159887445060010"


def test_a_cursor_from_another_window_is_ignored(gateway, make_source):
    start, end = _window()
    gateway.add_order("100000000000000101", start + timedelta(minutes=1))
    stale = {"window_start": (end + timedelta(hours=5)).isoformat(), "page_no": 3, "position_index": "x"}
    lines = [ln for page in make_source().iter_orders(start, end, stale) for ln in page.lines]
    assert [ln.row_id for ln in lines] == ["100000000000000101"]


def test_order_statuses_commission_and_refund_tag(gateway, make_source):
    start, end = _window()
    t = start + timedelta(minutes=10)
    gateway.add_order("100000000000000101", t, tk_status=12, pre_fee="1.12")
    gateway.add_order("100000000000000201", t, tk_status=14, pre_fee="2.00", refund_tag=1)
    gateway.add_order("100000000000000301", t, tk_status=3, pre_fee="3.00", fee="2.80",
                      earning=(t + timedelta(minutes=1)).astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"))
    gateway.add_order("100000000000000401", t, tk_status=13, pre_fee="4.00")
    lines = {ln.row_id: ln for page in make_source().iter_orders(start, end) for ln in page.lines}
    assert [lines[k].status for k in sorted(lines)] == ["pending", "confirmed", "settled", "invalid"]
    assert lines["100000000000000301"].commission == Money(280, "CNY")
    assert lines["100000000000000101"].commission == Money(112, "CNY")
    assert lines["100000000000000201"].refund_tag == "1" and lines["100000000000000101"].refund_tag is None
    assert lines["100000000000000101"].amount == Money(1122, "CNY")
    assert lines["100000000000000101"].order_id == "100000000000000100"
    assert lines["100000000000000101"].ordered_at.tzinfo is not None


def test_orders_map_relation_id_and_adzone_back_to_channels(gateway, make_source, ws):
    start, end = _window()
    gateway.add_order("100000000000000101", start + timedelta(minutes=1), relation_id=2788889)
    gateway.add_order("100000000000000201", start + timedelta(minutes=2), adzone_id=999)
    gateway.add_order("100000000000000301", start + timedelta(minutes=3))
    source = make_source(channels={"friend_lili": {"taobao_relation_id": 2788889},
                                   "moments": {"taobao_adzone_id": "999"}})
    lines = [ln for page in source.iter_orders(start, end) for ln in page.lines]
    assert [ln.channel for ln in lines] == ["friend_lili", "moments", ""]
    counts = upsert_order_lines(ws.db, "tb", lines)
    assert counts.inserted == 3
    again = upsert_order_lines(ws.db, "tb", [ln for page in source.iter_orders(start, end) for ln in page.lines])
    assert again.unchanged == 3


def test_a_window_longer_than_three_hours_is_sliced(gateway, make_source):
    start = NOW - timedelta(hours=8)
    end = NOW - timedelta(hours=1)
    gateway.add_order("100000000000000101", start + timedelta(hours=1))
    gateway.add_order("100000000000000201", start + timedelta(hours=6))
    lines = [ln for page in make_source().iter_orders(start, end) for ln in page.lines]
    assert len(lines) == 2
    calls = [r for r in gateway.requests if r["method"] == "taobao.tbk.order.details.get"]
    assert len(calls) == 3  # 3 h + 3 h + 1 h; the gateway rejects anything longer


def test_big_sale_config_uses_twenty_minute_windows(gateway, make_source):
    gateway.big_sale = True
    start = NOW - timedelta(hours=2)
    end = start + timedelta(hours=1)
    gateway.add_order("100000000000000101", start + timedelta(minutes=30))
    source = make_source(big_sale=True)
    assert source.order_window == timedelta(minutes=20)
    lines = [ln for page in source.iter_orders(start, end) for ln in page.lines]
    assert len(lines) == 1
    assert len([r for r in gateway.requests if r["method"].endswith("details.get")]) == 3


def test_without_big_sale_config_the_gateway_rejects_a_long_window_in_a_sale(gateway, make_source):
    gateway.big_sale = True
    start, end = _window()
    with pytest.raises(SourceError, match="2007"):
        list(make_source().iter_orders(start, end))


def test_an_unknown_sign_method_is_a_config_error(make_source):
    from sharekit.errors import ConfigError

    with pytest.raises(ConfigError, match="sign_method"):
        make_source(sign_method="sha1")


def test_an_unknown_tk_status_is_kept_raw_as_unknown(gateway, make_source):
    start, end = _window()
    gateway.add_order("100000000000000101", start + timedelta(minutes=1), tk_status=11)
    line = next(iter(make_source().iter_orders(start, end))).lines[0]
    assert (line.status, line.raw_status) == ("unknown", "11")


def test_page_no_never_passes_100_a_busy_window_is_halved_instead(gateway, make_source):
    # suppliers.md 3.5: page_no 1-100. 130 orders at page_size 1 need more than 100 pages:
    # the window is split in two and each half read from page 1 (re-reads are harmless).
    start, end = _window()
    for n in range(130):
        gateway.add_order(f"2941598874450{n:05d}", start + timedelta(seconds=60 * n + 30))
    source = make_source(page_size=1)
    pages = list(source.iter_orders(start, end))
    calls = [r for r in gateway.requests if r["method"] == "taobao.tbk.order.details.get"]
    assert max(int(c["page_no"]) for c in calls) == 100
    assert len({line.row_id for p in pages for line in p.lines}) == 130
    assert pages[-1].next_cursor is None
    split = pages[100].next_cursor  # the first page of the first half
    assert len(split["parts"]) == 2 and split["page_no"] == 2
    assert {ln.row_id for p in pages[101:] for ln in p.lines} <= {
        ln.row_id for p in source.iter_orders(start, end, split) for ln in p.lines}


def test_a_resumed_split_window_reads_the_remaining_half(gateway, make_source):
    start, end = _window()
    middle = start + timedelta(minutes=90)
    gateway.add_order("100000000000000101", start + timedelta(minutes=10))
    gateway.add_order("100000000000000201", middle + timedelta(minutes=10))
    cursor = {"window_start": middle.isoformat(), "page_no": 1, "parts": [[middle.isoformat(), end.isoformat()]]}
    lines = [ln for page in make_source().iter_orders(start, end, cursor) for ln in page.lines]
    assert [ln.row_id for ln in lines] == ["100000000000000201"]


def test_system_parameters_have_the_documented_names_and_formats(gateway, make_source):
    # suppliers.md 3.1: method, app_key, timestamp (yyyy-MM-dd HH:mm:ss GMT+8), v=2.0, sign_method,
    # format=json and flat snake_case business fields; no empty values.
    start, end = _window()
    list(make_source().iter_orders(start, end))
    [call] = [r for r in gateway.requests if r["method"] == "taobao.tbk.order.details.get"]
    assert (call["v"], call["format"], call["sign_method"]) == ("2.0", "json", "md5")
    stamp = datetime.strptime(call["timestamp"], "%Y-%m-%d %H:%M:%S")
    assert abs((stamp - (datetime.now(UTC) + timedelta(hours=8)).replace(tzinfo=None)).total_seconds()) < 60
    assert call["start_time"] == (start + timedelta(hours=8)).strftime("%Y-%m-%d %H:%M:%S")
    assert call["end_time"] == (end + timedelta(hours=8)).strftime("%Y-%m-%d %H:%M:%S")
    assert "" not in call.values() and "simplify" not in call


def test_order_results_are_read_wrapped_or_simplified():
    # suppliers.md 3.3: lists are wrapped (results.publisher_order_dto[]) unless simplify=true (bare arrays)
    from sharekit.sources.taobao import _unwrap_list

    row = {"trade_id": "1"}
    assert _unwrap_list({"publisher_order_dto": [row]}, "publisher_order_dto") == [row]
    assert _unwrap_list([row], "publisher_order_dto") == [row]
    assert _unwrap_list({"publisher_order_dto": row}, "publisher_order_dto") == [row]
    assert _unwrap_list(None, "publisher_order_dto") == []


def test_orders_without_has_next_keep_paging_while_pages_are_full(gateway, make_source):
    start, end = _window()
    for n in range(25):
        gateway.add_order(f"29415988744506{n:04d}", start + timedelta(minutes=5 * n + 1))
    gateway.send_has_next = False
    pages = list(make_source(page_size=10).iter_orders(start, end))
    assert [len(p.lines) for p in pages] == [10, 10, 5]
    assert len({line.row_id for p in pages for line in p.lines}) == 25


@pytest.mark.parametrize(("extra", "coupon", "threshold", "final"), [
    # the classic fields: 满59减10 on a 59.90 selling price
    ({"coupon_amount": "10", "coupon_start_fee": "59.00"}, 1000, 5900, 4990),
    # 满99减10 on 59.90: not usable, the buyer pays 59.90
    ({"coupon_amount": "10", "coupon_start_fee": "99"}, 1000, 9900, 5990),
    # the upgrade API's promotion path: a 商品券 step with its rule
    ({"price_promotion_info": {"reserve_price": "89.90", "zk_final_price": "59.90", "final_promotion_path_list": {
        "final_promotion_path_map_data": [{"promotion_title": "单品直降", "promotion_fee": "3"},
                                          {"promotion_title": "商品券", "promotion_fee": "10",
                                           "promotion_desc": "满59元减10元"}]}}}, 1000, 5900, 4990),
])
def test_taobao_coupon_and_threshold(extra, coupon, threshold, final):
    from sharekit.sources.taobao import TaobaoSource

    item = {"item_id": "x1", "item_basic_info": {"title": "连衣裙"},
            "price_promotion_info": {"reserve_price": "89.90", "zk_final_price": "59.90"}, "publish_info": {}, **extra}
    source = TaobaoSource("tb", {"app_key": "k", "app_secret": "s", "adzone_id": "1"})
    try:
        product = source.to_product(item)
    finally:
        source.close()
    assert product.price == Money(5990, "CNY") and product.original_price == Money(8990, "CNY")
    assert (product.coupon, product.coupon_threshold) == (Money(coupon, "CNY"), Money(threshold, "CNY"))
    assert product.story.final_price == Money(final, "CNY")
