"""The catalog's demo step on the bundled example catalog (offline, images from local files)."""

from __future__ import annotations

import csv
from pathlib import Path

from sharekit.catalog.query import image_file, list_products
from sharekit.demo.catalog import demo_step

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def test_demo_step_pulls_the_example_catalog_with_its_images(ws):
    said: list[str] = []
    report = demo_step(ws, EXAMPLES, said.append)
    # a new home pulls last week's copy first: three prices have dropped since
    assert report["last_week"]["added"] == 12
    assert report["done"] is True and report["updated"] == 3 and report["unchanged"] == 9
    assert report["problems"] == []
    assert report["last_week"]["images"]["downloaded"] == 12
    rows = list_products(ws.db, source="demo")
    assert len(rows) == 12
    assert all(image_file(ws, r) is not None for r in rows)
    assert any("保温杯" in r["title"] for r in rows)
    assert said and "3 updated" in said[-1]
    history = ws.db.execute("SELECT product_id, price_minor FROM price_history ORDER BY id").fetchall()
    assert sorted(tuple(r) for r in history) == [("demo:SK1002", 6900), ("demo:SK1002", 7900),
                                                ("demo:SK1003", 7490), ("demo:SK1003", 8490),
                                                ("demo:SK1006", 5900), ("demo:SK1006", 6900)]
    again = demo_step(ws, EXAMPLES, said.append)
    assert again["unchanged"] == 12 and again["images"]["downloaded"] == 0 and again["last_week"] is None


def test_example_catalog_is_small_real_utf8_and_every_image_exists():
    folder = EXAMPLES / "catalog"
    total = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
    assert total < 1_500_000
    with open(folder / "products.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 12
    for row in rows:
        assert (folder / row["image_link"]).is_file()
        assert any("\u4e00" <= ch <= "\u9fff" for ch in row["title"])
