"""Promotion links through sharekit.tracking.links.ensure_link for jd:/pdd: products, and exact money parsing."""

from __future__ import annotations

from decimal import Decimal

import pytest
from factories import add_product as store_product
from fakes import GatewayServer
from hypothesis import given
from hypothesis import strategies as st

from sharekit.demo.gateways.jd import JdGateway
from sharekit.demo.gateways.pdd import PddGateway
from sharekit.sources.jd import yuan
from sharekit.store.config import write_config
from sharekit.tracking.links import ensure_link


def _product(ws, pid, source, native_id, url, extra):
    store_product(ws, f"{source}:{native_id}", title="t", price=None, url=url, extra=extra,
                  coupon_url="https://coupon.m.jd.com/k" if source == "jd" else None)


@pytest.fixture
def gateways(ws):
    jd, pdd = JdGateway(), PddGateway()
    with GatewayServer(jd, "/routerjson") as a, GatewayServer(pdd, "/api/router") as b:
        write_config(ws.paths.config, {"sources": {
            "jd": {"kind": "jd", "app_key": "testkey", "app_secret": "testsecret", "site_id": "61866",
                   "allow_private_hosts": True, "endpoint": a.url, "rate_limit": 0},
            "pdd": {"kind": "pdd", "client_id": "testclient", "client_secret": "testsecret", "pid": "1_2",
                    "allow_private_hosts": True, "endpoint": b.url, "rate_limit": 0}}})
        ws.reload_config()
        yield jd, pdd


def test_ensure_link_asks_jd_for_a_sub_union_id_tagged_link(ws, gateways):
    jd, _ = gateways
    _product(ws, "jd:100012043978", "jd", "100012043978", "https://item.jd.com/100012043978.html", {})
    link = ensure_link(ws, "jd:100012043978", "g1")
    assert "sub=g1" in link.target_url
    assert jd.calls[-1]["promotionCodeReq"]["couponUrl"] == "https://coupon.m.jd.com/k"
    assert ensure_link(ws, "jd:100012043978", "g1").code == link.code   # asked once


def test_ensure_link_asks_pdd_with_custom_parameters_sid(ws, gateways):
    _, pdd = gateways
    _product(ws, "pdd:c9r2", "pdd", "c9r2", None, {"search_id": "S9"})
    link = ensure_link(ws, "pdd:c9r2", "moments")
    assert link.target_url.startswith("https://mobile.yangkeduo.com/")
    assert pdd.calls[-1]["custom_parameters"] == '{"sid":"moments"}' and pdd.calls[-1]["search_id"] == "S9"


@given(st.decimals(min_value=Decimal("-100000"), max_value=Decimal("100000"), places=2))
def test_yuan_is_exact_for_every_two_place_amount(amount):
    assert yuan(amount).minor == int(amount * 100)
    assert yuan(str(amount)).minor == int(amount * 100)


def test_float_breaking_amounts_stay_exact():
    assert [yuan(Decimal(s)).minor for s in ("2.43", "4.35", "0.29")] == [243, 435, 29]
    assert int(float("4.35") * 100) == 434   # what a float parser would have stored
    with pytest.raises(TypeError):
        yuan(4.35)
