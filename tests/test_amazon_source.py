"""AmazonSource against a real local Creators API: token cache, 401 refresh, getItems batches, 429."""

from __future__ import annotations

import json

import httpx
import pytest

from sharekit.core.money import Money
from sharekit.errors import InputError, SourceAuthError, SourceError, SourceThrottled
from sharekit.sources import build_source
from sharekit.sources.amazon import AmazonSource, with_tag
from sharekit.sources.base import StoredProduct

try:  # the fakes package is importable as tests.fakes_tb or fakes_tb depending on the rootdir layout
    from tests.fakes_tb import CreatorsFake
except ImportError:
    from fakes_tb import CreatorsFake


@pytest.fixture
def api():
    fake = CreatorsFake()
    for n in range(23):
        fake.add_item(f"B0000000{n:02d}", f"USB-C cable {n}", 9.99 + n)
    fake.add_item("B0DLFMFBJW", "Kindle Paperwhite", 109.99)
    yield fake
    fake.close()


@pytest.fixture
def sleeps():
    return []


@pytest.fixture
def make_source(api, sleeps):
    made = []

    def make(clock=None, **settings):
        client = httpx.Client()
        base = {"kind": "amazon", "credential_id": "cid", "credential_secret": "csecret",
                "credential_version": "3.1", "partner_tag": "mytag-20", "marketplace": "www.amazon.com",
                "allow_private_hosts": True, "endpoint": api.base_url, "token_endpoint": api.token_url, "retries": 3}
        kwargs = {"clock": clock} if clock else {}
        source = AmazonSource("amz", {**base, **settings}, client=client, sleep=sleeps.append, **kwargs)
        made.append((source, client))
        return source

    yield make
    for source, client in made:
        source.close()
        client.close()


def test_registry_builds_an_amazon_source_with_one_request_per_second_by_default(api):
    with httpx.Client() as client:
        source = build_source("amz", {"kind": "amazon", "credential_id": "a", "credential_secret": "b",
                                      "credential_version": "2.2", "partner_tag": "t-21",
                                      "marketplace": "www.amazon.de"}, client=client)
        assert isinstance(source, AmazonSource)
        assert source.http.limiter.rate == 1.0
        assert source.token_endpoint.endswith("eu-south-2.amazoncognito.com/oauth2/token")
        assert source.order_window is None and not source.supports_orders and source.supports_links


def test_search_uses_lower_camel_case_offers_v2_and_the_marketplace_header(api, make_source):
    products = [p for page in make_source().iter_products(query="kindle") for p in page]
    assert [p.native_id for p in products] == ["B0DLFMFBJW"]
    assert products[0].price == Money(10999, "USD")
    assert products[0].url.startswith("https://www.amazon.com/dp/B0DLFMFBJW?tag=mytag-20")
    call = api.calls[-1]
    assert call["path"] == "/catalog/v1/searchItems"
    assert call["marketplace"] == "www.amazon.com"
    body = json.loads(call["body"])
    assert body["partnerTag"] == "mytag-20" and body["keywords"] == "kindle"
    assert "offersV2.listings.price" in body["resources"]
    assert all(k[0].islower() for k in body)


def test_search_pages_ten_items_at_a_time(api, make_source):
    pages = list(make_source().iter_products(query="usb-c", limit=15))
    assert [len(p) for p in pages] == [10, 5]
    ids = [p.native_id for page in pages for p in page]
    assert ids == [f"B0000000{n:02d}" for n in range(15)]  # no page overlaps another


def test_get_items_batches_at_most_ten_asins_a_call(api, make_source):
    ids = [f"B0000000{n:02d}" for n in range(23)]
    pages = list(make_source().iter_products(ids=ids))
    assert sum(len(p) for p in pages) == 23
    bodies = [json.loads(c["body"]) for c in api.calls if c["path"].endswith("getItems")]
    assert [len(b["itemIds"]) for b in bodies] == [10, 10, 3]


def test_the_token_is_cached_between_calls(api, make_source):
    source = make_source()
    list(source.iter_products(query="kindle"))
    list(source.iter_products(ids=["B0DLFMFBJW"]))
    assert len(api.token_requests) == 1


def test_v3_credentials_post_json_and_send_a_plain_bearer(api, make_source):
    list(make_source().iter_products(query="kindle"))
    assert "json" in api.token_requests[0]["content_type"]
    assert api.token_requests[0]["scope"] == "creatorsapi::default"
    assert ", Version" not in api.calls[-1]["authorization"]


def test_v2_credentials_post_a_form_and_name_the_version(api, make_source):
    list(make_source(credential_version="2.1").iter_products(query="kindle"))
    assert "x-www-form-urlencoded" in api.token_requests[0]["content_type"]
    assert api.token_requests[0]["scope"] == "creatorsapi/default"
    assert api.calls[-1]["authorization"].endswith(", Version 2.1")


def test_an_expired_token_is_refreshed_before_use(api, make_source):
    now = [1000.0]
    api.expires_in = 60
    source = make_source(clock=lambda: now[0])
    list(source.iter_products(query="kindle"))
    now[0] += 31  # 60 s tokens are used for 30 s (30 s safety margin)
    list(source.iter_products(query="kindle"))
    assert len(api.token_requests) == 2


def test_a_401_refreshes_the_token_once_and_retries(api, make_source):
    source = make_source()
    list(source.iter_products(query="kindle"))
    api.revoke_tokens()
    products = [p for page in source.iter_products(query="kindle") for p in page]
    assert products and source.tokens_fetched == 2


def test_bad_credentials_are_a_permanent_auth_error(api, make_source):
    with pytest.raises(SourceAuthError) as info:
        list(make_source(credential_secret="nope").iter_products(query="kindle"))
    assert "nope" not in str(info.value)


def test_429_backs_off_and_then_succeeds(api, make_source, sleeps):
    api.throttle_next = 2
    products = [p for page in make_source().iter_products(query="kindle") for p in page]
    assert products and api.throttled == 2
    assert len([s for s in sleeps if s > 0]) >= 2


def test_persistent_429_is_reported_as_throttled(api, make_source):
    api.throttle_next = 50
    with pytest.raises(SourceThrottled):
        list(make_source(retries=2).iter_products(query="kindle"))


def test_the_default_rate_limit_spaces_calls_one_second_apart(api, make_source, sleeps):
    source = make_source()
    list(source.iter_products(query="kindle"))
    list(source.iter_products(query="kindle"))
    assert any(0.5 < s <= 1.0 for s in sleeps)  # the token bucket asked to wait for the next second


def test_a_wrong_marketplace_header_is_refused(api, make_source):
    with pytest.raises(SourceError, match="InvalidMarketplace"):
        list(make_source(marketplace="www.amazon.de").iter_products(query="kindle"))


def test_search_with_no_match_yields_nothing(api, make_source):
    assert list(make_source().iter_products(query="no-such-thing")) == []


def test_search_needs_keywords_or_ids(make_source):
    with pytest.raises(InputError):
        list(make_source().iter_products())


def test_link_swaps_the_partner_tag_for_the_channel_tracking_id(make_source):
    source = make_source(channels={"wechat_group_a": {"amazon_tag": "group-a-20"}})
    url = "https://www.amazon.com/dp/B0DLFMFBJW?tag=mytag-20&linkCode=ogi&th=1&psc=1"
    link = source.promotion_link(StoredProduct("B0DLFMFBJW", url=url), "wechat_group_a")
    assert link.url == "https://www.amazon.com/dp/B0DLFMFBJW?tag=group-a-20&linkCode=ogi&th=1&psc=1"
    assert link.extra == {"tracking_id": "group-a-20", "attributed": True}
    plain = source.promotion_link(StoredProduct("B0DLFMFBJW", url=url), "moments")
    assert "tag=mytag-20" in plain.url and plain.extra["attributed"] is False


def test_link_without_a_stored_url_asks_get_items(api, make_source):
    link = make_source().promotion_link(StoredProduct("B0DLFMFBJW"), "")
    assert link.url.startswith("https://www.amazon.com/dp/B0DLFMFBJW?tag=mytag-20")


def test_with_tag_adds_a_missing_tag():
    assert with_tag("https://www.amazon.com/dp/X", "t-20") == "https://www.amazon.com/dp/X?tag=t-20"


def test_an_unknown_credential_version_is_a_config_error(make_source):
    from sharekit.errors import ConfigError

    with pytest.raises(ConfigError, match="credential_version"):
        make_source(credential_version="9.9", token_endpoint="")


def test_marketplace_is_sent_as_a_bare_host_and_decides_the_currency(api, make_source):
    # suppliers.md 4.3: `x-marketplace: www.amazon.com` (the marketplace host name); the catalog
    # passes the workspace currency (CNY by default) to every source, which must not win here
    api.add_item("B0NOOFFER1", "Kindle case without offers", None)
    source = make_source(marketplace="https://amazon.com/", currency="CNY")
    [[item]] = list(source.iter_products(ids=["B0NOOFFER1"]))
    assert api.calls[-1]["marketplace"] == "www.amazon.com"
    assert item.currency == "USD" and item.price is None


def test_asins_get_items_does_not_return_are_listed_as_skipped_with_the_api_reason(api, make_source):
    source = make_source()
    products = [p.native_id for page in source.iter_products(ids=["amz:B000000001", "B0NOTHERE1"]) for p in page]
    assert products == ["B000000001"]
    assert [(s.native_id, s.reason) for s in source.skipped] == [
        ("B0NOTHERE1", "The ItemId B0NOTHERE1 is not accessible through the Creators API")]


def test_a_partner_tag_over_64_characters_is_a_config_error(make_source):
    from sharekit.errors import ConfigError

    with pytest.raises(ConfigError, match="partner_tag must be 1-64"):
        make_source(partner_tag="t" * 65)
