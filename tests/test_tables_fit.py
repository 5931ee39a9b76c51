"""Every listing and report fits 80 and 200 columns: ids, codes and URLs are never cut or wrapped,
no column collapses to zero width, titles (Chinese, measured in cells) shrink instead."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from report_fixtures import line
from rich.cells import cell_len

from sharekit.orders.store import upsert_order_lines
from sharekit.tracking.channels import add_channel

NOW = "2026-11-20T02:00:00+00:00"
PDD_ID = "pdd:c9r2omogKFFAc7WBwvbZU1ikIb16_J3C5"
PRODUCTS = {
    "jd:100012043978": "象印 不锈钢真空保温杯 SM-SA48 480ml 大容量 办公室 学生 男女通用 保冷保热 Zojirushi",
    PDD_ID: "【百亿补贴】飞利浦 电动牙刷 HX6730 声波震动 成人 情侣 充电式 软毛 礼盒装 送替换刷头 2 支",
    "jd:44303679031": "Anker 安克 20W PD 快充充电器 Type-C 适用 iPhone 15/14/13 华为 小米 USB-C 氮化镓",
}
BASE_URL = "https://go.my-very-long-reseller-domain.example.com/s"
COMMANDS = [
    ["products", "list"], ["orders", "list"], ["link", "list"], ["channel", "list"],
    ["report", "--since", "2026-01"], ["report", "--by", "product", "--since", "2026-01"],
    ["report", "--by", "channel", "--since", "2026-01"], ["report", "channels"],
    ["report", "payouts", "--month", "2026-11"], ["report", "products"],
    ["clicks", "--by", "link"], ["clicks", "--by", "product"], ["clicks", "--by", "channel"], ["source", "list"],
    ["report", "--by", "source", "--since", "2026-01"], ["config", "show"], ["products", "show", "jd:100012043978"],
]


@pytest.fixture
def shop(cli, ws):
    with ws.db:
        for pid, title in PRODUCTS.items():
            source, native = pid.split(":", 1)
            ws.db.execute(
                "INSERT INTO products (id, source, native_id, title, currency, price_minor, url, first_seen_at,"
                " updated_at, seen_at) VALUES (?,?,?,?, 'CNY', 12990, ?, ?, ?, ?)",
                (pid, source, native, title, f"https://item.example.com/{native}?utm_source=a-long-tracking-value",
                 NOW, NOW, NOW))
    add_channel(ws.db, "wechat_group_mama", kind="group")
    add_channel(ws.db, "friend_lili_from_shanghai", kind="friend", share=Decimal("0.3"),
                note="丽丽 转发 朋友圈 每周三次")
    assert cli(["config", "set", "server.base_url", BASE_URL]).exit_code == 0
    codes = []
    for pid in PRODUCTS:
        for channel in ("wechat_group_mama", "friend_lili_from_shanghai"):
            made = cli(["link", "create", pid, "--channel", channel, "--json"])
            assert made.exit_code == 0, made.output
            codes.append(json.loads(made.stdout)["code"])
    lines = []
    for n, pid in enumerate(PRODUCTS):
        native = pid.split(":", 1)[1]
        for k, (status, channel) in enumerate((("settled", "friend_lili_from_shanghai"),
                                                ("pending", "wechat_group_mama"))):
            lines.append(line(f"2411200881700{n}{k}", status, "129.90", "12.99", f"2026-11-1{n} 10:0{k}",
                              product=native, channel=channel, settled="2026-11-15 10:00" if status == "settled"
                              else None))
    for source in ("jd", "pdd"):
        upsert_order_lines(ws.db, source, [ln for ln in lines if (ln.product_native_id or "").startswith(
            "c9") == (source == "pdd")])
    return {"codes": codes, "urls": [f"{BASE_URL}/{c}" for c in codes], "products": list(PRODUCTS),
            "orders": [ln.order_id for ln in lines], "channels": ["wechat_group_mama", "friend_lili_from_shanghai"]}


def _run(cli, args, width, monkeypatch):
    monkeypatch.setenv("COLUMNS", str(width))
    import sharekit.commands._common as common

    common._out = None  # a console of this width
    result = cli(args)
    common._out = None
    assert result.exit_code == 0, (args, result.output)
    return result.stdout


@pytest.mark.parametrize("args", COMMANDS, ids=lambda a: " ".join(a))
def test_every_listing_fits_80_and_200_columns(cli, shop, monkeypatch, args):
    wide = _run(cli, args, 200, monkeypatch)
    if args[:2] != ["link", "list"]:  # (the long target URLs of links may give way even at 200)
        assert "hidden at" not in wide
    for width, text in ((80, _run(cli, args, 80, monkeypatch)), (200, wide)):
        lines = text.splitlines()
        for ln in lines:   # every line, the note of hidden columns too
            assert cell_len(ln.rstrip()) <= width, (width, ln)
            for collapsed in ("┳┳", "╇╇", "┃┃", "││", "┼┼", "┻┻"):
                assert collapsed not in ln, (width, ln)
        known = [v for kind in ("codes", "urls", "products", "orders", "channels") for v in shop[kind]]
        for value in known:
            stem = value[: max(6, len(value) - 3)]
            for ln in lines:
                if stem in ln:  # shown at all: then whole, on one line
                    assert any(v in ln for v in known if v.startswith(stem)), (width, value, ln)
    if args[:2] == ["link", "list"]:
        narrow = _run(cli, args, 80, monkeypatch)
        for url in shop["urls"]:  # the short URL is what a person copies: always there at 80
            assert url in narrow


def test_narrow_terminal_names_hidden_columns_and_columns_option_chooses(cli, shop, monkeypatch):
    text = _run(cli, ["orders", "list"], 80, monkeypatch)
    assert "hidden at 80 columns:" in text and "--wide" in " ".join(text.split())
    chosen = _run(cli, ["orders", "list", "--columns", "order,title,amount"], 80, monkeypatch)
    assert "象印" in chosen and "hidden at" not in chosen
    bad = cli(["orders", "list", "--columns", "order,titel"])
    assert bad.exit_code == 2 and "titel" in bad.stderr
    every = _run(cli, ["orders", "list", "--wide"], 80, monkeypatch)
    assert "hidden at" not in every and PDD_ID in every


def test_titles_sit_next_to_ids_and_json_is_unaffected(cli, shop, monkeypatch):
    text = _run(cli, ["clicks", "--by", "product"], 200, monkeypatch)
    report = _run(cli, ["report", "--by", "product", "--since", "2026-01"], 200, monkeypatch)
    assert "象印" in report
    assert "No clicks" in text or "象印" in text
    monkeypatch.setenv("COLUMNS", "40")
    rows = json.loads(cli(["orders", "list", "--json"]).stdout)
    assert {r["product_title"] for r in rows} >= {PRODUCTS[PDD_ID]}  # full title, whatever the width


@pytest.mark.parametrize("args", COMMANDS, ids=lambda a: " ".join(a))
def test_a_note_of_hidden_columns_offers_options_the_command_has(cli, shop, monkeypatch, args):
    """`(hidden at 80 columns: …; --wide or --columns to choose)`: both options work there."""
    narrow = _run(cli, args, 80, monkeypatch)
    if "hidden at 80 columns" not in narrow:
        return
    every = _run(cli, [*args, "--wide"], 80, monkeypatch)
    assert "hidden at" not in every
    hidden = " ".join(narrow.split()).split("hidden at 80 columns: ", 1)[1].split(";", 1)[0].split(", ")
    chosen = _run(cli, [*args, "--columns", hidden[0]], 80, monkeypatch)
    assert "hidden at" not in chosen and hidden[0] in chosen


def test_settings_and_product_details_keep_urls_and_paths_whole_at_80_columns(cli, shop, monkeypatch):
    shown = _run(cli, ["config", "show"], 80, monkeypatch)
    assert BASE_URL in shown.splitlines() or f"  {BASE_URL}" in shown.splitlines()
    details = _run(cli, ["products", "show", "jd:100012043978"], 80, monkeypatch)
    url = "https://item.example.com/100012043978?utm_source=a-long-tracking-value"
    assert any(ln.strip() == url or ln.endswith(f"  {url}") for ln in details.splitlines()), details
    assert "…" not in shown and "…" not in details


def test_csv_and_json_are_the_same_at_any_width(cli, shop, monkeypatch):
    for args in (["report", "--by", "product", "--since", "2026-01", "--format", "csv"],
                 ["report", "payouts", "--month", "2026-11", "--format", "csv"],
                 ["orders", "list", "--json"], ["link", "list", "--json"], ["report", "channels", "--json"]):
        narrow, wide = _run(cli, args, 40, monkeypatch), _run(cli, args, 200, monkeypatch)
        assert narrow == wide, args


def test_text_bars_pad_chinese_labels_by_cells_and_fit_the_width():
    from sharekit.reports.charts import text_bars

    rows = text_bars(["朋友圈", "mama_group", "宝妈群A"], [300, 150, 0], "CNY", max_width=40)
    assert len({cell_len(r) for r in rows}) == 1 and all(cell_len(r) <= 40 for r in rows), rows
    assert {cell_len(r[:r.index("█")]) for r in rows[:2]} == {12}   # the bars start in the same cell
    assert all(cell_len(r) <= 60 for r in text_bars(["a" * 37], [5], "CNY", max_width=60))


def test_a_url_or_path_printed_on_its_own_is_never_broken_at_80_columns(cli, shop, monkeypatch, tmp_path):
    slug = "mama-group-double-eleven-cup-001"    # 32 characters: the Share line is wider than 80
    made = _run(cli, ["link", "create", "jd:100012043978", "--channel", "wechat_group_mama", "--slug", slug], 80,
                monkeypatch)
    assert f"Share: {BASE_URL}/{slug}" in made.splitlines()
    out_dir = tmp_path / "posters-for-the-double-eleven-sale-in-the-mama-group" / "and-one-more-folder-level"
    shown = _run(cli, ["poster", "jd:100012043978", "--channel", "wechat_group_mama", "--template", "square",
                       "--out", str(out_dir)], 80, monkeypatch)
    poster = out_dir / "jd_100012043978-wechat_group_mama-square.jpg"
    assert poster.is_file() and f"  {poster}" in shown.splitlines(), shown
