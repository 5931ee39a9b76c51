"""Click statistics from the per-link-and-day counters, the CLI, and the demo step."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from factories import add_product as store_product

from sharekit.demo.tracking import demo_step
from sharekit.errors import InputError
from sharekit.tracking.clicks import click_stats
from sharekit.tracking.links import ensure_link
from sharekit.tracking.server.classify import Classifier
from sharekit.tracking.server.recorder import ClickWriter

NOW = "2026-11-26T00:00:00+00:00"
EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
PHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148 Safari/604.1"
WECHAT = PHONE + " MicroMessenger/8.0.49"


def add_product(ws, pid: str, source: str = "demo") -> None:
    store_product(ws, pid, source=source, title=f"product {pid}", price=None, url=f"https://shop.example.com/{pid}",
                  now=NOW)


@pytest.fixture
def clicked(ws):
    """Two products, three links, clicks over two local days (Asia/Shanghai) written by the recorder."""
    add_product(ws, "demo:SK001")
    add_product(ws, "demo:SK002")
    a = ensure_link(ws, "demo:SK001", "moments").code
    b = ensure_link(ws, "demo:SK001", "family").code
    c = ensure_link(ws, "demo:SK002", "moments").code
    cl = Classifier(b"salt", "Asia/Shanghai")
    day1 = datetime(2026, 11, 24, 15, 30, tzinfo=UTC)   # 23:30 on the 24th in Shanghai
    day2 = datetime(2026, 11, 24, 16, 30, tzinfo=UTC)   # 00:30 on the 25th in Shanghai
    spec = [  # (code, when, ip, ua, method, qr)
        (a, day1, "1.1.1.1", WECHAT, "GET", True), (a, day1, "1.1.1.1", WECHAT, "GET", False),
        (a, day1, "1.1.1.2", PHONE, "GET", True), (a, day1, "9.9.9.9", "TelegramBot (like TwitterBot)", "GET", False),
        (a, day2, "1.1.1.1", WECHAT, "GET", False), (b, day2, "2.2.2.2", PHONE, "GET", False),
        (b, day2, "2.2.2.2", PHONE, "HEAD", False), (c, day2, "3.3.3.3", PHONE, "GET", True),
    ]
    clicks = [cl.click(code=code, channel="", product_id=None, ip=ip, user_agent=ua, referer=None, method=m,
                       via_qr=qr, now=when) for code, when, ip, ua, m, qr in spec]
    writer = ClickWriter(ws.paths.db)
    try:
        writer.write(clicks[:3])  # several batches, as the server writes them
        writer.write(clicks[3:])
    finally:
        writer.close()
    return {"a": a, "b": b, "c": c}


def test_stats_by_link_count_people_visitors_bots_and_qr_split(ws, clicked):
    stats = click_stats(ws, "link")
    rows = {r.key: r for r in stats.rows}
    a = rows[clicked["a"]]
    # visitors: 1.1.1.1 (WeChat, on both days) and 1.1.1.2: two people, not 3 daily uniques
    assert (a.clicks, a.visitors, a.bots, a.qr, a.link, a.wechat) == (4, 2, 1, 2, 2, 3)
    assert (a.channel, a.product) == ("moments", "demo:SK001")
    b = rows[clicked["b"]]
    assert (b.clicks, b.visitors, b.bots) == (1, 1, 1)  # HEAD is a bot hit, not a click
    assert stats.rows[0].key == clicked["a"]  # most clicks first
    assert (stats.total.clicks, stats.total.bots, stats.total.qr) == (6, 2, 3)
    assert stats.total.visitors == 4  # 1.1.1.1, 1.1.1.2, 2.2.2.2, 3.3.3.3 (the bot is no visitor)


def test_visitors_are_distinct_per_grouping_and_span_not_sums(ws, clicked):
    by_channel = {r.key: r.visitors for r in click_stats(ws, "channel").rows}
    # moments: 1.1.1.1 (link a on two days), 1.1.1.2 (a), 3.3.3.3 (c) -> 3, not 4 (sum of link-days)
    assert by_channel == {"moments": 3, "family": 1}
    by_product = {r.key: r.visitors for r in click_stats(ws, "product").rows}
    assert by_product == {"demo:SK001": 3, "demo:SK002": 1}
    by_day = {r.key: r.visitors for r in click_stats(ws, "day").rows}
    assert by_day == {"2026-11-24": 2, "2026-11-25": 3}
    assert click_stats(ws, "day").to_json()["visitors_method"] == "exact"


def test_one_person_opening_three_links_of_a_channel_is_one_visitor(ws):
    add_product(ws, "demo:SK001")
    add_product(ws, "demo:SK002")
    add_product(ws, "demo:SK003")
    codes = [ensure_link(ws, f"demo:SK00{i}", "mama_group").code for i in (1, 2, 3)]
    cl = Classifier(b"salt", "Asia/Shanghai")
    when = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)
    writer = ClickWriter(ws.paths.db)
    try:
        writer.write([cl.click(code=c, channel="mama_group", product_id=None, ip="5.5.5.5", user_agent=WECHAT,
                               referer=None, method="GET", via_qr=False, now=when) for c in codes])
    finally:
        writer.close()
    row = click_stats(ws, "channel").rows[0]
    assert (row.key, row.clicks, row.visitors) == ("mama_group", 3, 1)


def test_stats_by_channel_product_and_local_day(ws, clicked):
    by_channel = {r.key: r.clicks for r in click_stats(ws, "channel").rows}
    assert by_channel == {"moments": 5, "family": 1}
    by_product = {r.key: r.clicks for r in click_stats(ws, "product").rows}
    assert by_product == {"demo:SK001": 5, "demo:SK002": 1}
    days = click_stats(ws, "day").rows
    assert [(d.key, d.clicks, d.bots) for d in days] == [("2026-11-24", 3, 1), ("2026-11-25", 3, 1)]


def test_include_bots_adds_bot_hits_to_clicks(ws, clicked):
    stats = click_stats(ws, "link", include_bots=True)
    assert stats.total.clicks == 8 and stats.total.bots == 2


def test_since_and_until_select_whole_local_days(ws, clicked):
    only_25 = click_stats(ws, "day", since="2026-11-25")
    assert [d.key for d in only_25.rows] == ["2026-11-25"]
    only_24 = click_stats(ws, "day", until="2026-11-25")  # until is exclusive
    assert [d.key for d in only_24.rows] == ["2026-11-24"]
    with pytest.raises(InputError):
        click_stats(ws, "day", since="2026-11-25", until="2026-11-24")
    with pytest.raises(InputError):
        click_stats(ws, "week")


def test_stats_come_from_counters_not_from_raw_click_rows(ws, clicked):
    before = click_stats(ws, "channel").to_json()
    with ws.db:
        ws.db.execute("DELETE FROM clicks")  # raw rows may be pruned; statistics stay
    assert click_stats(ws, "channel").to_json() == before


def test_cli_clicks_json_shape_and_table(cli, ws, clicked):
    result = cli(["clicks", "--by", "channel", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["by"] == "channel"
    assert {"key", "clicks", "visitors", "bots", "qr", "link"} <= set(data["rows"][0])
    assert data["rows"][0]["key"] == "moments" and data["rows"][0]["clicks"] == 5
    table = cli(["clicks", "--by", "link"])
    assert table.exit_code == 0 and clicked["a"] in table.stdout and "total" in table.stdout
    bad = cli(["clicks", "--by", "week"])
    assert bad.exit_code == 2 and "--by" in bad.stderr  # a usage error, like every bad option value


def test_demo_step_creates_links_in_two_channels_and_records_clicks_offline(ws):
    for i in range(1, 13):
        add_product(ws, f"demo:SK{i:03d}")
    said: list[str] = []
    report = demo_step(ws, EXAMPLES, said.append)
    assert report["done"] and report["links"] == 24
    assert report["clicks"] > 0 and report["bots"] > 0
    stats = click_stats(ws, "channel")
    assert {r.key for r in stats.rows} == {"moments", "wechat_group_a"}
    assert stats.total.qr > 0 and stats.total.wechat > 0
    assert any("sharekit clicks" in line for line in said)
    # running the demo again reuses the links
    assert demo_step(ws, EXAMPLES, said.append)["links"] == 24
    assert ws.db.execute("SELECT count(*) FROM links").fetchone()[0] == 24


def test_demo_step_without_demo_products_is_skipped(ws):
    report = demo_step(ws, EXAMPLES, lambda _m: None)
    assert report["done"] is False

