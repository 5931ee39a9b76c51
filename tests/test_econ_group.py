"""Group shops (群店): a threshold per week or month, when it was reached, the share line and its poster."""

from __future__ import annotations

import json

import pytest
import zxingcpp  # noqa: F401  (the poster tests' dependency; the progress poster has no QR)
from PIL import Image
from report_fixtures import line

from sharekit.core.money import Money
from sharekit.orders.store import upsert_order_lines
from sharekit.reports.groups import group_progress
from sharekit.tracking.channels import add_channel
from sharekit.tracking.groups import set_period


def _orders(ws) -> None:
    # 2026-11-16 is a Monday (Asia/Shanghai). Week 47: 16-22 Nov; week 48: 23-29 Nov.
    upsert_order_lines(ws.db, "jd", [
        line("a1", "settled", "19.90", "1.00", "2026-11-17 10:00", product="1", channel="mama", list_amount="29.90"),
        line("a2", "pending", "9.90", "0.50", "2026-11-23 09:00", product="1", channel="mama"),
        line("a3", "invalid", "50.00", "2.00", "2026-11-24 12:00", product="1", channel="mama", list_amount="60.00"),
        line("a4", "confirmed", "19.90", "1.00", "2026-11-25 20:30", product="1", channel="mama",
             list_amount="25.90"),
        line("b1", "settled", "500.00", "9.00", "2026-11-25 21:00", product="1", channel="other"),
    ])


@pytest.fixture
def group(ws):
    add_channel(ws.db, "mama", kind="group", threshold=Money(10000, "CNY"))
    add_channel(ws.db, "other", kind="moments")
    set_period(ws.db, "mama", "week")
    _orders(ws)
    return ws


def test_the_current_week_counts_alone_and_says_what_is_left(group):
    result = group_progress(group, "mama", at="2026-11-26")
    assert result.current.key == "2026-W48"
    # a2 9.90 + a4 19.90; a3 invalid; a1 is last week's
    assert result.current.spent == Money(2980, "CNY") and result.remaining == Money(7020, "CNY")
    assert result.current.orders == 3
    assert result.share_line() == "本群本周已消费¥29.80，还差¥70.20解锁群专享价"
    assert result.current.saved == Money(600, "CNY")  # only a4 has a list amount (25.90 - 19.90)
    assert not result.reached and result.current.unlocked_at is None


def test_unlocked_at_is_the_line_that_crossed_the_threshold(group):
    add_channel(group.db, "mama", threshold=Money(2500, "CNY"))
    result = group_progress(group, "mama", at="2026-11-29")
    assert result.reached and result.remaining == Money(0, "CNY")
    assert result.current.unlocked_at.isoformat() == "2026-11-25T12:30:00+00:00"   # a4, 20:30 in Shanghai
    assert result.share_line() == "本群本周已消费¥29.80，已于11月25日20:30解锁群专享价"


def test_savings_per_period_use_real_list_amounts_and_unknown_is_none(group):
    result = group_progress(group, "mama", at="2026-11-26", periods=3)
    assert [p.key for p in result.history] == ["2026-W48", "2026-W47", "2026-W46"]
    assert [p.saved for p in result.history] == [Money(600, "CNY"), Money(1000, "CNY"), None]
    assert [p.spent.minor for p in result.history] == [2980, 1990, 0]


def test_month_period_and_none(group):
    set_period(group.db, "mama", "month")
    month = group_progress(group, "mama", at="2026-11-30")
    assert month.current.key == "2026-11" and month.current.spent == Money(4970, "CNY")
    assert month.share_line() == "本群本月已消费¥49.70，还差¥50.30解锁群专享价"
    set_period(group.db, "mama", "none")
    assert group_progress(group, "mama").share_line().startswith("本群已消费¥49.70")


def test_report_channels_shows_progress_in_the_current_period(group, cli, monkeypatch):
    from datetime import UTC, datetime

    import sharekit.reports.groups as groups

    monkeypatch.setattr(groups, "utcnow", lambda: datetime(2026, 11, 26, 4, tzinfo=UTC))
    add_channel(group.db, "mama", threshold=Money(2500, "CNY"))
    data = json.loads(cli("report", "channels", "--json").output)
    row = next(r for r in data["rows"] if r["channel"] == "mama")
    assert row["period"] == "2026-W48" and row["period_kind"] == "week"
    assert row["period_spent"] == {"minor": 2980, "currency": "CNY"}
    assert row["period_saved"] == {"minor": 600, "currency": "CNY"}
    assert row["reached"] is True and row["unlocked_at"].startswith("2026-11-25T20:30:00")
    assert row["remaining"] == {"minor": 0, "currency": "CNY"}
    assert row["spent"] == {"minor": 4970, "currency": "CNY"}    # the span's figure stays
    other = next(r for r in data["rows"] if r["channel"] == "other")
    assert other["period"] is None and other["unlocked_at"] is None


def test_cli_progress_line_json_history_and_poster(group, cli, tmp_path):
    result = cli("channel", "progress", "mama", "--at", "2026-11-26")
    assert result.exit_code == 0, result.output
    assert "本群本周已消费¥29.80，还差¥70.20解锁群专享价" in result.output
    data = json.loads(cli("channel", "progress", "mama", "--at", "2026-11-26", "--periods", "2", "--json").output)
    assert data["share_line"] == "本群本周已消费¥29.80，还差¥70.20解锁群专享价"
    assert data["period"] == "2026-W48" and data["progress"] == "0.2980"
    assert [h["period"] for h in data["history"]] == ["2026-W48", "2026-W47"]
    out = tmp_path / "p.png"
    shown = cli("channel", "progress", "mama", "--at", "2026-11-26", "--poster", str(out))
    assert shown.exit_code == 0, shown.output and out.is_file()
    with Image.open(out) as im:
        assert im.size == (1080, 720)
        # the bar: filled (brand red) at its left end, the track beyond 30%
        left, right = im.getpixel((90, 412)), im.getpixel((900, 412))
    assert left[0] > 200 and left[1] < 100 and right != left
    table = cli("channel", "progress", "mama", "--at", "2026-11-26", "--periods", "2")
    assert "2026-W47" in table.output and "¥10.00" in table.output


def test_period_option_on_channel_add_and_typos(cli, ws):
    ok = cli("channel", "add", "g", "--kind", "group", "--threshold", "100", "--period", "month", "--json")
    assert ok.exit_code == 0, ok.output and json.loads(ok.output)["period"] == "month"
    assert cli("channel", "add", "g", "--period", "fortnight").exit_code == 2
    listed = json.loads(cli("channel", "list", "--json").output)
    assert [(c["name"], c["period"]) for c in listed] == [("g", "month")]
    assert cli("channel", "progress", "nope").exit_code == 2


def test_a_product_block_in_a_progress_template_is_refused(tmp_path):
    from sharekit.errors import InputError
    from sharekit.poster.progress import load_progress_template

    bad = tmp_path / "bad.toml"
    bad.write_text('width = 100\nheight = 100\n[[blocks]]\ntype = "progress"\nx = 0\ny = 0\nw = 10\nh = 10\n'
                   '[[blocks]]\ntype = "qr"\nx = 0\ny = 0\nsize = 50\n', encoding="utf-8")
    with pytest.raises(InputError, match="line 10: `blocks\\[1\\].type`.*progress block takes only"):
        load_progress_template(bad)
    plain = tmp_path / "plain.toml"
    plain.write_text('width = 100\nheight = 100\n[[blocks]]\ntype = "text"\nx = 0\ny = 0\nw = 10\n'
                     'text = "{spent}"\n', encoding="utf-8")
    with pytest.raises(InputError, match="unknown placeholder"):
        load_progress_template(plain)


def test_the_demo_step_shows_the_group_progress_line_and_poster(ws):
    from sharekit.demo import EXAMPLES
    from sharekit.demo.econ_group import demo_step

    add_channel(ws.db, "wechat_group_a", kind="group", threshold=Money(30000, "CNY"))
    upsert_order_lines(ws.db, "jd", [
        line("d1", "pending", "24.90", "1.00", "2026-11-23 20:30", product="1", channel="wechat_group_a"),
        line("d2", "settled", "99.00", "1.00", "2026-11-20 10:00", product="1", channel="wechat_group_a"),
    ])
    said: list[str] = []
    result = demo_step(ws, EXAMPLES, said.append)
    assert "  本群本周已消费¥24.90，还差¥275.10解锁群专享价" in said
    assert result["period"] == "2026-W48" and (ws.home / "progress-wechat_group_a.png").is_file()
    assert all(len(s) <= 78 for s in said if "written to" not in s)


def test_the_threshold_event_follows_the_period(group):
    from datetime import UTC, datetime

    from sharekit.events import _thresholds

    add_channel(group.db, "mama", threshold=Money(2500, "CNY"))
    # week 48 spent 29.80 >= 25: reached, once in that week
    assert _thresholds(group.db, datetime(2026, 11, 26, tzinfo=UTC)) == 1
    assert _thresholds(group.db, datetime(2026, 11, 27, tzinfo=UTC)) == 0


def test_rename_keeps_the_period(group):
    from sharekit.tracking.channels import rename_channel
    from sharekit.tracking.groups import period_of

    rename_channel(group.db, "mama", "mama2")
    assert period_of(group.db, "mama2") == "week"


def test_m146_carries_periods_of_the_m145_table_onto_the_channel(tmp_path):
    import sqlite3

    from sharekit.store.migrations import MIGRATIONS

    db = sqlite3.connect(tmp_path / "x.db")
    db.execute("CREATE TABLE channels (name TEXT PRIMARY KEY, kind TEXT)")
    db.executemany("INSERT INTO channels VALUES (?, 'group')", [("a",), ("b",)])
    MIGRATIONS["m145_channel_period"](db)
    db.execute("INSERT INTO channel_periods VALUES ('a', 'month')")
    MIGRATIONS["m146_threshold_period_column"](db)
    assert db.execute("SELECT name, threshold_period FROM channels ORDER BY name").fetchall() == [
        ("a", "month"), ("b", None)]
    assert db.execute("SELECT count(*) FROM sqlite_master WHERE name = 'channel_periods'").fetchone()[0] == 0
