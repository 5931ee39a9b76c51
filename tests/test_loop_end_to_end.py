"""The whole loop through the CLI on the bundled examples: pull, links, posters, orders, report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest


@pytest.fixture
def demo_home(cli, tmp_path: Path) -> Path:
    target = tmp_path / "demo-home"
    result = cli(["--home", str(target), "demo", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert [s["step"] for s in report["steps"] if s["done"]] == [
        "pull", "links and clicks", "posters", "orders", "sync", "report", "self-purchase",
        "two-level payout", "group progress", "attribution", "today"]
    two_level = next(s["result"] for s in report["steps"] if s["step"] == "two-level payout")
    # amy's November: ¥21.41 settled = amy 20% (4.28) + friend_lili's 5% override (1.07) + kept 16.06
    assert [two_level[k]["minor"] for k in ("settled", "own", "override", "kept")] == [2141, 428, 107, 1606]
    return target


def test_demo_runs_every_step_and_the_store_agrees_across_areas(cli, demo_home):
    products = json.loads(cli(["--home", str(demo_home), "products", "list", "--json"]).stdout)
    assert len(products) == 12 and all(p["price"]["currency"] == "CNY" for p in products)
    ids = {p["id"] for p in products}
    orders = json.loads(cli(["--home", str(demo_home), "orders", "list", "--source", "demo", "--json"]).stdout)
    own = [o for o in orders if o["channel"] == "me"]   # the self-purchase step's two own orders
    amy = [o for o in orders if o["channel"] == "amy"]  # the two-level step's three
    inferred = [o for o in orders if o["attribution"] == "inferred"]   # the attribution step's line
    assert len(orders) == 30 + len(own) + len(amy) + len(inferred) and (len(own), len(amy), len(inferred)) == (2, 3, 1)
    assert {o["product"] for o in orders} <= ids  # example orders name real demo products
    links = json.loads(cli(["--home", str(demo_home), "link", "list", "--json"]).stdout)
    assert {link["product"] for link in links} == ids
    assert all(link["short_url"].startswith("http://127.0.0.1:8080/") for link in links)
    posters = sorted((demo_home / "posters").glob("*.jpg"))
    assert len(posters) >= 12
    report = json.loads(cli(["--home", str(demo_home), "report", "--by", "channel", "--json"]).stdout)
    keys = {row["key"] for row in report["rows"]}
    assert {"wechat_group_a", "moments", "friend_lili"} <= keys
    assert report["totals"]["orders"] == sum(row["orders"] for row in report["rows"])
    assert report["totals"]["clicks"] > 0  # the demo's clicks reach the report through the counters
    me = next(row for row in report["rows"] if row["key"] == "me")   # own purchases: savings, not income
    assert (me["estimated"]["minor"], me["settled"]["minor"], me["self_saved"]["minor"]) == (0, 0, 774 + 1674)


def test_a_poster_qr_of_the_demo_decodes_to_its_short_link_marked_as_a_scan(cli, demo_home):
    zxingcpp = pytest.importorskip("zxingcpp")
    from PIL import Image

    links = json.loads(cli(["--home", str(demo_home), "link", "list", "--json"]).stdout)
    no_channel = {link["product"]: link["short_url"] for link in links if not link["channel"]}
    poster = demo_home / "posters" / "demo_SK1001-moments.jpg"
    with Image.open(poster) as image:
        decoded = [r.text for r in zxingcpp.read_barcodes(image)]
    assert decoded == [no_channel["demo:SK1001"] + "?s=q"]


def test_sharing_the_same_product_to_the_same_channel_again_soon_warns(cli, demo_home):
    import sqlite3

    first = cli(["--home", str(demo_home), "link", "create", "demo:SK1002", "--channel", "friend_lili"])
    assert first.exit_code == 0, first.output
    assert "Warning" not in first.stderr
    # the poster of a link made today is the same share: no warning
    same_day = cli(["--home", str(demo_home), "poster", "demo:SK1002", "--channel", "friend_lili"])
    assert same_day.exit_code == 0, same_day.output
    assert "Warning" not in same_day.stderr
    # two days later it is a repeat: one summary line naming the channel
    with sqlite3.connect(demo_home / "sharekit.db") as conn:
        conn.execute("UPDATE links SET created_at = strftime('%Y-%m-%dT%H:%M:%S+00:00', created_at, '-2 days')"
                     " WHERE product_id = 'demo:SK1002' AND channel = 'friend_lili'")
        conn.execute("UPDATE share_log SET shared_at = strftime('%Y-%m-%dT%H:%M:%S+00:00', shared_at, '-2 days')"
                     " WHERE product_id = 'demo:SK1002' AND channel = 'friend_lili'")
    again = cli(["--home", str(demo_home), "poster", "demo:SK1002", "--channel", "friend_lili", "--force"])
    assert again.exit_code == 0, again.output
    assert "1 of 1 products were shared to friend_lili in the last 3 days" in again.stderr.replace("\n", " ")
    quiet = cli(["--home", str(demo_home), "poster", "demo:SK1002", "--channel", "friend_lili", "--quiet-repeats"])
    assert "Warning" not in quiet.stderr


def test_rerunning_the_demo_changes_nothing_already_stored(cli, demo_home):
    before = json.loads(cli(["--home", str(demo_home), "report", "--by", "month", "--json"]).stdout)
    rerun = cli(["--home", str(demo_home), "demo", "--json"])
    assert rerun.exit_code == 0, rerun.output
    after = json.loads(cli(["--home", str(demo_home), "report", "--by", "month", "--json"]).stdout)
    assert after["totals"]["orders"] == before["totals"]["orders"]
    assert after["totals"]["gmv"] == before["totals"]["gmv"]
    assert after["totals"]["clicks"] == before["totals"]["clicks"]  # synthetic visits are not replayed twice
