"""The WooCommerce kind against a real Store API fake on 127.0.0.1."""

from __future__ import annotations

import pytest
from catalog_fakes import Reply, woo_app, woo_product

from sharekit.core.money import Money
from sharekit.errors import SourceError, SourceThrottled
from sharekit.sources.woocommerce import WooCommerceSource


def make(server, client, sleeps=None, **settings):
    config = {"allow_private_hosts": True, "store": server.url, "per_page": 2, "retries": 2, "rate_limit": 0,
              **settings}
    return WooCommerceSource("woo", config, client=client, sleep=(sleeps.append if sleeps is not None else None))


CATALOG = [
    woo_product(34, "WordPress Pennant", "1105"),
    woo_product(35, "Hoodie", "4200", regular="4500"),
    woo_product(36, "Beanie", "1800", in_stock=False),
    woo_product(37, "Cap", "1600", image="https://shop.test/cap.jpg"),
    woo_product(38, "Mug", "1200"),
]


def test_pages_by_x_wp_totalpages_and_converts_minor_units(serve, client):
    server = serve(woo_app(CATALOG))
    source = make(server, client)
    pages = list(source.iter_products())
    assert [[p.native_id for p in page] for page in pages] == [["34", "35"], ["36", "37"], ["38"]]
    assert [r.query["page"] for r in server.requests] == ["1", "2", "3"]
    assert all(r.query["per_page"] == "2" for r in server.requests)
    assert source.total == 5
    pennant, hoodie, beanie, cap, _ = [p for page in pages for p in page]
    assert pennant.price == Money(1105, "GBP") and pennant.original_price is None
    assert hoodie.price == Money(4200, "GBP") and hoodie.original_price == Money(4500, "GBP")
    assert beanie.available is False
    assert cap.image_urls == ["https://shop.test/cap.jpg"] and cap.url == "https://shop.test/product/37/"
    assert hoodie.description == "Hoodie short"


def test_minor_unit_other_than_two_is_converted_to_the_currency_exponent(serve, client):
    yen = woo_product(1, "Tea", "1500", currency="JPY", minor_unit=0)
    three = woo_product(2, "Dates", "12345", currency="KWD", minor_unit=3)
    odd = woo_product(3, "Odd", "199", currency="CNY", minor_unit=1)   # 19.9 CNY
    server = serve(woo_app([yen, three, odd]))
    tea, dates, item = [p for page in make(server, client, per_page=100).iter_products() for p in page]
    assert tea.price == Money(1500, "JPY")
    assert dates.price == Money(12345, "KWD")
    assert item.price == Money(1990, "CNY")


def test_without_total_pages_header_it_stops_on_a_short_page(serve, client):
    server = serve(woo_app(CATALOG, send_total_pages=False))
    ids = [p.native_id for page in make(server, client).iter_products() for p in page]
    assert ids == ["34", "35", "36", "37", "38"]
    assert server.hits("/wp-json/wc/store/v1/products") == 3


def test_search_and_include_are_sent_to_the_store(serve, client):
    server = serve(woo_app(CATALOG))
    source = make(server, client)
    assert [p.native_id for page in source.iter_products(query="hood") for p in page] == ["35"]
    assert server.requests[-1].query["search"] == "hood"
    assert [p.native_id for page in source.iter_products(ids=["woo:36", "38"]) for p in page] == ["36", "38"]
    assert server.requests[-1].query["include"] == "36,38"


def test_a_page_served_twice_ends_the_listing(serve, client):
    def same_page(request, n):
        return Reply.json(CATALOG[:2], headers={"X-WP-TotalPages": "9", "X-WP-Total": "18"})

    server = serve(woo_app(CATALOG, override=same_page))
    ids = [p.native_id for page in make(server, client).iter_products() for p in page]
    assert ids == ["34", "35"]
    assert server.hits("/wp-json/wc/store/v1/products") == 2


def test_wrong_route_is_a_404_naming_the_source(serve, client):
    server = serve(woo_app(CATALOG))
    source = WooCommerceSource("woo", {"allow_private_hosts": True, "store": server.url + "/shop", "rate_limit": 0},
                               client=client)
    with pytest.raises(SourceError, match=r"^woo: GET /wp-json/wc/store/v1/products\?page=1 answered HTTP 404"):
        list(source.iter_products())


def test_html_page_where_json_was_expected_is_a_one_line_error(serve, client):
    server = serve(woo_app(CATALOG, override=lambda r, n: Reply.html("Maintenance mode")))
    with pytest.raises(SourceError) as info:
        list(make(server, client).iter_products())
    assert "answered an HTML page ('Maintenance mode') where JSON was expected" in str(info.value)
    assert str(info.value).startswith("woo: ")


def test_429_with_retry_after_then_success(serve, client):
    def throttle(request, n):
        return Reply.json({"code": "rate_limited"}, 429, {"Retry-After": "3"}) if n == 1 else None

    server = serve(woo_app(CATALOG[:1], override=throttle))
    sleeps: list[float] = []
    ids = [p.native_id for page in make(server, client, sleeps).iter_products() for p in page]
    assert ids == ["34"] and sleeps == [3.0]


def test_always_throttled_store_gives_up_with_a_throttled_error(serve, client):
    server = serve(woo_app(CATALOG, override=lambda r, n: Reply.json({}, 429, {"Retry-After": "1"})))
    sleeps: list[float] = []
    with pytest.raises(SourceThrottled, match="still rate limited after 3 tries"):
        list(make(server, client, sleeps).iter_products())
    assert sleeps == [1.0, 1.0]


def test_server_errors_are_retried_with_backoff(serve, client):
    server = serve(woo_app(CATALOG[:1], override=lambda r, n: Reply.html("Bad gateway", 502) if n < 3 else None))
    sleeps: list[float] = []
    ids = [p.native_id for page in make(server, client, sleeps).iter_products() for p in page]
    assert ids == ["34"] and len(sleeps) == 2


def test_slow_store_times_out(serve, client):
    server = serve(woo_app(CATALOG, override=lambda r, n: Reply.json([], delay=1.0)))
    with pytest.raises(SourceError, match="timed out after 0.2s"):
        list(make(server, client, [], timeout=0.2, retries=0).iter_products())


def test_product_without_a_price_is_skipped_and_listed(serve, client):
    broken = woo_product(99, "Broken", "")
    server = serve(woo_app([CATALOG[0], broken]))
    source = make(server, client)
    ids = [p.native_id for page in source.iter_products() for p in page]
    assert ids == ["34"]
    assert [(s.where, s.reason, s.native_id) for s in source.skipped] == [("product 99", "no price", "99")]


def test_without_total_pages_header_a_full_last_page_ends_at_the_invalid_page_answer(serve, client):
    # WordPress answers 400 rest_post_invalid_page_number past the last page; with a full last
    # page and no X-WP-TotalPages that answer is the end of the listing, not an error
    server = serve(woo_app(CATALOG[:4], send_total_pages=False))
    ids = [p.native_id for page in make(server, client).iter_products() for p in page]
    assert ids == ["34", "35", "36", "37"]
    assert server.hits("/wp-json/wc/store/v1/products") == 3


def test_a_variable_product_without_price_takes_its_price_range_minimum(serve, client):
    variable = woo_product(40, "T-Shirt", "1500")
    variable["prices"].update({"price": "", "regular_price": "", "sale_price": "",
                               "price_range": {"min_amount": "1500", "max_amount": "2000"}})
    server = serve(woo_app([variable]))
    [[shirt]] = list(make(server, client).iter_products())
    assert shirt.price == Money(1500, "GBP") and shirt.original_price is None


def test_sale_price_is_the_selling_price_and_a_store_coupon_comes_off_it(serve, client):
    server = serve(woo_app(CATALOG[1:2]))
    source = make(server, client, coupon="满40减5", coupon_link="{url}?coupon-code=SAVE5")
    [[hoodie]] = list(source.iter_products())
    assert (hoodie.price, hoodie.original_price) == (Money(4200, "GBP"), Money(4500, "GBP"))
    assert hoodie.coupon_url.endswith("?coupon-code=SAVE5") and hoodie.coupon_url.startswith("http")
    assert hoodie.story.coupon_usable and hoodie.story.final_price == Money(3700, "GBP")
