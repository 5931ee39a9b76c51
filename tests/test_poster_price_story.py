"""Posters tell the price story: 券后价 and the coupon badge only with a usable coupon, and still scan."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from sharekit.core.money import Money
from sharekit.errors import InputError
from sharekit.poster.render import Brand, ProductRecord, Renderer, encode
from sharekit.poster.templates import load_template, parse_template
from sharekit.poster.text import FontChain

SALE_TEMPLATE = Path(__file__).resolve().parent.parent / "examples" / "posters" / "sale.toml"
LINK = "https://s.example.cn/AB3CDE?s=q"


def cny(minor: int) -> Money:
    return Money(minor, "CNY")


@pytest.fixture(scope="module")
def drawn() -> tuple[Renderer, list[str]]:
    """A renderer whose font chain records every text it draws."""
    fonts = FontChain.build()
    texts: list[str] = []
    original = fonts.draw

    def record(draw, xy, text, size, fill, bold=False):  # type: ignore[no-untyped-def]
        texts.append(text)
        return original(draw, xy, text, size, fill, bold)

    fonts.draw = record  # type: ignore[method-assign]
    return Renderer(fonts), texts


def render(drawn: tuple[Renderer, list[str]], product: ProductRecord, template: str) -> tuple[Image.Image, list[str]]:
    renderer, texts = drawn
    texts.clear()
    image = renderer.render(product, LINK, load_template(template), Brand("小鹿好物铺")).image
    return image, list(texts)


def decode(image: Image.Image) -> list[str]:
    import io

    import zxingcpp

    with Image.open(io.BytesIO(encode(image, "jpg", 88))) as saved:
        return [r.text for r in zxingcpp.read_barcodes(saved)]


@pytest.mark.parametrize("template", ["moments", str(SALE_TEMPLATE)])
def test_a_usable_coupon_shows_the_after_coupon_price_struck_selling_price_and_badge(drawn, template) -> None:
    # Feed row of issue 14: price 89.90, sale_price 59.90, coupon 满59减10.
    product = ProductRecord("f:1", "保温杯", sale_price=cny(5990), list_price=cny(8990), coupon=cny(1000),
                            threshold=cny(5900))
    image, texts = render(drawn, product, template)
    assert "券后价" in texts and "到手价" not in texts
    assert ["49", ".90"] == [t for t in texts if t in ("49", ".90")]  # the big price, whole and decimals
    assert "¥59.90" in texts            # struck: the price the coupon comes off
    assert "¥89.90" not in texts        # so 59.90 - 10 = 49.90 is what the poster reads
    assert "券 ¥10" in texts
    if template == str(SALE_TEMPLATE):
        assert "扫码领券购买" in texts
    assert decode(image) == [LINK]


@pytest.mark.parametrize("template", ["moments", str(SALE_TEMPLATE)])
def test_a_coupon_the_price_does_not_reach_gets_no_badge_and_no_after_coupon_label(drawn, template) -> None:
    # ¥89 with 满99减10 (issue 14, defect 2).
    product = ProductRecord("f:2", "连衣裙", sale_price=cny(8900), coupon=cny(1000), threshold=cny(9900))
    image, texts = render(drawn, product, template)
    assert "券后价" not in texts and "到手价" in texts
    assert "89" in texts
    assert not [t for t in texts if "券" in t and t != "到手价"]
    if template == str(SALE_TEMPLATE):
        assert "扫码购买" in texts
    assert decode(image) == [LINK]


def test_no_coupon_strikes_only_a_higher_list_price(drawn) -> None:
    _, texts = render(drawn, ProductRecord("f:3", "杯", sale_price=cny(15900), list_price=cny(19900)), "moments")
    assert "到手价" in texts and "¥199" in texts
    _, texts = render(drawn, ProductRecord("f:4", "杯", sale_price=cny(15900), list_price=cny(12900)), "moments")
    assert "¥129" not in texts and "159" in texts


def test_a_template_price_label_and_plain_label_are_the_users_words(drawn, tmp_path: Path) -> None:
    text = SALE_TEMPLATE.read_text(encoding="utf-8").replace(
        'size = 96\n', 'size = 96\nlabel = "领券后"\nplain_label = "现价"\n', 1)
    path = tmp_path / "mine.toml"
    path.write_text(text, encoding="utf-8")
    _, texts = render(drawn, ProductRecord("f:5", "杯", sale_price=cny(5000)), str(path))
    assert "现价" in texts and "领券后" not in texts
    _, texts = render(drawn, ProductRecord("f:6", "杯", sale_price=cny(5000), coupon=cny(500)), str(path))
    assert "领券后" in texts and "现价" not in texts


def test_an_unknown_placeholder_in_a_template_names_file_line_and_key(tmp_path: Path) -> None:
    path = tmp_path / "typo.toml"
    text = SALE_TEMPLATE.read_text(encoding="utf-8").replace("{brand} · 今日特价", "{brnad} · 今日特价")
    line = text.splitlines().index('text = "{brnad} · 今日特价"') + 1
    with pytest.raises(InputError, match=rf"typo.toml, line {line}: `blocks\[1\].text` .*\{{brnad\}}"):
        parse_template(path, text)
    badge = 'name = "x"\nwidth = 100\nheight = 100\n[[blocks]]\ntype = "coupon"\nx = 0\ny = 0\nformat = "{amt}"\n'
    with pytest.raises(InputError, match=r"\{amt\}"):
        parse_template(tmp_path / "badge.toml", badge)
