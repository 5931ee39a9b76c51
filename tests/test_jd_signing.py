"""The shared signature family against the reference's section-9 vectors (JD and TOP)."""

from __future__ import annotations

import pytest

from sharekit.sources import signing

JD_PARAMS = {
    "app_key": "testkey", "method": "jd.union.open.goods.jingfen.query", "timestamp": "2024-01-02 03:04:05",
    "v": "1.0", "sign_method": "md5", "format": "json",
    "360buy_param_json": '{"goodsReq":{"eliteId":1,"pageIndex":1,"pageSize":20}}',
}
TOP_PARAMS = {
    "method": "taobao.tbk.order.details.get", "app_key": "testkey", "timestamp": "2024-01-02 03:04:05",
    "v": "2.0", "format": "json", "start_time": "2024-01-02 00:00:00", "end_time": "2024-01-02 03:00:00",
    "query_type": "4", "page_size": "20",
}


def test_jd_section9_vector_signs_to_the_reference_value():
    assert signing.md5_wrap(JD_PARAMS, "testsecret") == "83B8A6D0FC5B13CE19A2ECA6FA58A113"


def test_jd_param_json_sorts_first_because_it_starts_with_a_digit():
    assert signing.sign_base(JD_PARAMS).startswith("360buy_param_json{")


def test_sign_ignores_the_sign_parameter_itself():
    assert signing.md5_wrap({**JD_PARAMS, "sign": "X"}, "testsecret") == "83B8A6D0FC5B13CE19A2ECA6FA58A113"


@pytest.mark.parametrize(("method", "expected"), [
    ("md5", "DC2FF847AF366B55DB96E8FC456DBDB3"),
    ("hmac", "F9A0CFC89B3B24BF9FB6A11947146012"),
    ("hmac-sha256", "6EB50BDC504684C0CA8357CD46926BD186849ADD01CFBAD4035EE3CA26D3C2B4"),
])
def test_top_section9_vectors_sign_to_the_reference_values(method, expected):
    params = {**TOP_PARAMS, "sign_method": method}
    assert signing.sign(params, "testsecret", method) == expected


def test_verify_accepts_lowercase_and_rejects_a_changed_value():
    good = signing.md5_wrap(JD_PARAMS, "testsecret")
    assert signing.verify(JD_PARAMS, "testsecret", good.lower())
    changed = {**JD_PARAMS, "360buy_param_json": '{"goodsReq": {"eliteId":1,"pageIndex":1,"pageSize":20}}'}
    assert not signing.verify(changed, "testsecret", good)
    assert not signing.verify(JD_PARAMS, "testsecret", None)
