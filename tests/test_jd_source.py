"""JdSource against the local fake JD gateway (a real HTTP server on 127.0.0.1)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import httpx
import pytest
from fakes import GatewayServer

from sharekit.core.money import Money
from sharekit.demo.gateways.jd import JdGateway, make_order_rows
from sharekit.errors import SourceAuthError, SourceError, SourceThrottled
from sharekit.sources.base import StoredProduct
from sharekit.sources.jd import JdSource, jd_status


@pytest.fixture
def gateway():
    return JdGateway()


@pytest.fixture
def server(gateway):
    with GatewayServer(gateway, "/routerjson") as srv:
        yield srv


@pytest.fixture
def make_source(server):
    made = []

    def make(**settings):
        base = {"kind": "jd", "app_key": "testkey", "app_secret": "testsecret", "site_id": "61866",
                "allow_private_hosts": True, "endpoint": server.url, "rate_limit": 0}
        source = JdSource("jd", {**base, **settings}, sleep=lambda _s: None)
        made.append(source)
        return source

    yield make
    for source in made:
        source.close()


def test_jingfen_products_keep_yuan_amounts_exact(make_source):
    pages = list(make_source().iter_products())
    products = [p for page in pages for p in page]
    assert len(products) == 5
    first = products[0]
    assert first.native_id == "100012043978"
    assert first.price == Money(435, "CNY")            # 4.35 selling (lowestPrice)
    assert first.original_price == Money(435, "CNY")   # 4.35 list price
    assert first.coupon == Money(192, "CNY")
    assert first.coupon_threshold == Money(435, "CNY")  # the coupon's quota
    assert first.story.coupon_usable and first.story.final_price == Money(243, "CNY")  # = lowestCouponPrice
    assert first.commission_rate == Decimal("0.125")
    assert first.url == "https://item.jd.com/100012043978.html"
    assert first.coupon_url.startswith("https://coupon.m.jd.com/")
    assert first.extra["commission"] == "0.29"
    assert products[2].price == Money(29, "CNY") and products[2].coupon is None


def test_keyword_uses_goods_query_and_limit_caps_the_page_size(make_source, gateway):
    products = [p for page in make_source().iter_products(query="保温杯", limit=2) for p in page]
    assert [p.title for p in products] == ["京东好物 0 保温杯", "京东好物 2 保温杯"]
    assert gateway.calls[0]["method"] == "jd.union.open.goods.query"
    assert gateway.calls[0]["goodsReqDTO"]["pageSize"] == 2


def test_keyword_without_goods_query_permission_filters_jingfen(make_source, gateway):
    source = make_source(goods_query=False, elite_id=22)
    products = [p for page in source.iter_products(query="数据线") for p in page]
    assert {p.native_id for p in products} == {"100012043979", "100012043981"}
    assert gateway.calls[0] == {"method": "jd.union.open.goods.jingfen.query",
                                "goodsReq": {"eliteId": 22, "pageIndex": 1, "pageSize": 50}}


def test_goods_query_without_permission_is_an_auth_error_that_says_what_to_fix(make_source, gateway):
    gateway.goods_query_allowed = False
    with pytest.raises(SourceAuthError) as info:
        list(make_source().iter_products(query="杯"))
    assert "permission" in str(info.value)


def test_promotion_link_common_tags_the_channel_as_sub_union_id(make_source, gateway):
    link = make_source().promotion_link(StoredProduct("100012043978", url="https://item.jd.com/100012043978.html",
                                                              coupon_url="https://coupon.m.jd.com/x"), "g1")
    assert "sub=g1" in link.url and "site61866" in link.url
    req = gateway.calls[-1]["promotionCodeReq"]
    assert req == {"materialId": "https://item.jd.com/100012043978.html", "couponUrl": "https://coupon.m.jd.com/x",
                   "subUnionId": "g1", "siteId": "61866"}


def test_promotion_link_bysubunionid_returns_short_url(make_source, gateway):
    link = make_source(link_api="bysubunionid").promotion_link(StoredProduct("100012043978"), "moments")
    assert link.short_url.startswith("https://u.jd.com/")
    assert "sub=moments" in link.url
    assert gateway.calls[-1]["method"] == "jd.union.open.promotion.bysubunionid.get"
    assert gateway.calls[-1]["promotionCodeReq"]["chainType"] == 3


def test_wrong_site_id_is_an_auth_error_naming_the_setting(make_source):
    with pytest.raises(SourceAuthError) as info:
        make_source(site_id="1").promotion_link(StoredProduct("1"), "g1")
    assert "site_id" in str(info.value)


def test_bad_secret_is_refused_without_leaking_the_secret(make_source):
    with pytest.raises(SourceAuthError) as info:
        make_source(app_secret="wrong-secret-123").check()
    message = str(info.value)
    assert "signature" in message and "app_secret" in message
    assert "wrong-secret-123" not in message


def test_bad_app_key_is_refused(make_source):
    with pytest.raises(SourceAuthError, match="app key"):
        make_source(app_key="nope").check()


def test_throttling_every_second_call_is_retried_transparently(make_source, gateway):
    gateway.throttle_every = 2
    products = [p for page in make_source().iter_products(limit=5) for p in page]
    assert len(products) == 5
    source = make_source()
    for _ in range(3):
        assert source.check().startswith("jd.union.open.goods.jingfen.query answered")
    assert gateway.throttled >= 1


def test_throttling_that_never_ends_raises_source_throttled(make_source, gateway):
    gateway.throttle_every = 1
    with pytest.raises(SourceThrottled):
        make_source(retries=2).check()


def _window_rows(gateway, count, start):
    gateway.set_rows(make_order_rows(count, start, timedelta(minutes=50)))


def test_orders_page_while_has_more_and_map_every_field(make_source, gateway):
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
    _window_rows(gateway, 7, start)
    source = make_source(order_page_size=3)
    pages = list(source.iter_orders(start, start + timedelta(hours=1)))
    assert [len(p.lines) for p in pages] == [3, 3, 1]
    assert [p.next_cursor for p in pages] == [{"page": 2}, {"page": 3}, None]
    line = pages[0].lines[0]
    assert line.row_id == "415900000000000001"
    assert line.raw_status == "16" and line.status == "pending"
    assert line.amount == Money(435, "CNY") and line.commission == Money(243, "CNY")   # 4.35 and 2.43 yuan
    assert line.channel == "moments"
    assert line.updated_at == start
    req = gateway.calls[0]["orderReq"]
    assert req["type"] == 3 and req["pageSize"] == 3
    assert len(req["startTime"]) == 19   # yyyy-MM-dd HH:mm:ss, GMT+8


def test_orders_resume_from_a_cursor(make_source, gateway):
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
    _window_rows(gateway, 7, start)
    pages = list(make_source(order_page_size=3).iter_orders(start, start + timedelta(hours=1), {"page": 3}))
    assert [len(p.lines) for p in pages] == [1]


def test_orders_window_longer_than_an_hour_is_refused_before_sending(make_source, gateway):
    start = datetime.now(UTC) - timedelta(hours=3)
    with pytest.raises(ValueError):
        list(make_source().iter_orders(start, start + timedelta(hours=2)))
    assert gateway.calls == []


def test_fake_gateway_refuses_a_long_window_with_the_business_code(server):
    from sharekit.core.http import RetryingClient

    source = JdSource("jd", {"app_key": "testkey", "app_secret": "testsecret", "site_id": "61866",
                             "allow_private_hosts": True, "endpoint": server.url, "rate_limit": 0})
    try:
        source.http = RetryingClient("jd", source.client, retries=0)
        now = datetime.now(UTC)
        with pytest.raises(SourceError, match="2002453"):
            source.call("jd.union.open.order.row.query",
                        {"pageIndex": 1, "pageSize": 10, "type": 3,
                         "startTime": (now - timedelta(hours=3)).strftime("%Y-%m-%d %H:%M:%S"),
                         "endTime": now.strftime("%Y-%m-%d %H:%M:%S")})
    finally:
        source.close()


@pytest.mark.parametrize(("code", "pay_month", "expected"), [
    (15, "0", "pending"), (16, "0", "pending"), (24, "0", "pending"),
    (17, "0", "confirmed"), (17, "20261120", "confirmed"), (17, "20261119", "settled"),
    (3, "0", "invalid"), (14, "0", "invalid"), (30, "0", "invalid"),
    (-1, "0", "unknown"), (18, "0", "unknown"), ("x", "0", "unknown"),
])
def test_valid_code_maps_to_the_normalised_status(code, pay_month, expected):
    assert jd_status(code, pay_month, date(2026, 11, 20)) == expected


def test_amounts_are_never_parsed_as_float():
    transport = httpx.MockTransport(lambda request: httpx.Response(200, text=(
        '{"jd_union_open_goods_jingfen_query_responce":{"code":"0","queryResult":'
        '"{\\"code\\":200,\\"totalCount\\":1,\\"data\\":[{\\"skuId\\":1,\\"skuName\\":\\"x\\",'
        '\\"priceInfo\\":{\\"price\\":4.35,\\"lowestCouponPrice\\":0.29}}]}"}}')))
    with httpx.Client(transport=transport) as client:
        source = JdSource("jd", {"app_key": "k", "app_secret": "s", "site_id": "1", "rate_limit": 0},
                          client=client)
        [[product]] = list(source.iter_products(limit=1))
    assert (product.original_price.minor, product.price.minor) == (435, 435)
    # no coupon list in the answer: JD's own after-coupon price says what the coupon takes off
    assert (product.coupon.minor, product.story.final_price.minor) == (406, 29)


def test_a_stale_clock_is_reported_as_a_timestamp_problem(server):
    source = JdSource("jd", {"app_key": "testkey", "app_secret": "testsecret", "site_id": "61866",
                             "allow_private_hosts": True, "endpoint": server.url, "rate_limit": 0},
                      clock=lambda: datetime.now(UTC) - timedelta(minutes=30))
    try:
        with pytest.raises(SourceError) as info:
            source.check()
    finally:
        source.close()
    assert "timestamp" in str(info.value).lower() and "clock" in str(info.value)


def test_requests_follow_the_official_sdk_transport(server, gateway):
    seen = []
    original = gateway.handle

    def spy(method, path, query, body, headers):
        seen.append((method, path, query, body))
        return original(method, path, query, body, headers)

    gateway.handle = spy
    source = JdSource("jd", {"app_key": "testkey", "app_secret": "testsecret", "site_id": "61866",
                             "allow_private_hosts": True, "endpoint": server.url, "rate_limit": 0})
    try:
        source.check()
    finally:
        source.close()
    [(method, path, query, body)] = seen
    assert (method, path) == ("POST", "/routerjson")
    assert "sign=" in query and "app_key=testkey" in query and "360buy_param_json" not in query
    assert body.startswith(b"360buy_param_json=") and b"&" not in body


def test_ids_fetch_those_skus_through_goods_query_and_reject_non_numeric_ids(make_source, gateway):
    from sharekit.errors import InputError

    products = [p for page in make_source().iter_products(ids=["100012043980", "100012043978"]) for p in page]
    assert {p.native_id for p in products} == {"100012043978", "100012043980"}
    assert gateway.calls[0]["goodsReqDTO"]["skuIds"] == [100012043980, 100012043978]
    with pytest.raises(InputError, match="numeric"):
        list(make_source().iter_products(ids=["abc"]))


def test_a_window_with_too_many_rows_is_halved_until_jd_accepts_it(make_source, gateway):
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
    gateway.set_rows(make_order_rows(40, start, timedelta(minutes=59)))
    gateway.max_rows_per_window = 15
    pages = list(make_source(order_page_size=10).iter_orders(start, start + timedelta(hours=1)))
    ids = [line.row_id for p in pages for line in p.lines]
    assert len(set(ids)) == 40
    assert pages[-1].next_cursor is None
    assert all("parts" in p.next_cursor for p in pages[:-1])
    resumed = list(make_source(order_page_size=10).iter_orders(start, start + timedelta(hours=1),
                                                               pages[1].next_cursor))
    assert {line.row_id for p in pages[2:] for line in p.lines} <= {line.row_id for p in resumed for line in p.lines}


@pytest.mark.parametrize("data", [
    [{"id": "1"}, {"id": "2"}],                                  # real wire: a plain list
    {"orderRowResp": [{"id": "1"}, {"id": "2"}]},                 # doc-page rendering, list inside
    [{"orderRowResp": {"id": "1"}}, {"orderRowResp": {"id": "2"}}],
])
def test_data_is_read_as_a_plain_list_or_the_doc_pages_nested_form(data):
    from sharekit.sources.jd import data_rows

    assert data_rows(data) == [{"id": "1"}, {"id": "2"}]


def test_a_single_nested_doc_object_is_one_row_and_empty_data_is_none():
    from sharekit.sources.jd import data_rows

    assert data_rows({"jfGoodsResp": {"skuId": 1}}) == [{"skuId": 1}]
    assert data_rows({"clickURL": "https://u"}) == [{"clickURL": "https://u"}]
    assert data_rows(None) == [] and data_rows([]) == []


def test_system_parameters_have_the_documented_names_and_formats(server, gateway):
    # suppliers.md 1.2 / 1.10: v=1.0, sign_method=md5, format=json, timestamp yyyy-MM-dd HH:mm:ss GMT+8,
    # all in the query; only 360buy_param_json (compact JSON under the wrapper key) in the form body.
    from urllib.parse import parse_qsl

    seen = []
    original = gateway.handle

    def spy(method, path, query, body, headers):
        seen.append((dict(parse_qsl(query)), dict(parse_qsl(body.decode()))))
        return original(method, path, query, body, headers)

    gateway.handle = spy
    moment = datetime.now(UTC).replace(microsecond=0)
    source = JdSource("jd", {"app_key": "testkey", "app_secret": "testsecret", "site_id": "61866",
                             "allow_private_hosts": True, "endpoint": server.url, "rate_limit": 0},
                      clock=lambda: moment)
    try:
        source.check()
    finally:
        source.close()
    [(query, form)] = seen
    assert set(query) == {"method", "app_key", "timestamp", "v", "sign_method", "format", "sign"}
    assert (query["v"], query["sign_method"], query["format"]) == ("1.0", "md5", "json")
    assert query["timestamp"] == (moment + timedelta(hours=8)).strftime("%Y-%m-%d %H:%M:%S")
    assert len(query["sign"]) == 32 and query["sign"] == query["sign"].upper()
    assert form == {"360buy_param_json": '{"goodsReq":{"eliteId":1,"pageIndex":1,"pageSize":1}}'}


def test_fake_gateway_refuses_a_version_other_than_1_0(server):
    import json as _json

    with httpx.Client() as client:
        answer = client.post(server.url, params={"method": "jd.union.open.goods.jingfen.query", "app_key": "testkey",
                                                 "timestamp": "2024-01-02 03:04:05", "v": "2.0", "sign": "X"},
                             data={"360buy_param_json": "{}"})
    assert "error_response" in _json.loads(answer.text)


def _jd_answering(body):
    import json as _json

    def handler(request):
        return httpx.Response(200, text=_json.dumps(body, ensure_ascii=False))

    client = httpx.Client(transport=httpx.MockTransport(handler))
    return JdSource("jd", {"app_key": "k", "app_secret": "s", "site_id": "1", "rate_limit": 0},
                    client=client, sleep=lambda _s: None), client


@pytest.mark.parametrize("body", [
    # real wire: misspelt `_responce`, the result as a JSON *string*, numeric business code
    {"jd_union_open_goods_jingfen_query_responce": {"code": "0", "queryResult":
        '{"code":200,"message":"success","totalCount":1,"data":[{"skuId":1,"skuName":"x",'
        '"priceInfo":{"price":2.43}}]}'}},
    # doc-page examples: `_response`, a nested object, the code as a string "200"
    {"jd_union_open_goods_jingfen_query_response": {"code": "0", "queryResult":
        {"code": "200", "message": "success", "totalCount": 1,
         "data": {"jfGoodsResp": {"skuId": 1, "skuName": "x", "priceInfo": {"price": "2.43"}}}}}},
])
def test_both_envelope_spellings_and_result_encodings_are_read(body):
    source, client = _jd_answering(body)
    try:
        [[product]] = list(source.iter_products(limit=1))
    finally:
        source.close()
        client.close()
    assert product.native_id == "1" and product.original_price == Money(243, "CNY")


def test_a_business_failure_reports_the_doc_error_message_field():
    body = {"jd_union_open_goods_jingfen_query_responce": {"code": "0", "queryResult":
            '{"code":401,"errorMessage":"eliteId 不合法","requestId":"o_1"}'}}
    source, client = _jd_answering(body)
    try:
        with pytest.raises(SourceError, match="401.*eliteId"):
            source.check()
    finally:
        source.close()
        client.close()


def test_a_gateway_error_response_is_a_one_line_error_with_its_code():
    body = {"error_response": {"code": "67", "zh_desc": "平台连接后端服务不可用", "en_desc": "Remote service error"}}
    source, client = _jd_answering(body)
    try:
        with pytest.raises(SourceError, match="code 67"):
            source.check()
    finally:
        source.close()
        client.close()


@pytest.mark.parametrize("code", [2, 3, 4, 5, 6, 7, 8, 9, 11, 13, 14, 19, 20, 21, 22, 23, 25, 26, 27, 28, 29, 30])
def test_every_invalid_valid_code_of_the_reference_table_is_invalid(code):
    assert jd_status(code, "0", date(2026, 11, 20)) == "invalid"
    assert jd_status(str(code), "0", date(2026, 11, 20)) == "invalid"


@pytest.mark.parametrize("code", [1, 10, 12, 18, 31])
def test_codes_missing_from_the_reference_table_stay_unknown(code):
    assert jd_status(code, "0", date(2026, 11, 20)) == "unknown"


def test_orders_without_has_more_keep_paging_while_pages_are_full(make_source, gateway):
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
    gateway.set_rows(make_order_rows(25, start, timedelta(minutes=50)))
    gateway.send_has_more = False
    pages = list(make_source(order_page_size=10).iter_orders(start, start + timedelta(hours=1)))
    assert [len(p.lines) for p in pages] == [10, 10, 5]
    assert len({line.row_id for p in pages for line in p.lines}) == 25


def _one_goods(price_info: str, coupons: str) -> httpx.MockTransport:
    body = ('{"skuId":7,"skuName":"x","priceInfo":' + price_info + ',"couponInfo":{"couponList":' + coupons + '}}')
    text = ('{"jd_union_open_goods_jingfen_query_responce":{"code":"0","queryResult":'
            + json.dumps('{"code":200,"totalCount":1,"data":[' + body + ']}') + '}}')
    return httpx.MockTransport(lambda request: httpx.Response(200, text=text))


@pytest.mark.parametrize(("price_info", "coupons", "selling", "usable", "final"), [
    # sells at its seckill price 59.90 (list 89.90), 满59减10 usable: 49.90
    ('{"price":89.90,"lowestPrice":59.90,"lowestCouponPrice":49.90}',
     '[{"discount":10,"quota":59,"isBest":1,"link":"https://coupon.m.jd.com/x"}]', 5990, True, 4990),
    # ¥89 with 满99减10: the coupon is not usable, the buyer pays 89
    ('{"price":89,"lowestPrice":89}', '[{"discount":10,"quota":99,"isBest":1}]', 8900, False, 8900),
    # quota 0: no threshold
    ('{"price":20}', '[{"discount":5,"quota":0}]', 2000, True, 1500),
])
def test_jd_price_story_from_price_info_and_the_best_coupon(price_info, coupons, selling, usable, final):
    with httpx.Client(transport=_one_goods(price_info, coupons)) as client:
        source = JdSource("jd", {"app_key": "k", "app_secret": "s", "site_id": "1", "rate_limit": 0}, client=client)
        [[product]] = list(source.iter_products(limit=1))
    assert product.price == Money(selling, "CNY")
    assert product.story.coupon_usable is usable
    assert product.story.final_price == Money(final, "CNY")
