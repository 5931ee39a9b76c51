"""The `sharekit report` command: a command with options and a group with subcommands."""

from __future__ import annotations

import csv
import io
import json

import pytest
from report_fixtures import load


@pytest.fixture
def loaded(ws):
    load(ws)
    return ws


def test_report_json_by_day_has_the_design_shape(cli, loaded):
    result = cli(["report", "--json", "--by", "day", "--since", "2026-10-31", "--until", "2026-11-01"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["by"] == "day" and data["currency"] == "CNY"
    assert [r["key"] for r in data["rows"]] == ["2026-10-31", "2026-11-01"]
    first = data["rows"][0]
    assert {"key", "clicks", "orders", "gmv", "estimated", "settled", "lost"} <= set(first)
    assert first["gmv"] == {"minor": 10000, "currency": "CNY"}
    assert first["lost"] == {"minor": 1000, "currency": "CNY"}
    assert first["conversion"] == "0.1000" and first["epc"] == "0.0000"
    assert data["totals"]["orders"] == 2 and data["totals"]["key"] == "total"


def test_format_json_equals_json_flag(cli, loaded):
    a = cli(["report", "--by", "channel", "--json"])
    b = cli(["report", "--by", "channel", "--format", "json"])
    assert a.exit_code == 0 and a.stdout == b.stdout
    assert json.loads(a.stdout)["unmatched"] == [{"channel": "stray_x", "orders": 1}]


def test_report_table_ends_with_a_terminal_bar_chart_and_lists_unmatched(cli, loaded):
    result = cli(["report", "--by", "channel"])
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "friend_lili" in out and "(none)" in out and "560.00" in out
    bars = [line for line in out.splitlines() if "█" in line]
    assert bars and bars[0].startswith("friend_lili") and bars[0].rstrip().endswith("¥38.00")
    assert "stray_x (1)" in out
    assert "1 in USD" in out


def test_report_csv_has_major_units_and_a_totals_row(cli, loaded):
    result = cli(["report", "--by", "month", "--format", "csv"])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [r["month"] for r in rows] == ["2026-10", "2026-11", "total"]
    assert rows[1]["gmv"] == "420.00" and rows[1]["estimated"] == "33.00" and rows[2]["lost"] == "16.00"


def test_report_chart_writes_a_png(cli, loaded, tmp_path):
    from PIL import Image

    target = tmp_path / "earnings.png"
    result = cli(["report", "--by", "day", "--since", "2026-10-25", "--until", "2026-11-30", "--chart", str(target)])
    assert result.exit_code == 0, result.output
    with Image.open(target) as image:
        assert image.format == "PNG" and image.size == (1200, 640)
        # the tallest bar (Nov 15: 30.00) is drawn in the bar colour somewhere in the plot
        assert (228, 57, 60) in {image.getpixel((x, 400)) for x in range(110, 1120)}
    assert "Chart written" in result.stdout


def test_report_chart_refuses_a_non_png_name(cli, loaded, tmp_path):
    result = cli(["report", "--chart", str(tmp_path / "x.jpg")])
    assert result.exit_code == 1 and ".png" in result.stderr


def test_report_subcommands_and_options_both_work(cli, loaded):
    assert cli(["report"]).exit_code == 0
    assert cli(["report", "--by", "day"]).exit_code == 0
    channels = cli(["report", "channels"])
    assert channels.exit_code == 0, channels.output
    assert "wechat_group_a" in channels.stdout and "16.67%" in channels.stdout
    products = cli(["report", "products"])
    assert products.exit_code == 0 and "FLAGGED" in products.stdout
    payouts = cli(["report", "payouts", "--month", "2026-11", "--format", "csv"])
    assert payouts.exit_code == 0
    assert payouts.stdout.splitlines()[1] == "2026-11,friend_lili,settled,Lili,CNY,1,8.00,0.3,2.40,own,"
    table = cli(["report", "payouts", "--month", "2026-11"])
    assert table.exit_code == 0 and "¥2.40" in table.stdout
    as_json = json.loads(cli(["report", "channels", "--json"]).stdout)
    assert as_json["rows"][0]["channel"] == "friend_lili"


def test_report_usage_errors_exit_2_and_bad_values_exit_1(cli, loaded):
    assert cli(["report", "--by", "hour"]).exit_code == 2
    assert cli(["report", "nonsense"]).exit_code == 2
    bad = cli(["report", "--since", "yesterday-ish"])
    assert bad.exit_code == 1 and "not a time" in bad.stderr
    assert cli(["report", "payouts", "--month", "11-2026"]).exit_code == 1


def test_every_report_and_channel_command_has_help_with_an_example(cli):
    for argv in (["report"], ["report", "channels"], ["report", "payouts"], ["report", "products"],
                 ["channel", "add"], ["channel", "list"]):
        result = cli([*argv, "--help"])
        assert result.exit_code == 0, result.output
        assert "Example: sharekit " in result.stdout


def test_demo_step_adds_channels_and_reports(ws):
    from pathlib import Path

    from sharekit.demo.reports import demo_step

    examples = Path(__file__).resolve().parent.parent / "examples"
    said: list[str] = []
    result = demo_step(ws, examples, said.append)
    assert result["done"] and Path(result["chart"]).is_file()
    names = {r[0]: r[1] for r in ws.db.execute("SELECT name, kind FROM channels")}
    assert names == {"wechat_group_a": "group", "moments": "moments", "friend_lili": "friend"}
    assert result["by_month"]["totals"]["orders"] > 0
    assert any("earnings by channel" in s for s in said)
