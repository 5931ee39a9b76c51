"""TOP signatures: the section-9 reference vectors for md5, hmac (HMAC-MD5) and hmac-sha256."""

from __future__ import annotations

import pytest

from sharekit.sources.taobao import response_key, top_sign

try:  # the fakes package is importable as tests.fakes_tb or fakes_tb depending on the rootdir layout
    from tests.fakes_tb.top import fake_sign
except ImportError:
    from fakes_tb.top import fake_sign

VECTOR = {
    "method": "taobao.tbk.order.details.get", "app_key": "testkey", "timestamp": "2024-01-02 03:04:05",
    "v": "2.0", "format": "json", "start_time": "2024-01-02 00:00:00", "end_time": "2024-01-02 03:00:00",
    "query_type": "4", "page_size": "20",
}
EXPECTED = {
    "md5": "DC2FF847AF366B55DB96E8FC456DBDB3",
    "hmac": "F9A0CFC89B3B24BF9FB6A11947146012",
    "hmac-sha256": "6EB50BDC504684C0CA8357CD46926BD186849ADD01CFBAD4035EE3CA26D3C2B4",
}


@pytest.mark.parametrize("method", sorted(EXPECTED))
def test_top_sign_matches_the_reference_vector(method):
    assert top_sign({**VECTOR, "sign_method": method}, "testsecret", method) == EXPECTED[method]


@pytest.mark.parametrize("method", sorted(EXPECTED))
def test_fake_gateway_signs_the_reference_vector_the_same_way(method):
    assert fake_sign({**VECTOR, "sign_method": method}, "testsecret", method) == EXPECTED[method]


def test_sign_method_value_is_part_of_the_signed_string():
    without = top_sign(VECTOR, "testsecret", "md5")
    assert without != EXPECTED["md5"]


def test_sign_ignores_the_sign_parameter_and_empty_values():
    params = {**VECTOR, "sign_method": "md5"}
    assert top_sign({**params, "sign": "XYZ", "relation_id": ""}, "testsecret", "md5") == EXPECTED["md5"]


def test_unknown_sign_method_is_refused():
    with pytest.raises(ValueError):
        top_sign(VECTOR, "testsecret", "sha1")


def test_response_key_drops_the_taobao_prefix():
    assert response_key("taobao.tbk.dg.material.optional.upgrade") == "tbk_dg_material_optional_upgrade_response"


def test_with_channels_adds_the_channel_tables_to_the_source_settings(ws):
    from sharekit.sources.taobao import with_channels
    from sharekit.store.config import set_value

    config = set_value(ws.config, "sources.tb.kind", "taobao")
    config = set_value(config, "channels.moments.taobao_adzone_id", "999")
    settings = with_channels(config, "tb")
    assert settings["kind"] == "taobao"
    assert settings["channels"] == {"moments": {"taobao_adzone_id": "999"}}
