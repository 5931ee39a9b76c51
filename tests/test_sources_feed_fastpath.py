"""The CSV/TSV fast path of the feed parser builds exactly the products the general path builds."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from sharekit.sources.feed import BadRow, FeedParser, FeedSource
from sharekit.sources.feed.parse import _Context

COLUMNS = ["id", "title", "description", "link", "image_link", "price", "sale_price", "coupon", "commission_rate",
           "availability", "brand", "gtin", "currency", "coupon_link", "shop", "additional_image_link"]
CELLS = {
    "id": ["A1", "A2", "A3", " A4 ", "", "A1", "A5", "A6", "A7"],
    "title": ["Cup", " 保温杯 ", "", "Mug"],
    "description": ["", "nice", " 品质保证 "],
    "link": ["", "https://shop.example/p/1", "/p/2", "p3"],
    "image_link": ["", "https://img.example/1.jpg", "/img/2.jpg", "img/3.png"],
    "price": ["", "19.90", "19.9", "19", "19.", "0.005", "1,299.00", "¥25", "15.00 USD", "abc", "-3", "٣", "²",
              " 7.50 "],
    "sale_price": ["", "", "9.90", "12", "9.999", "5 CNY", "oops"],
    "coupon": ["", "", "5", "10", "满10减3", "满100减20", "¥2", "x"],
    "commission_rate": ["", "5%", "0.05", "12", "200%", "x"],
    "availability": ["", "in_stock", "OUT_OF_STOCK", "有货", "maybe"],
    "brand": ["", "米家", " Anker "],
    "gtin": ["", "6912345678901", "X-69"],
    "currency": ["", "usd", "RMB", "元", "JPY", "BHD", "xx", "CNY"],
    "coupon_link": ["", "https://coupon.example/1"],
    "shop": ["", "旗舰店"],
    "additional_image_link": ["", "https://img.example/a.jpg,https://img.example/b.jpg"],
}


@st.composite
def feeds(draw: st.DrawFn) -> str:
    optional = [c for c in COLUMNS if c not in ("id", "title", "price")]
    header = ["id", "title", "price"] + draw(st.lists(st.sampled_from(optional), unique=True, max_size=8))
    header = draw(st.permutations(header))
    rows = draw(st.lists(st.tuples(*[st.sampled_from(CELLS[c]) for c in header]), min_size=1, max_size=12))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def general(parser: FeedParser, text: str) -> list[tuple]:
    out = []
    for line, rec in parser.records(text, "csv"):
        try:
            out.append((line, parser.product(line, rec)))
        except BadRow as exc:
            out.append((line, f"bad: {exc}"))
    return out


def fast(parser: FeedParser, text: str) -> list[tuple]:
    out = []
    for line, item in parser.parsed(text, "csv"):
        if not isinstance(item, dict):
            out.append((line, item))
            continue
        try:
            out.append((line, parser.product(line, item)))
        except BadRow as exc:
            out.append((line, f"bad: {exc}"))
    return out


@settings(max_examples=200, deadline=None)
@given(text=feeds(), currency=st.sampled_from(["CNY", "JPY", "KWD", None]),
       base_url=st.sampled_from([None, "https://feeds.example/dir/feed.csv"]))
def test_fast_path_products_equal_the_general_path(text, currency, base_url):
    def parser() -> FeedParser:
        return FeedParser(_Context("p.csv", currency, None if base_url else Path("/feeds"), base_url))

    assert fast(parser(), text) == general(parser(), text)


def test_a_plain_feed_takes_the_fast_path(tmp_path):
    feed = tmp_path / "p.csv"
    feed.write_text("id,title,price,sale_price,coupon,gtin\nA1,Cup,19.90,15.00,5,69\nA2,Mug,9,,,\n", encoding="utf-8")
    with FeedSource("f", {"path": str(feed), "currency": "CNY"}) as source:
        text, parser, fmt = source.parse()
        items = [item for _, item in parser.parsed(text, fmt)]
    assert not any(isinstance(item, dict) for item in items)
    assert [(p.price.minor, p.original_price.minor if p.original_price else None, p.extra) for p in items] == [
        (1500, 1990, {"gtin": "69"}), (900, None, {})]   # the selling price; 15.00 - 5 is derived
    assert [p.story.final_price.minor for p in items] == [1000, 900]
