"""The image cache: real Pillow images over real HTTP; broken images never fail a pull."""

from __future__ import annotations

import os

import pytest
from catalog_fakes import Reply, image_bytes, shopify_app, shopify_product

from sharekit.catalog.images import ImageCache, ImageError, inspect_image
from sharekit.catalog.pull import pull
from sharekit.store.config import set_value


def noise_png(size: int = 120) -> bytes:
    import io

    from PIL import Image

    image = Image.frombytes("RGB", (size, size), os.urandom(size * size * 3))
    buf = io.BytesIO()
    image.save(buf, "PNG")
    return buf.getvalue()


GOOD = image_bytes("JPEG", color=(10, 120, 200))
SAME = image_bytes("PNG", color=(30, 160, 60))
TRUNCATED = image_bytes("JPEG", size=(200, 150), color=(90, 30, 30))
BIG = noise_png()  # ~43 KB of incompressible pixels


def store_with_images(base: str) -> tuple[list, dict]:
    images = {
        "/img/good.jpg": Reply(200, GOOD, {"Content-Type": "image/jpeg"}),
        "/img/same-a.png": Reply(200, SAME, {"Content-Type": "image/png"}),
        "/img/same-b.png": Reply(200, SAME, {"Content-Type": "image/png"}),
        "/img/truncated.jpg": Reply(200, TRUNCATED[: len(TRUNCATED) // 2], {"Content-Type": "image/jpeg"}),
        "/img/cut.jpg": Reply(200, GOOD[:300], {"Content-Type": "image/jpeg"}, declared_length=len(GOOD)),
        "/img/page.jpg": Reply.html("Hotlinking not allowed"),
        "/img/big.png": Reply(200, BIG, {"Content-Type": "image/png"}),
        "/img/slow.jpg": Reply(200, GOOD, {"Content-Type": "image/jpeg"}, delay=2.0),
    }
    names = ["good.jpg", "same-a.png", "same-b.png", "truncated.jpg", "cut.jpg", "page.jpg", "big.png",
             "slow.jpg", "missing.jpg"]
    products = [shopify_product(i + 1, f"Item {i + 1}", "10.00", image=f"{base}/img/{name}")
                for i, name in enumerate(names)]
    products.append(shopify_product(99, "Sneaky", "1.00", image="file:///etc/hostname"))
    return products, images


def test_pull_caches_images_content_addressed_and_lists_every_broken_one(ws, serve, client):
    box: dict = {}

    def app(request):
        if request.path.startswith("/img/"):
            return box["images"].get(request.path, Reply.html("Not Found", 404))
        return box["shop"](request)

    server = serve(app)
    products, images = store_with_images(server.url)
    box.update(images=images, shop=shopify_app(products))
    set_value(ws.config, "sources.shop", {"kind": "shopify", "store": server.url, "currency": "USD",
                                          "rate_limit": 0})
    ws.reload_config()
    set_value(ws.config, "images", {"max_mb": 0.02, "timeout": 1.0, "workers": 4})
    ws.reload_config()

    summary = pull(ws, "shop", client=client, image_client=client)

    assert summary.added == 10  # every product kept, whatever its image
    assert summary.images_downloaded + summary.images_reused == 3
    reasons = {p["id"]: p["reason"] for p in summary.image_problems}
    assert "over the 20 KB cap" in reasons.pop("shop:7")
    assert reasons == {
        "shop:4": "image: truncated image (does not fully decode)",
        "shop:5": "image: download cut short (connection closed early)",
        "shop:6": "image: an HTML page, not an image",
        "shop:8": "image: timed out after 1s",
        "shop:9": "image: HTTP 404",
        "shop:99": "image: local file images are read only for a local feed",
    }
    paths = dict(ws.db.execute("SELECT native_id, image_path FROM products"))
    assert paths["2"] == paths["3"] and paths["2"].startswith("images/") and paths["2"].endswith(".png")
    assert paths["1"].endswith(".jpg") and paths["4"] is None
    cached = sorted(p.relative_to(ws.paths.cache).as_posix() for p in ws.paths.cache.rglob("*") if p.is_file())
    assert cached == sorted({paths["1"], paths["2"]})

    hits_before = server.hits("/img/good.jpg")
    again = pull(ws, "shop", client=client, image_client=client)
    assert again.unchanged == 10
    assert server.hits("/img/good.jpg") == hits_before  # cached images are not fetched again
    assert server.hits("/img/truncated.jpg") == 2       # broken ones are retried next time


def test_no_images_skips_downloads(ws, serve, client):
    server = serve(shopify_app([shopify_product(1, "A", "1.00", image="http://127.0.0.1:9/x.jpg")]))
    set_value(ws.config, "sources.shop", {"kind": "shopify", "store": server.url, "rate_limit": 0})
    ws.reload_config()
    summary = pull(ws, "shop", images=False, client=client)
    assert summary.added == 1 and summary.image_problems == [] and summary.images_enabled is False


def test_too_many_pixels_is_refused_before_decoding(tmp_path):
    path = tmp_path / "wide.png"
    path.write_bytes(image_bytes("PNG", size=(200, 100)))
    with ImageCache(tmp_path / "cache", file_roots=[tmp_path], max_pixels=10_000) as cache:
        with pytest.raises(ImageError, match=r"200x100 is over the 10,000-pixel limit \(decompression-bomb guard\)"):
            cache.fetch(path.as_uri())


def test_pillow_decompression_bomb_warning_becomes_a_refusal(monkeypatch):
    from PIL import Image

    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)
    with pytest.raises(ImageError, match="decompression-bomb guard"):
        inspect_image(image_bytes("PNG", size=(40, 40)))   # 1,600 px: Pillow warns, we refuse
    with pytest.raises(ImageError, match="decompression-bomb guard"):
        inspect_image(image_bytes("PNG", size=(50, 50)))   # 2,500 px: Pillow raises


def test_non_images_and_empty_files_are_named(tmp_path):
    assert inspect_image(GOOD)[0] == "JPEG"
    with pytest.raises(ImageError, match="^not an image$"):
        inspect_image(b"GIF89a not really")
    with pytest.raises(ImageError, match="empty file"):
        inspect_image(b"")


def test_local_image_over_the_cap_is_refused_without_reading_it(tmp_path):
    path = tmp_path / "big.png"
    path.write_bytes(BIG)
    with ImageCache(tmp_path / "cache", file_roots=[tmp_path], max_bytes=1024) as cache:
        with pytest.raises(ImageError, match="over the 1 KB cap"):
            cache.fetch(str(path))


def test_remote_feed_resolves_relative_image_links_against_its_url(ws, serve, client):
    csv_text = "id,title,price,image_link\nR1,远程商品,9.90,img/r1.jpg\nR2,Two,1,/abs/r2.png\n"

    def app(request):
        if request.path == "/feeds/products.csv":
            return Reply(200, csv_text.encode("gb18030"), {"Content-Type": "text/csv"})
        if request.path == "/feeds/img/r1.jpg":
            return Reply(200, GOOD, {"Content-Type": "image/jpeg"})
        if request.path == "/abs/r2.png":
            return Reply(200, SAME, {"Content-Type": "image/png"})
        return Reply.html("Not Found", 404)

    server = serve(app)
    set_value(ws.config, "sources.remote", {"kind": "feed", "url": f"{server.url}/feeds/products.csv",
                                            "currency": "CNY", "rate_limit": 0})
    ws.reload_config()
    summary = pull(ws, "remote", client=client, image_client=client)
    assert (summary.added, summary.images_failed) == (2, 0)
    row = ws.db.execute("SELECT title, image_urls, image_path FROM products WHERE id = 'remote:R1'").fetchone()
    assert row["title"] == "远程商品"
    assert row["image_urls"] == f'["{server.url}/feeds/img/r1.jpg"]' and row["image_path"]


def test_feed_path_relative_to_the_home_folder(ws, home):
    (home / "mine.csv").write_text("id,title,price\nH1,Home,1\n", encoding="utf-8")
    set_value(ws.config, "sources.local", {"kind": "feed", "path": "mine.csv"})
    ws.reload_config()
    assert pull(ws, "local").added == 1
