"""Rendering without the store: QR codes that decode after WeChat's treatment, prices, placeholders."""

from __future__ import annotations

import io
import random
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from sharekit.core.money import Money
from sharekit.errors import InputError
from sharekit.poster.price import amount_text, coupon_text, short_money
from sharekit.poster.qr import QUIET_ZONE, qr_image
from sharekit.poster.render import Brand, ProductRecord, Renderer, encode
from sharekit.poster.templates import builtin_names, load_template

TITLE = "【官方正品】Apple iPhone 15 Pro 256GB 黑色钛金属 5G手机 限时抢购，到手价更低"
SHORT_LINK = "https://s.example.cn/AB3CDE?s=q"
LONG_LINK = ("https://u.jd.com/jda?e=&p=JF8BAMMJK1olXwUFU1tcCEwWA18IGloVWgIHUl5YDk8nRzBQRQQlBENHFRxWFlVPRjtUBAB"
             "AQlRcCEFDCkhS&t=W1dCFBBFC14NXAAECUte&subunionid=wx-group-1")


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    return Renderer()


def make_photo(path: Path, size: tuple[int, int] = (1500, 1500), seed: int = 1) -> Path:
    """A busy, photo-like product image (blobs and noise) generated with Pillow."""
    rnd = random.Random(seed)
    img = Image.new("RGB", size, (rnd.randrange(200, 256), rnd.randrange(200, 256), rnd.randrange(200, 256)))
    d = ImageDraw.Draw(img)
    for _ in range(60):
        x, y = rnd.randrange(size[0]), rnd.randrange(size[1])
        r = rnd.randrange(30, 300)
        d.ellipse((x - r, y - r, x + r, y + r), fill=(rnd.randrange(256), rnd.randrange(256), rnd.randrange(256)))
    noise = Image.effect_noise(size, 40).convert("RGB")
    Image.blend(img, noise, 0.15).save(path, quality=90)
    return path


def make_logo(path: Path) -> Path:
    logo = Image.new("RGBA", (256, 256), (0, 0, 0, 0))
    d = ImageDraw.Draw(logo)
    d.ellipse((0, 0, 255, 255), fill=(228, 57, 60, 255))
    d.rectangle((80, 80, 176, 176), fill=(255, 255, 255, 255))
    logo.save(path)
    return path


def product(tmp_path: Path, **over) -> ProductRecord:
    values = dict(id="jd:100012043978", title=TITLE,
                  sale_price=Money(699900, "CNY"), list_price=Money(799900, "CNY"), coupon=Money(2000, "CNY"),
                  image_path=str(make_photo(tmp_path / "photo.jpg")))
    values.update(over)
    return ProductRecord(**values)


def pixels(image: Image.Image) -> list:
    """Pixel values (ints for L, tuples for RGB) without the getdata() API Pillow is retiring."""
    raw = image.tobytes()
    bands = len(image.getbands())
    if bands == 1:
        return list(raw)
    return [tuple(raw[i:i + bands]) for i in range(0, len(raw), bands)]


def decode(image: Image.Image) -> list[str]:
    import zxingcpp

    return [r.text for r in zxingcpp.read_barcodes(image)]


def wechat(data: bytes) -> Image.Image:
    """What WeChat does to a poster: downscale (here to 2/3) and re-encode as a rough JPEG (q50)."""
    with Image.open(io.BytesIO(data)) as opened:
        img = opened.convert("RGB")
    small = img.resize((img.width * 2 // 3, img.height * 2 // 3), Image.Resampling.BICUBIC)
    buf = io.BytesIO()
    small.save(buf, "JPEG", quality=50)
    return Image.open(io.BytesIO(buf.getvalue()))


@pytest.mark.parametrize("name", ["moments", "square", "card"])
@pytest.mark.parametrize("link", [SHORT_LINK, LONG_LINK], ids=["short", "long"])
def test_every_builtin_templates_qr_decodes_from_the_file_and_after_wechat(
        name: str, link: str, tmp_path: Path, renderer: Renderer) -> None:
    brand = Brand("小鹿好物铺", "#E4393C", "每日精选", str(make_logo(tmp_path / "logo.png")))
    out = renderer.render(product(tmp_path), link, load_template(name), brand)
    data = encode(out.image, "jpg", 88)
    path = tmp_path / f"{name}.jpg"
    path.write_bytes(data)
    with Image.open(path) as saved:
        assert saved.size == (load_template(name).width, load_template(name).height)
        assert decode(saved) == [link]
    assert decode(wechat(data)) == [link]


def test_builtin_templates_are_the_three_sizes() -> None:
    sizes = {name: (load_template(name).width, load_template(name).height) for name in builtin_names()}
    assert sizes == {"moments": (1080, 1920), "square": (1080, 1080), "card": (1080, 1440)}


def test_qr_modules_are_whole_pixels_with_a_four_module_white_quiet_zone() -> None:
    img, info = qr_image(SHORT_LINK, 360)
    px = info.module_px
    assert img.size == (info.side_px, info.side_px) and info.side_px % px == 0 and px >= 3
    border = QUIET_ZONE * px
    assert set(pixels(img.crop((0, 0, img.width, border)))) == {255}
    assert set(pixels(img.crop((0, 0, border, img.height)))) == {255}
    assert set(pixels(img)) == {0, 255}  # never resampled: only pure black and white
    # Each module is a solid px-by-px square.
    for mx in range(info.modules + 2 * QUIET_ZONE):
        block = img.crop((mx * px, border, (mx + 1) * px, border + px))
        assert len(set(pixels(block))) == 1


def test_a_logo_forces_level_h_and_stays_within_a_quarter_of_the_symbol(tmp_path: Path) -> None:
    with Image.open(make_logo(tmp_path / "logo.png")) as opened:
        logo = opened.convert("RGBA")
    _, plain = qr_image(SHORT_LINK, 360)
    img, info = qr_image(SHORT_LINK, 360, logo)
    assert plain.level == "M" and info.level == "H"
    assert 0 < info.logo_px <= 0.25 * info.modules * info.module_px
    assert decode(img) == [SHORT_LINK]


def test_a_link_too_long_for_any_qr_is_an_input_error() -> None:
    with pytest.raises(InputError, match="too long"):
        qr_image("https://example.com/" + "x" * 4000, 400)


def test_same_inputs_give_the_same_bytes(tmp_path: Path, renderer: Renderer) -> None:
    p = product(tmp_path)
    brand = Brand("小鹿好物铺", "#E4393C", "每日精选", "")
    first = encode(renderer.render(p, SHORT_LINK, load_template("moments"), brand).image)
    second = encode(Renderer().render(p, SHORT_LINK, load_template("moments"), brand).image)
    assert first == second
    for fmt in ("png", "webp"):
        a = encode(renderer.render(p, SHORT_LINK, load_template("square"), brand).image, fmt)
        b = encode(renderer.render(p, SHORT_LINK, load_template("square"), brand).image, fmt)
        assert a == b


def test_a_missing_image_draws_a_placeholder_and_warns(tmp_path: Path, renderer: Renderer) -> None:
    p = product(tmp_path, image_path=str(tmp_path / "gone.jpg"))
    out = renderer.render(p, SHORT_LINK, load_template("moments"), Brand())
    assert any("gone.jpg" in w and "placeholder" in w for w in out.warnings)
    # The photo area is the placeholder's quiet grey, and the QR still decodes.
    assert out.image.getpixel((20, 20)) == (236, 236, 236)
    assert decode(out.image) == [SHORT_LINK]


def test_an_unreadable_image_is_a_placeholder_too(tmp_path: Path, renderer: Renderer) -> None:
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"not a jpeg at all")
    out = renderer.render(product(tmp_path, image_path=str(bad)), SHORT_LINK, load_template("square"), Brand())
    assert any("unreadable" in w for w in out.warnings)


def test_an_emoji_title_renders_and_names_the_characters_left_out(tmp_path: Path, renderer: Renderer) -> None:
    p = product(tmp_path, title="🔥爆款🔥 小米 Redmi K70 👍🏻 12GB+256GB ❤️ 包邮")
    out = renderer.render(p, SHORT_LINK, load_template("moments"), Brand())
    warning = next(w for w in out.warnings if "no font has" in w)
    assert "🔥" in warning and "U+1F525" in warning and "👍" in warning
    assert decode(out.image) == [SHORT_LINK]


def test_transparent_and_palette_images_are_flattened_on_white(tmp_path: Path, renderer: Renderer) -> None:
    path = tmp_path / "clear.png"
    Image.new("RGBA", (800, 800), (0, 0, 0, 0)).save(path)
    out = renderer.render(product(tmp_path, image_path=str(path)), SHORT_LINK, load_template("moments"), Brand())
    assert out.image.getpixel((540, 540)) == (255, 255, 255)
    assert not out.warnings


def test_price_texts_come_from_exact_money() -> None:
    assert amount_text(Money(1990, "CNY")) == "19.90"
    assert amount_text(Money(2000, "CNY")) == "20"
    assert short_money(Money(2000, "CNY")) == "¥20"
    assert coupon_text(Money(2000, "CNY")) == "券 ¥20"
    assert coupon_text(Money(550, "CNY")) == "券 ¥5.50"
    assert short_money(Money(1500, "USD")) == "$15"
    assert short_money(Money(1500, "JPY")) == "JP¥1500"


def test_price_block_draws_the_original_struck_in_grey(tmp_path: Path, renderer: Renderer) -> None:
    tpl = load_template("moments")
    with_orig = renderer.render(product(tmp_path), SHORT_LINK, tpl, Brand()).image
    without = renderer.render(product(tmp_path, list_price=None, coupon=None), SHORT_LINK, tpl, Brand()).image
    price = next(b for b in tpl.blocks if b.type == "price")
    box = (price.x, price.y, price.x + price.w, price.y + 220)
    greys = [px for px in pixels(with_orig.crop(box)) if abs(px[0] - 153) < 20 and px[0] == px[1] == px[2]]
    assert greys  # #999999 pixels: the original price and its strike line
    assert not [px for px in pixels(without.crop(box)) if abs(px[0] - 153) < 20 and px[0] == px[1] == px[2]]


def test_encode_rejects_an_unknown_format(renderer: Renderer) -> None:
    with pytest.raises(InputError, match="gif"):
        encode(Image.new("RGB", (10, 10)), "gif")
