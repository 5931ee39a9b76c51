"""PDD signing against the reference's section-9 vector."""

from __future__ import annotations

from sharekit.sources.pdd import wire_value
from sharekit.sources.signing import md5_wrap


def test_pdd_section9_vector_with_utf8_keyword_signs_to_the_reference_value():
    params = {"client_id": "testclient", "type": "pdd.ddk.goods.search", "timestamp": "1704135845",
              "data_type": "JSON", "keyword": "手机", "page": "1", "page_size": "20"}
    assert md5_wrap(params, "testsecret") == "8FEF5DBA781AB6E86DAB6D777B0E5AD2"


def test_pdd_lists_and_objects_travel_and_sign_as_compact_json():
    assert wire_value(["a", "b"]) == '["a","b"]'
    assert wire_value({"sid": "g1"}) == '{"sid":"g1"}'
    assert wire_value(True) == "true"
