"""The Shopify kind against a real storefront fake on 127.0.0.1."""

from __future__ import annotations

import pytest
from catalog_fakes import Reply, shopify_app, shopify_product

from sharekit.core.money import Money
from sharekit.errors import SourceAuthError, SourceError
from sharekit.sources.shopify import ShopifySource


def make(server, client, sleeps=None, **settings):
    config = {"allow_private_hosts": True, "store": server.url, "currency": "USD", "page_size": 2, "retries": 2,
              "rate_limit": 0, **settings}
    return ShopifySource("shop", config, client=client, sleep=(sleeps.append if sleeps is not None else None))


CATALOG = [
    shopify_product(1, "Desk Tray", "24.00", compare="30.00"),
    shopify_product(2, "Oak Lamp", "80.00", extra_variant=("60.00", False)),
    shopify_product(3, "Pen", "2.50", available=False),
    shopify_product(4, "Ink", "5.00"),
    shopify_product(5, "Notebook", "7.25", image="https://cdn.test/n.jpg"),
]


def test_pages_until_a_short_page_and_normalises_products(serve, client):
    server = serve(shopify_app(CATALOG))
    pages = list(make(server, client).iter_products())
    assert [[p.native_id for p in page] for page in pages] == [["1", "2"], ["3", "4"], ["5"]]
    assert [r.query for r in server.requests] == [{"limit": "2", "page": str(n)} for n in (1, 2, 3)]
    tray, lamp, pen, _, notebook = [p for page in pages for p in page]
    assert tray.price == Money(2400, "USD") and tray.original_price == Money(3000, "USD")
    assert tray.url == f"{server.url}/products/desk-tray"
    assert tray.description == "Desk Tray & more" and tray.brand == "Acme"
    assert lamp.price == Money(8000, "USD")  # the cheaper variant is sold out
    assert pen.available is False
    assert notebook.image_urls == ["https://cdn.test/n.jpg"]


def test_a_store_that_repeats_its_last_page_is_deduplicated_and_ends(serve, client):
    server = serve(shopify_app(CATALOG[:4], repeat_pages=True))
    ids = [p.native_id for page in make(server, client).iter_products() for p in page]
    assert ids == ["1", "2", "3", "4"]
    assert server.hits("/products.json") == 4  # pages 3 and 4 repeat page 2: two repeats in a row end it


def test_duplicate_products_inside_pages_are_dropped(serve, client):
    dupes = [CATALOG[0], CATALOG[1], CATALOG[1], CATALOG[2]]
    server = serve(shopify_app(dupes))
    ids = [p.native_id for page in make(server, client).iter_products() for p in page]
    assert ids == ["1", "2", "3"]


def test_query_ids_and_limit_filter_here(serve, client):
    server = serve(shopify_app(CATALOG))
    source = make(server, client)
    assert [p.native_id for page in source.iter_products(query="LAMP") for p in page] == ["2"]
    assert [p.native_id for page in source.iter_products(ids=["shop:4"]) for p in page] == ["4"]
    assert [p.native_id for page in source.iter_products(limit=3) for p in page] == ["1", "2", "3"]


def test_password_protected_store_is_an_auth_error_naming_the_source(serve, client):
    server = serve(shopify_app([], override=lambda r, n: Reply.html("Enter store password", 401)))
    with pytest.raises(SourceAuthError) as info:
        list(make(server, client).iter_products())
    message = str(info.value)
    assert message.startswith("shop: GET /products.json?limit=2&page=1 answered HTTP 401")
    assert "password-protected" in message and "\n" not in message


def test_missing_store_is_a_404_error(serve, client):
    server = serve(shopify_app([], override=lambda r, n: Reply.html("Page not found", 404)))
    with pytest.raises(SourceError, match=r"shop: .* answered HTTP 404 \(an HTML page \('Page not found'\)\)"):
        list(make(server, client).iter_products())


def test_html_page_where_json_was_expected_is_a_one_line_error(serve, client):
    server = serve(shopify_app([], override=lambda r, n: Reply.html("Store unavailable")))
    with pytest.raises(SourceError) as info:
        list(make(server, client).iter_products())
    assert str(info.value) == ("shop: GET /products.json?limit=2&page=1 answered an HTML page "
                               "('Store unavailable') where JSON was expected (HTTP 200).")


def test_429_with_retry_after_is_honoured_then_succeeds(serve, client):
    def throttle(request, n):
        return Reply.json({"errors": "Too Many Requests"}, 429, {"Retry-After": "7"}) if n == 1 else None

    server = serve(shopify_app(CATALOG[:1], override=throttle))
    sleeps: list[float] = []
    ids = [p.native_id for page in make(server, client, sleeps).iter_products() for p in page]
    assert ids == ["1"]
    assert sleeps == [7.0]
    assert server.hits("/products.json") == 2


def test_slow_store_hits_the_timeout_and_says_so(serve, client):
    server = serve(shopify_app(CATALOG, override=lambda r, n: Reply.json({"products": []}, delay=1.0)))
    sleeps: list[float] = []
    with pytest.raises(SourceError, match=r"shop: GET /products.json.* failed after 2 tries: timed out after 0.2s"):
        list(make(server, client, sleeps, timeout=0.2, retries=1).iter_products())
    assert len(sleeps) == 1  # one backoff between the two tries, injected


def test_check_makes_one_small_request(serve, client):
    server = serve(shopify_app(CATALOG))
    assert "answers" in make(server, client).check()
    assert [r.query for r in server.requests] == [{"limit": "1", "page": "1"}]


def test_a_page_served_twice_mid_listing_is_skipped_and_paging_goes_on(serve, client):
    # suppliers.md 5: "some stores return a page twice -> dedupe by product id"
    def twice(request, n):
        page = int(request.query.get("page", "1"))
        if page == 2:
            return Reply.json({"products": CATALOG[:2]})  # page 1 again
        if page == 3:
            return Reply.json({"products": CATALOG[2:4]})
        if page == 4:
            return Reply.json({"products": CATALOG[4:]})
        return None

    server = serve(shopify_app(CATALOG, override=twice))
    ids = [p.native_id for page in make(server, client).iter_products() for p in page]
    assert ids == ["1", "2", "3", "4", "5"]


def test_protocol_relative_image_urls_get_https(serve, client):
    server = serve(shopify_app([shopify_product(9, "Cup", "3.00", image="//cdn.shopify.com/s/files/cup.jpg")]))
    [[cup]] = list(make(server, client).iter_products())
    assert cup.image_urls == ["https://cdn.shopify.com/s/files/cup.jpg"]
    assert cup.url == f"{server.url}/products/cup"


def test_a_collection_setting_lists_that_collections_products_json(serve, client):
    def collection(request, n):
        if request.path == "/collections/desk/products.json":
            return Reply.json({"products": CATALOG[:1]})
        return Reply.html("404 Not Found", 404)

    server = serve(shopify_app(CATALOG, override=collection))
    ids = [p.native_id for page in make(server, client, collection="desk").iter_products() for p in page]
    assert ids == ["1"]
    assert server.requests[0].query == {"limit": "2", "page": "1"}


def test_a_store_coupon_reaches_every_product_with_shopifys_discount_link(serve, client):
    server = serve(shopify_app(CATALOG[:2]))
    source = make(server, client, coupon="满50减5", discount_code="SAVE 5")
    tray, lamp = [p for page in source.iter_products() for p in page]
    assert (tray.coupon, tray.coupon_threshold) == (Money(500, "USD"), Money(5000, "USD"))
    assert tray.coupon_url == f"{server.url}/discount/SAVE%205?redirect=/products/desk-tray"
    assert tray.story.coupon_usable is False and tray.story.final_price == Money(2400, "USD")  # 24 < 50
    assert lamp.story.coupon_usable is True and lamp.story.final_price == Money(7500, "USD")


def test_a_store_coupon_link_template_and_a_bad_coupon(serve, client):
    from sharekit.errors import ConfigError

    server = serve(shopify_app(CATALOG[:1]))
    [[tray]] = list(make(server, client, coupon="3", coupon_link="{url}?coupon={handle}").iter_products())
    assert tray.coupon_url == f"{server.url}/products/desk-tray?coupon=desk-tray"
    with pytest.raises(ConfigError, match="半价"):
        list(make(server, client, coupon="半价").iter_products())
