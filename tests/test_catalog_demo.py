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
    assert report["done"] is True and report["added"] == 12 and report["problems"] == []
    assert report["images"]["downloaded"] + report["images"]["reused"] == 12
    rows = list_products(ws.db, source="demo")
    assert len(rows) == 12
    assert all(image_file(ws, r) is not None for r in rows)
    assert any("保温杯" in r["title"] for r in rows)
    assert said and "12 added" in said[-1]
    again = demo_step(ws, EXAMPLES, said.append)
    assert again["unchanged"] == 12 and again["images"]["downloaded"] == 0


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
