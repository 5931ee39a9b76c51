"""The feed source: formats, encodings, prices, bad rows, strict mode."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sharekit.core.money import Money
from sharekit.errors import ConfigError, InputError
from sharekit.sources.feed import FeedSource, decode_bytes, parse_price


def products_of(path: Path, **settings) -> tuple[list, FeedSource]:
    with FeedSource("f", {"path": str(path), "currency": "CNY", **settings}) as source:
        items = [p for page in source.iter_products() for p in page]
    return items, source


def test_csv_bad_rows_are_skipped_with_line_numbers_and_the_rest_imports(tmp_path):
    feed = tmp_path / "p.csv"
    feed.write_text(
        "id,title,description,price\n"
        "A1,Cup,\"two\nlines\",19.90\n"          # lines 2-3: a quoted newline
        "A2,,x,5\n"                              # line 4: no title
        ",NoId,x,5\n"                            # line 5: no id
        "A3,Mug,x,abc\n"                         # line 6: bad price
        "A4,Tea,x,\n"                            # line 7: no price
        "A1,Again,x,3\n"                         # line 8: duplicate
        "A5,Pot,x,¥25\n",
        encoding="utf-8",
    )
    items, source = products_of(feed)
    assert [p.native_id for p in items] == ["A1", "A5"]
    assert items[0].description == "two\nlines"
    reasons = {s.where: s.reason for s in source.skipped}
    assert reasons == {
        "p.csv, line 4": "no title",
        "p.csv, line 5": "no id",
        "p.csv, line 6": "price: 'abc' is not a price",
        "p.csv, line 7": "no price",
        "p.csv, line 8": "duplicate id 'A1' (first on line 2)",
    }


def test_strict_feed_refuses_the_whole_file_before_yielding_a_page(tmp_path):
    feed = tmp_path / "p.csv"
    feed.write_text("id,title,price\nA1,Cup,1\nA2,Mug,oops\n", encoding="utf-8")
    with FeedSource("f", {"path": str(feed), "currency": "CNY", "strict": True}) as source:
        pages = source.iter_products()
        with pytest.raises(InputError, match=r"p.csv, line 3: price: 'oops' is not a price. Nothing was imported"):
            next(pages)


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8-sig", "utf-16"])
def test_excel_encodings_from_china_are_detected(tmp_path, encoding):
    feed = tmp_path / "p.csv"
    feed.write_bytes("商品ID,标题,价格,优惠券\nSK1,象印 保温杯 480ml,￥199.00,满150减20\n".encode(encoding))
    (product,), _ = products_of(feed)
    assert product.native_id == "SK1"
    assert product.title == "象印 保温杯 480ml"
    assert product.price == Money(19900, "CNY")   # only a list price: it sells at it
    assert product.original_price is None
    assert (product.coupon, product.coupon_threshold) == (Money(2000, "CNY"), Money(15000, "CNY"))
    assert product.story.final_price == Money(17900, "CNY")


def test_undecodable_bytes_name_the_line():
    with pytest.raises(InputError, match=r"f.csv, line 2: neither UTF-8 nor GBK/GB18030"):
        decode_bytes(b"id,title\n\x81\x20\xff\xfe,x\n", "f.csv")


def test_merchant_center_tsv_prices_sale_price_and_availability(tmp_path):
    feed = tmp_path / "gmc.txt"
    feed.write_text(
        "id\ttitle\tdescription\tlink\timage_link\tadditional_image_link\tavailability\tprice\tsale_price\tbrand\tgtin\n"
        "DT-1\tOak Desk Tray\tSolid oak.\thttps://shop.test/p/dt-1\thttps://shop.test/i/1.jpg\t"
        "https://shop.test/i/2.jpg,https://shop.test/i/3.jpg\tin_stock\t30.00 USD\t24.00 USD\tAcme\t00012345678905\n"
        "DT-2\tPen\t\t\t\t\tout_of_stock\t15.00 USD\t\t\t\n",
        encoding="utf-8",
    )
    items, source = products_of(feed)
    tray, pen = items
    assert source.skipped == []
    assert tray.price == Money(2400, "USD") and tray.original_price == Money(3000, "USD")
    assert tray.image_urls == ["https://shop.test/i/1.jpg", "https://shop.test/i/2.jpg", "https://shop.test/i/3.jpg"]
    assert tray.brand == "Acme" and tray.extra == {"gtin": "00012345678905"}
    assert pen.available is False and pen.original_price is None and pen.price == Money(1500, "USD")


def test_rss_xml_with_g_namespace_reads_items_and_reports_bad_item_lines(tmp_path):
    feed = tmp_path / "feed.xml"
    feed.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<rss version="2.0" xmlns:g="http://base.google.com/ns/1.0">\n'
        "<channel><title>Shop</title>\n"
        "<item>\n"
        "  <g:id>X1</g:id><title>保温杯</title><link>https://shop.test/x1</link>\n"
        "  <g:price>19.90 CNY</g:price><g:sale_price>15.90 CNY</g:sale_price>\n"
        "  <g:image_link>https://shop.test/x1.jpg</g:image_link>\n"
        "  <g:additional_image_link>https://shop.test/x1b.jpg</g:additional_image_link>\n"
        "  <g:availability>in stock</g:availability>\n"
        "</item>\n"
        "<item>\n"
        "  <g:id>X2</g:id><g:title>Bad</g:title><g:price>free</g:price>\n"
        "</item>\n"
        "</channel></rss>\n",
        encoding="utf-8",
    )
    items, source = products_of(feed)
    (cup,) = items
    assert cup.native_id == "X1" and cup.title == "保温杯" and cup.url == "https://shop.test/x1"
    assert cup.price == Money(1590, "CNY") and cup.original_price == Money(1990, "CNY")
    assert cup.image_urls == ["https://shop.test/x1.jpg", "https://shop.test/x1b.jpg"]
    assert [(s.where, s.reason) for s in source.skipped] == [("feed.xml, line 11", "price: 'free' is not a price")]


def test_xml_with_a_doctype_is_refused(tmp_path):
    feed = tmp_path / "bomb.xml"
    feed.write_text('<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">]>\n<rss><channel>'
                    "<item><id>1</id><title>&lol;</title><price>1</price></item></channel></rss>\n")
    with pytest.raises(InputError, match="bomb.xml, line 2: XML feeds with a DOCTYPE are refused"):
        products_of(feed)


def test_json_list_keeps_exact_prices_and_reports_item_lines(tmp_path):
    feed = tmp_path / "p.json"
    feed.write_text(
        '[\n  {"id": "J1", "title": "Cup", "price": 19.9, "commission_rate": "5%", "availability": true},\n'
        '  {"id": "J2", "title": "Mug", "price": {"value": "15.00", "currency": "USD"}, "image_link": ["a.jpg"]},\n'
        '  {"id": "J3", "price": 3}\n]\n',
        encoding="utf-8",
    )
    items, source = products_of(feed)
    cup, mug = items
    assert cup.price == Money(1990, "CNY") and cup.commission_rate == Decimal("0.05") and cup.available
    assert mug.price == Money(1500, "USD")
    assert mug.image_urls == [(tmp_path / "a.jpg").resolve().as_uri()]
    assert [(s.where, s.reason) for s in source.skipped] == [("p.json, line 4", "no title")]


def test_query_ids_and_limit_filter_the_listing(tmp_path):
    feed = tmp_path / "p.csv"
    feed.write_text("id,title,price,brand\n1,Red Cup,1,Acme\n2,Blue Mug,1,Zed\n3,Green Cup,1,Acme\n")
    with FeedSource("f", {"path": str(feed), "currency": "CNY", "page_size": 1}) as source:
        assert [p.native_id for page in source.iter_products(query="cup") for p in page] == ["1", "3"]
        assert [p.native_id for page in source.iter_products(query="zed") for p in page] == ["2"]
        assert [p.native_id for page in source.iter_products(ids=["f:3", "2"]) for p in page] == ["2", "3"]
        assert [len(page) for page in source.iter_products(limit=2)] == [1, 1]


def test_coupon_rule_applies_only_when_the_threshold_is_met(tmp_path):
    feed = tmp_path / "p.csv"
    feed.write_text("id,title,price,coupon\nA,Cheap,50,满99减10\nB,Dear,120,满99减10\nC,Flat,30,5\n")
    a, b, c = products_of(feed)[0]
    assert (a.price, a.coupon, a.coupon_threshold) == (Money(5000, "CNY"), Money(1000, "CNY"), Money(9900, "CNY"))
    assert a.story.coupon_usable is False and a.story.final_price == Money(5000, "CNY")
    assert (b.price, b.original_price) == (Money(12000, "CNY"), None)
    assert b.story.coupon_usable is True and b.story.final_price == Money(11000, "CNY")
    assert (c.price, c.story.final_price) == (Money(3000, "CNY"), Money(2500, "CNY"))


def test_sale_price_is_the_selling_price_and_a_usable_coupon_comes_off_it(tmp_path):
    # issue 14: price 89.90, sale_price 59.90, coupon 满59减10 -> sells at 59.90, pays 49.90
    feed = tmp_path / "p.csv"
    feed.write_text("id,title,price,sale_price,coupon,coupon_link\n"
                    "A,保温杯,89.90,59.90,满59减10,https://m.example-shop.cn/coupon/A\n"
                    "B,连衣裙,89,,满99减10,https://m.example-shop.cn/coupon/B\n", encoding="utf-8")
    a, b = products_of(feed)[0]
    assert (a.original_price, a.price) == (Money(8990, "CNY"), Money(5990, "CNY"))
    assert (a.coupon, a.coupon_threshold) == (Money(1000, "CNY"), Money(5900, "CNY"))
    assert a.story.final_price == Money(4990, "CNY") and a.coupon_url.endswith("/coupon/A")
    assert b.price == Money(8900, "CNY") and b.story.coupon_usable is False
    assert b.story.final_price == Money(8900, "CNY")


def test_header_without_id_column_is_a_one_line_error(tmp_path):
    feed = tmp_path / "p.csv"
    feed.write_text("sku,name,cost\n1,a,2\n")
    with pytest.raises(InputError, match=r"p.csv, line 1: the header has no id column"):
        products_of(feed)


def test_missing_file_and_bad_format_are_clear(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        products_of(tmp_path / "nope.csv")
    with pytest.raises(ConfigError, match="format 'xls'"):
        FeedSource("f", {"path": "x.csv", "format": "xls"})
    with pytest.raises(ConfigError, match="needs `path`"):
        FeedSource("f", {})


@given(minor=st.integers(min_value=0, max_value=10**12), code=st.sampled_from(["CNY", "USD", "JPY", "KWD"]))
def test_parse_price_reads_back_any_formatted_amount(minor, code):
    money = Money(minor, code)
    assert parse_price(money.decimal_str(), code) == money
    assert parse_price(f"{money.decimal_str()} {code}", None) == money
    assert parse_price(money.format(), code if code != "JPY" else "JPY").minor == minor


def test_a_price_over_the_money_limit_is_skipped_on_the_fast_path_too(tmp_path):
    feed = tmp_path / "p.csv"
    feed.write_text("id,title,price\nA1,Cup,19.90\nA2,Gold,99999999999999999\nA3,Mug,1.5 USD\n", encoding="utf-8")
    items, source = products_of(feed)
    assert [p.native_id for p in items] == ["A1", "A3"]
    assert [(s.where, s.native_id) for s in source.skipped] == [("p.csv, line 3", "A2")]
    assert "too large" in source.skipped[0].reason
    assert items[0].price == Money(1990, "CNY") and items[1].price == Money(150, "USD")
