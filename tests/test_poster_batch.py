"""`sharekit poster` end to end: store products in, posters and share texts out."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from factories import add_product as store_product
from PIL import Image, ImageDraw

from sharekit.core.money import Money
from sharekit.errors import InputError
from sharekit.poster.batch import hash_path, output_name, share_text
from sharekit.poster.render import Brand, ProductRecord
from sharekit.store.config import write_config

NOW = "2026-11-26T00:00:00Z"
TITLE = "小米 Redmi K70 至尊版 12GB+256GB（黑色）限时特惠"


def make_photo(path: Path, seed: int) -> None:
    rnd = random.Random(seed)
    img = Image.new("RGB", (900, 900), (240, 235, 225))
    d = ImageDraw.Draw(img)
    for _ in range(30):
        x, y, r = rnd.randrange(900), rnd.randrange(900), rnd.randrange(20, 200)
        d.ellipse((x - r, y - r, x + r, y + r), fill=(rnd.randrange(256), rnd.randrange(256), rnd.randrange(256)))
    img.save(path, quality=85)


def add_product(ws, pid: str, *, title: str = TITLE, image: str | None = "auto",
                price: int = 199900, original: int | None = 249900, coupon: int | None = 2000,
                threshold: int | None = None, coupon_url: str | None = None,
                url: str | None = "https://item.jd.com/{n}.html") -> None:
    """A product selling at ``price`` (list price ``original``) with a ``coupon`` (满``threshold``)."""
    source, native = pid.split(":", 1)
    if image == "auto":
        image = f"{native}.jpg"
        ws.paths.cache.mkdir(exist_ok=True)
        make_photo(ws.paths.cache / image, hash(native) % 1000)
    store_product(ws, pid, title=title, price=price, original=original, coupon=coupon, threshold=threshold,
                  coupon_url=coupon_url, url=url.format(n=native) if url else None, image_path=image, now=NOW)


def cny(minor: int | None) -> Money | None:
    return Money(minor, "CNY") if minor is not None else None


def set_config(ws, **tables) -> None:
    data = dict(ws.config.data)
    for table, values in tables.items():
        data[table] = {**dict(data.get(table) or {}), **values}
    write_config(ws.paths.config, data)
    ws.reload_config()


def decode(path: Path) -> list[str]:
    import zxingcpp

    with Image.open(path) as img:
        return [r.text for r in zxingcpp.read_barcodes(img)]


def test_poster_renders_named_files_with_share_text_and_the_promotion_link(cli, ws) -> None:
    add_product(ws, "jd:100012043978")
    result = cli(["poster", "jd:100012043978", "--channel", "wx-group-1", "--create-channel", "--jobs", "1"])
    assert result.exit_code == 0, result.output
    image = ws.paths.posters / "jd_100012043978-wx-group-1-moments.jpg"
    assert image.is_file() and hash_path(image).is_file()
    with Image.open(image) as img:
        assert (img.format, img.size) == ("JPEG", (1080, 1920))
    link = "https://item.jd.com/100012043978.html?ref=wx-group-1"
    assert decode(image) == [link]
    text = image.with_suffix(".txt").read_text(encoding="utf-8")
    assert text.splitlines() == [TITLE, "【在售价】¥1999", "【券后价】¥1979",
                                 "【优惠券】¥20", link]


def test_with_a_server_base_url_the_qr_carries_the_short_link_marked_as_a_scan(cli, ws) -> None:
    add_product(ws, "jd:1")
    set_config(ws, server={"base_url": "https://s.example.cn"})
    result = cli(["poster", "jd:1", "--json", "--jobs", "1"])
    assert result.exit_code == 0, result.output
    code = ws.db.execute("SELECT code FROM links WHERE product_id = 'jd:1'").fetchone()[0]
    path = Path(json.loads(result.stdout)["posters"][0]["path"])
    assert path.name == "jd_1-moments.jpg"
    assert decode(path) == [f"https://s.example.cn/{code}?s=q"]
    assert path.with_suffix(".txt").read_text(encoding="utf-8").splitlines()[-1] == f"https://s.example.cn/{code}"


def test_all_in_a_pool_then_rerun_skips_and_force_rerenders(cli, ws) -> None:
    for n in range(3):
        add_product(ws, f"jd:{n}")
    add_product(ws, "shop:9", image=None)
    first = cli(["poster", "--all", "--source", "jd", "--jobs", "2", "--json", "--template", "square"])
    assert first.exit_code == 0, first.output
    data = json.loads(first.stdout)
    assert (data["rendered"], data["skipped"], data["failed"]) == (3, 0, 0)
    names = sorted(p.name for p in ws.paths.posters.glob("*.jpg"))
    assert names == ["jd_0-square.jpg", "jd_1-square.jpg", "jd_2-square.jpg"]
    stamp = {p: p.stat().st_mtime_ns for p in ws.paths.posters.glob("*.jpg")}
    again = json.loads(cli(["poster", "--all", "--source", "jd", "--json", "--template", "square"]).stdout)
    assert (again["rendered"], again["skipped"]) == (0, 3)
    assert stamp == {p: p.stat().st_mtime_ns for p in ws.paths.posters.glob("*.jpg")}
    before = (ws.paths.posters / "jd_0-square.jpg").read_bytes()
    forced = json.loads(cli(["poster", "--all", "--source", "jd", "--json", "--force", "--template", "square",
                             "--jobs", "1"]).stdout)
    assert forced["rendered"] == 3
    assert (ws.paths.posters / "jd_0-square.jpg").read_bytes() == before  # deterministic bytes


def test_a_changed_price_makes_the_poster_stale(cli, ws) -> None:
    add_product(ws, "jd:5")
    assert cli(["poster", "jd:5", "--jobs", "1"]).exit_code == 0
    with ws.db:
        ws.db.execute("UPDATE products SET sale_price_minor = 101900, price_minor = 99900 WHERE id = 'jd:5'")
    data = json.loads(cli(["poster", "jd:5", "--json", "--jobs", "1"]).stdout)
    assert data["rendered"] == 1
    assert "【券后价】¥999" in (ws.paths.posters / "jd_5-moments.txt").read_text(encoding="utf-8")


def test_a_missing_image_gets_a_placeholder_and_a_warning(cli, ws) -> None:
    add_product(ws, "jd:7", image="gone.jpg")
    result = cli(["poster", "jd:7", "--jobs", "1"])
    assert result.exit_code == 0, result.output
    assert "gone.jpg" in result.stderr and "placeholder" in result.stderr
    assert (ws.paths.posters / "jd_7-moments.jpg").is_file()


def test_one_failing_product_does_not_stop_the_batch_and_exits_1(cli, ws) -> None:
    add_product(ws, "jd:1")
    add_product(ws, "jd:2", url=None)  # no URL: no link can be made
    add_product(ws, "jd:3")
    result = cli(["poster", "jd:1", "jd:2", "jd:3", "--jobs", "2"])
    assert result.exit_code == 1, result.output
    assert "jd:2" in result.stderr and "no URL" in result.stderr
    assert sorted(p.name for p in ws.paths.posters.glob("*.jpg")) == ["jd_1-moments.jpg", "jd_3-moments.jpg"]


def test_formats_and_out_folder(cli, ws, tmp_path: Path) -> None:
    add_product(ws, "jd:1")
    out = tmp_path / "out"
    for fmt, kind in (("png", "PNG"), ("webp", "WEBP")):
        result = cli(["poster", "jd:1", "--format", fmt, "--out", str(out), "--template", "card", "--jobs", "1"])
        assert result.exit_code == 0, result.output
        with Image.open(out / f"jd_1-card.{fmt}") as img:
            assert (img.format, img.size) == (kind, (1080, 1440))


def test_a_users_template_file_and_a_bad_one(cli, ws, tmp_path: Path) -> None:
    add_product(ws, "jd:1")
    good = tmp_path / "tiny.toml"
    good.write_text('name = "tiny"\nwidth = 600\nheight = 600\n\n[[blocks]]\ntype = "qr"\nx = 150\ny = 150\n'
                    'size = 300\ncaption = ""\n', encoding="utf-8")
    assert cli(["poster", "jd:1", "--template", str(good), "--jobs", "1"]).exit_code == 0
    assert (ws.paths.posters / "jd_1-tiny.jpg").is_file()
    bad = tmp_path / "bad.toml"
    bad.write_text('width = 600\nheight = 600\n\n[[blocks]]\ntype = "sticker"\nx = 0\ny = 0\n', encoding="utf-8")
    result = cli(["poster", "jd:1", "--template", str(bad)])
    assert result.exit_code == 1
    assert "bad.toml, line 5" in result.stderr and "blocks[0].type" in result.stderr


def test_usage_errors(cli, ws) -> None:
    assert cli(["poster", "render"]).exit_code == 2
    result = cli(["poster", "jd:404"])
    assert result.exit_code == 1 and "jd:404" in result.stderr
    assert cli(["poster", "jd:1", "--format", "gif"]).exit_code == 1


def test_poster_templates_lists_the_builtins(cli, ws) -> None:
    result = cli(["poster", "templates", "--json"])
    assert result.exit_code == 0, result.output
    rows = {t["name"]: (t["width"], t["height"]) for t in json.loads(result.stdout)}
    assert rows == {"moments": (1080, 1920), "square": (1080, 1080), "card": (1080, 1440)}
    table = cli(["poster", "templates"])
    assert table.exit_code == 0 and "moments" in table.stdout


def test_share_text_template_from_config_and_taobao_password() -> None:
    product = ProductRecord("tb:1", "连衣裙", cny(8900), cny(12900), cny(3000))
    text = share_text(product, "https://s.example.cn/ABC", "￥AbCd1234￥ 打开淘宝", Brand())
    assert text.splitlines() == ["连衣裙", "【在售价】¥89", "【券后价】¥59", "【优惠券】¥30", "￥AbCd1234￥ 打开淘宝",
                                 "https://s.example.cn/ABC"]
    custom = share_text(product, "L", None, Brand(name="小店"), "{brand}推荐：{title} 到手{price}\n{link}")
    assert custom == "小店推荐：连衣裙 到手¥59\nL\n"
    bare = share_text(ProductRecord("x:1", "T"), "L", None, Brand())
    assert bare == "T\nL\n"


def test_share_text_sells_at_the_sale_price_and_takes_a_usable_coupon_off_it() -> None:
    # Feed row: price 89.90, sale_price 59.90, coupon 满59减10 (issue 14, defect 1).
    product = ProductRecord("f:1", "保温杯", sale_price=cny(5990), list_price=cny(8990), coupon=cny(1000),
                            threshold=cny(5900), coupon_url="https://m.example-shop.cn/coupon/1")
    text = share_text(product, "https://s.example.cn/ABC", None, Brand())
    assert text.splitlines() == ["保温杯", "【在售价】¥59.90", "【券后价】¥49.90", "【优惠券】¥10（满59可用）",
                                 "https://s.example.cn/ABC"]
    every = share_text(product, "L", None, Brand(), "{list_price}|{sale_price}|{coupon}|{threshold}|"
                       "{coupon_rule}|{final_price}|{price_label}|{coupon_url}")
    assert every == "¥89.90|¥59.90|¥10|¥59|满59减10|¥49.90|券后价|https://m.example-shop.cn/coupon/1\n"


def test_a_coupon_the_price_does_not_reach_is_not_advertised() -> None:
    # ¥89 with 满99减10 (issue 14, defect 2): no coupon line, no 券后价.
    product = ProductRecord("f:2", "连衣裙", sale_price=cny(8900), coupon=cny(1000), threshold=cny(9900),
                            coupon_url="https://m.example-shop.cn/coupon/2")
    assert share_text(product, "L", None, Brand()).splitlines() == ["连衣裙", "【在售价】¥89", "L"]
    figures = share_text(product, "L", None, Brand(), "{price_label} {final_price}[{coupon}][{coupon_url}]")
    assert figures == "到手价 ¥89[][]\n"
    plain = ProductRecord("f:3", "无券", sale_price=cny(4900))
    assert share_text(plain, "L", None, Brand()).splitlines() == ["无券", "【在售价】¥49", "L"]


def test_an_unknown_placeholder_in_the_share_text_is_an_error_naming_it(cli, ws) -> None:
    with pytest.raises(InputError, match=r"\{prcie\}"):
        share_text(ProductRecord("x:1", "T", cny(100)), "L", None, Brand(), "{title} {prcie}")
    add_product(ws, "jd:9")
    set_config(ws, poster={"share_text": "{title}\n{sale_prise}\n{link}"})
    result = cli(["poster", "jd:9", "--jobs", "1"])
    assert result.exit_code == 1
    assert "{sale_prise}" in result.output and "share_text" in result.output
    assert not list(ws.paths.posters.glob("*.jpg"))


@pytest.mark.parametrize(("pid", "channel", "name"), [
    ("jd:100012043978", "wx-group-1", "jd_100012043978-wx-group-1-moments.jpg"),
    ("shop:a/b", "", "shop_a_b-moments.jpg"),
])
def test_output_names_are_filesystem_safe(pid: str, channel: str, name: str) -> None:
    assert output_name(pid, channel, "moments", "jpg") == name


def test_demo_step_renders_every_product(ws, tmp_path: Path) -> None:
    from sharekit.demo.posters import demo_step

    examples = Path(__file__).resolve().parent.parent / "examples"
    for n in range(2):
        add_product(ws, f"demo:{n}")
    said: list[str] = []
    report = demo_step(ws, examples, said.append)
    assert report["done"] and report["rendered"] == 5  # 2 moments + square, card and sale.toml of the first
    assert any("posters:" in s for s in said)
