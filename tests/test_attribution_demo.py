"""The demo shows an order that came back without a channel, credited from the clicks before it
(inferred), the same way in the demo's own lines, `orders list`, `orders attribute` and `report`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sharekit import Workspace, init_home
from sharekit.demo import EXAMPLES
from sharekit.demo.attribution import ORDER_ID, demo_step


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    from typer.testing import CliRunner

    from sharekit.cli import app

    home = tmp_path_factory.mktemp("attribution-demo") / "home"
    result = CliRunner().invoke(app, ["--home", str(home), "demo", "--json"])
    assert result.exit_code == 0, result.output
    step = next(s for s in json.loads(result.stdout)["steps"] if s["step"] == "attribution")
    return home, step


def _cli(home: Path, *args: str) -> str:
    from typer.testing import CliRunner

    from sharekit.cli import app

    result = CliRunner().invoke(app, ["--home", str(home), *args], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    return result.stdout


def test_the_demo_credits_a_line_without_a_channel_to_the_one_channel_clicked(demo):
    home, step = demo
    assert step["done"]
    result = step["result"]
    assert result["inferred"] == result["channel"] and result["shown"] == f"{result['channel']} (inferred)"
    with Workspace.open(home) as ws:
        people = {row[0] for row in ws.db.execute(
            "SELECT DISTINCT channel FROM clicks WHERE is_bot = 0 AND product_id = ?", (result["product"],))}
    assert people == {result["channel"]}   # only that channel's links of the product were clicked by people
    line = next(o for o in json.loads(_cli(home, "orders", "list", "--json")) if o["order_id"] == ORDER_ID)
    assert (line["channel"], line["inferred_channel"], line["attribution"]) == ("", result["channel"], "inferred")
    assert f"{result['channel']} (inferred)" in _cli(home, "orders", "list", "--limit", "40")


def test_the_demo_reports_agree_across_views(demo):
    home, step = demo
    label = f"{step['result']['channel']} (inferred)"
    views = {v: json.loads(_cli(home, "report", "--by", "channel", "--attribution", v, "--json"))
             for v in ("supplier", "all")}
    rows = {v: {r["key"]: r for r in views[v]["rows"]} for v in views}
    assert rows["all"][label]["orders"] == 1 and label not in rows["supplier"]
    assert rows["supplier"]["(none)"]["orders"] == rows["all"]["(none)"]["orders"] + 1
    assert views["supplier"]["totals"] == views["all"]["totals"]
    again = json.loads(_cli(home, "orders", "attribute", "--json"))
    assert again["changed"] == 0   # the demo's credit is what a full recomputation gives


def test_the_step_is_skipped_without_clicks(tmp_path):
    init_home(tmp_path / "home")
    lines: list[str] = []
    with Workspace.open(tmp_path / "home") as ws:
        assert demo_step(ws, EXAMPLES, lines.append)["done"] is False
    assert "skipped" in lines[0]
