"""`pull` into the store: counts, price history, unavailable marking, transactions, the CLI."""

from __future__ import annotations

import importlib
import json

import pytest

from sharekit.catalog.pull import pull
from sharekit.catalog.query import show_product
from sharekit.catalog.store import upsert_products
from sharekit.core.money import Money
from sharekit.errors import InputError
from sharekit.sources.base import Product
from sharekit.store.config import set_value

HEADER = "id,title,price,sale_price,coupon,commission_rate,availability,link,image_link\n"


def write_feed(path, rows):
    path.write_text(HEADER + "".join(r + "\n" for r in rows), encoding="utf-8")


def configure(ws, name, path, **extra):
    set_value(ws.config, f"sources.{name}", {"kind": "feed", "path": str(path), **extra})
    ws.reload_config()


ROWS = [
    "A1,保温杯,199.00,159.00,满150减20,8%,in_stock,https://m.shop.cn/p/A1,",
    "A2,牙刷,99.00,79.00,10,12%,in_stock,https://m.shop.cn/p/A2,",
    "A3,坚果,129.90,,,15%,out_of_stock,https://m.shop.cn/p/A3,",
]


def history(ws, pid):
    return [tuple(r) for r in ws.db.execute(
        "SELECT price_minor, original_price_minor, coupon_minor FROM price_history WHERE product_id = ? ORDER BY id",
        (pid,))]


def test_first_pull_adds_and_second_unchanged_pull_changes_nothing(ws, tmp_path):
    feed = tmp_path / "p.csv"
    write_feed(feed, ROWS)
    configure(ws, "shop", feed)
    first = pull(ws, "shop", images=False)
    assert (first.added, first.updated, first.unchanged, first.unavailable, first.skipped) == (3, 0, 0, 0, 0)
    row = ws.db.execute("SELECT * FROM products WHERE id = 'shop:A1'").fetchone()
    assert (row["price_minor"], row["original_price_minor"], row["coupon_minor"]) == (13900, 19900, 2000)
    assert row["commission_rate"] == "0.08" and row["currency"] == "CNY" and row["content_hash"]
    before = ws.db.execute("SELECT id, updated_at, content_hash FROM products ORDER BY id").fetchall()
    second = pull(ws, "shop", images=False)
    assert (second.added, second.updated, second.unchanged) == (0, 0, 3)
    after = ws.db.execute("SELECT id, updated_at, content_hash FROM products ORDER BY id").fetchall()
    assert [tuple(r) for r in before] == [tuple(r) for r in after]
    assert history(ws, "shop:A1") == []  # the first price is the product row's own


def test_price_history_row_only_when_a_price_changes(ws, tmp_path):
    feed = tmp_path / "p.csv"
    write_feed(feed, ROWS)
    configure(ws, "shop", feed)
    pull(ws, "shop", images=False)
    changed = [ROWS[0].replace("159.00", "169.00"), ROWS[1].replace("牙刷", "电动牙刷"), ROWS[2]]
    write_feed(feed, changed)
    summary = pull(ws, "shop", images=False)
    assert (summary.updated, summary.unchanged, summary.price_changes) == (2, 1, 1)
    # the first change records the price before it (dated first_seen_at) and the new one
    assert history(ws, "shop:A1") == [(13900, 19900, 2000), (14900, 19900, 2000)]
    assert history(ws, "shop:A2") == []  # title changed, price did not
    first_seen = ws.db.execute("SELECT first_seen_at FROM products WHERE id = 'shop:A1'").fetchone()[0]
    dates = [r[0] for r in ws.db.execute(
        "SELECT recorded_at FROM price_history WHERE product_id = 'shop:A1' ORDER BY id")]
    assert dates[0] == first_seen
    write_feed(feed, [changed[0].replace("169.00", "179.00"), *changed[1:]])
    pull(ws, "shop", images=False)  # a later change adds one row, not the first price again
    assert history(ws, "shop:A1") == [(13900, 19900, 2000), (14900, 19900, 2000), (15900, 19900, 2000)]
    shown = show_product(ws, "shop:A1").history
    assert [h["price"]["minor"] for h in shown] == [13900, 14900, 15900]
    assert [h["price"]["minor"] for h in show_product(ws, "shop:A2").history] == [6900]
    title = ws.db.execute("SELECT title FROM products WHERE id = 'shop:A2'").fetchone()[0]
    assert title == "电动牙刷"


def test_products_gone_from_a_full_listing_are_marked_unavailable_not_deleted(ws, tmp_path):
    feed = tmp_path / "p.csv"
    write_feed(feed, ROWS)
    configure(ws, "shop", feed)
    pull(ws, "shop", images=False)
    write_feed(feed, ROWS[1:])
    summary = pull(ws, "shop", images=False)
    assert summary.unavailable == 1
    row = ws.db.execute("SELECT available, title FROM products WHERE id = 'shop:A1'").fetchone()
    assert (row["available"], row["title"]) == (0, "保温杯")
    write_feed(feed, ROWS)  # listed again: available again, counted as updated
    back = pull(ws, "shop", images=False)
    assert (back.updated, back.unavailable) == (1, 0)
    assert ws.db.execute("SELECT available FROM products WHERE id = 'shop:A1'").fetchone()[0] == 1


def test_partial_pull_never_marks_anything_unavailable(ws, tmp_path):
    feed = tmp_path / "p.csv"
    write_feed(feed, ROWS)
    configure(ws, "shop", feed)
    pull(ws, "shop", images=False)
    summary = pull(ws, "shop", limit=1, images=False)
    assert summary.full_listing is False and summary.unavailable == 0
    assert ws.db.execute("SELECT count(*) FROM products WHERE available = 1").fetchone()[0] == 2


def test_a_row_skipped_for_bad_data_is_not_called_gone(ws, tmp_path):
    feed = tmp_path / "p.csv"
    write_feed(feed, ROWS)
    configure(ws, "shop", feed)
    pull(ws, "shop", images=False)
    write_feed(feed, [ROWS[0].replace("199.00,159.00", "n/a,n/a"), *ROWS[1:]])
    summary = pull(ws, "shop", images=False)
    assert summary.skipped == 1 and summary.unavailable == 0
    assert summary.skipped_rows[0].where == "p.csv, line 2"
    assert ws.db.execute("SELECT available FROM products WHERE id = 'shop:A1'").fetchone()[0] == 1


def test_strict_pull_writes_nothing(ws, tmp_path):
    feed = tmp_path / "p.csv"
    write_feed(feed, [*ROWS, "A4,,1,,,,,,"])
    configure(ws, "shop", feed)
    with pytest.raises(InputError, match="p.csv, line 5: no title"):
        pull(ws, "shop", strict=True, images=False)
    assert ws.db.execute("SELECT count(*) FROM products").fetchone()[0] == 0


def test_each_page_is_one_transaction_and_a_failing_page_leaves_earlier_pages(ws, tmp_path, monkeypatch):
    feed = tmp_path / "p.csv"
    write_feed(feed, ROWS)
    configure(ws, "shop", feed, page_size=1)
    original = upsert_products
    calls = {"n": 0}

    def failing(conn, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            bad = Product("X", "x", "CNY", Money(1, "CNY"))
            bad.native_id = None  # type: ignore[assignment]  # makes the INSERT fail inside the transaction
            return original(conn, args[0], [*args[1], bad], **kwargs)
        return original(conn, *args, **kwargs)

    pull_module = importlib.import_module("sharekit.catalog.pull")
    monkeypatch.setattr(pull_module, "upsert_products", failing)
    with pytest.raises(Exception):  # noqa: B017 - any store error; the point is what stayed
        pull(ws, "shop", images=False)
    ids = [r[0] for r in ws.db.execute("SELECT id FROM products ORDER BY id")]
    assert ids == ["shop:A1"]  # page 1 committed, page 2 rolled back whole
    assert not ws.db.in_transaction


def test_upsert_counts_duplicates_within_one_pull(ws):
    seen: set[str] = set()
    p = Product("1", "a", "CNY", Money(100, "CNY"))
    first = upsert_products(ws.db, "s", [p, p], seen=seen)
    assert (first.added, first.duplicates) == (1, 1)


# CLI -----------------------------------------------------------------------------------------
def test_pull_command_prints_a_summary_and_problems(cli, ws, tmp_path):
    feed = tmp_path / "p.csv"
    write_feed(feed, [*ROWS, "A4,坏行,abc,,,,,,"])
    configure(ws, "shop", feed)
    result = cli(["pull", "shop", "--no-images"])
    assert result.exit_code == 0, result.output
    assert "shop (feed): 3 added, 0 updated, 0 unchanged, 0 unavailable, 1 skipped" in result.stdout
    assert "p.csv, line 5: price: 'abc' is not a price" in result.stderr


def test_pull_json_summary_shape(cli, ws, tmp_path):
    feed = tmp_path / "p.csv"
    write_feed(feed, ROWS)
    configure(ws, "shop", feed)
    result = cli(["pull", "shop", "--json", "--no-images", "--query", "坚果"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert {k: data[k] for k in ("source", "kind", "full_listing", "added", "updated", "unchanged",
                                 "unavailable", "skipped")} == {
        "source": "shop", "kind": "feed", "full_listing": False, "added": 1, "updated": 0, "unchanged": 0,
        "unavailable": 0, "skipped": 0}
    assert data["problems"] == [] and data["images"]["enabled"] is False


def test_pull_strict_exits_1_with_one_line_and_writes_nothing(cli, ws, tmp_path):
    feed = tmp_path / "p.csv"
    write_feed(feed, [*ROWS, ",x,1,,,,,,"])
    configure(ws, "shop", feed)
    result = cli(["pull", "shop", "--strict"])
    assert result.exit_code == 1
    assert "p.csv, line 5: no id. Nothing was imported (--strict)." in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert ws.db.execute("SELECT count(*) FROM products").fetchone()[0] == 0


def test_pull_unknown_source_is_a_clear_error(cli, ws):
    result = cli(["pull", "nope"])
    assert result.exit_code == 1
    assert "No source named `nope`" in result.stderr


def test_pull_ids_accepts_native_and_prefixed_ids(cli, ws, tmp_path):
    feed = tmp_path / "p.csv"
    write_feed(feed, ROWS)
    configure(ws, "shop", feed)
    result = cli(["pull", "shop", "--ids", "A1,shop:A3", "--json", "--no-images"])
    assert json.loads(result.stdout)["added"] == 2


def test_assume_new_falls_back_to_lookups_when_rows_exist(ws):
    p = Product("1", "a", "CNY", Money(100, "CNY"))
    upsert_products(ws.db, "s", [p])
    again = upsert_products(ws.db, "s", [p, Product("2", "b", "CNY", Money(5, "CNY"))], assume_new=True)
    assert (again.added, again.unchanged) == (1, 1)


def test_an_unchanged_pull_writes_no_product_rows_and_logs_the_pull(ws, tmp_path):
    feed = tmp_path / "p.csv"
    write_feed(feed, ROWS)
    configure(ws, "shop", feed)
    pull(ws, "shop", images=False)
    before = ws.db.total_changes
    pull(ws, "shop", images=False)
    assert ws.db.total_changes - before == 1  # only the catalog_pulls row
    log = ws.db.execute("SELECT full_listing, fetched, added, unchanged FROM catalog_pulls ORDER BY id").fetchall()
    assert [tuple(r) for r in log] == [(1, 3, 3, 0), (1, 3, 0, 3)]
