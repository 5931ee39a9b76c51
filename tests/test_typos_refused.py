"""Typos are refused with the way out: a one-line message naming the closest valid choice."""

from __future__ import annotations

import json

from report_fixtures import line

from sharekit.orders.store import upsert_order_lines
from sharekit.tracking.channels import add_channel

NOW = "2026-11-20T02:00:00+00:00"


def _product(ws, pid="jd:100012043978", title="象印 保温杯"):
    with ws.db:
        ws.db.execute(
            "INSERT INTO products (id, source, native_id, title, currency, price_minor, url, first_seen_at,"
            " updated_at, seen_at) VALUES (?,?,?,?, 'CNY', 12990, 'https://item.example.com/1', ?, ?, ?)",
            (pid, pid.split(":")[0], pid.split(":")[1], title, NOW, NOW, NOW))


def test_link_create_with_an_unknown_channel_names_the_closest(cli, ws):
    _product(ws)
    add_channel(ws.db, "mama_group", kind="group")
    add_channel(ws.db, "moments", kind="moments")
    result = cli(["link", "create", "jd:100012043978", "--channel", "mama_gruop"])
    assert result.exit_code == 2
    error = result.stderr.strip()
    assert "\n" not in error and "did you mean mama_group?" in error
    assert "channels: mama_group, moments" in error and "--create-channel" in error
    assert ws.db.execute("SELECT count(*) FROM links").fetchone()[0] == 0  # no litter
    made = cli(["link", "create", "jd:100012043978", "--channel", "new_group", "--create-channel"])
    assert made.exit_code == 0, made.output
    assert "new_group" in {r[0] for r in ws.db.execute("SELECT name FROM channels")}


def test_channel_remove_is_refused_while_used_unless_forced_and_history_stays(cli, ws):
    _product(ws)
    add_channel(ws.db, "mama_group", kind="group")
    assert cli(["link", "create", "jd:100012043978", "--channel", "mama_group"]).exit_code == 0
    upsert_order_lines(ws.db, "jd", [line("9001", "pending", "129.90", "12.99", "2026-11-10 10:00",
                                          product="100012043978", channel="mama_group")])
    typo = cli(["channel", "remove", "mama_gruop"])
    assert typo.exit_code == 2 and "did you mean mama_group?" in typo.stderr
    refused = cli(["channel", "remove", "mama_group"])
    assert refused.exit_code == 1 and "1 links" in refused.stderr and "--force" in refused.stderr
    forced = cli(["channel", "remove", "mama_group", "--force"])
    assert forced.exit_code == 0, forced.output
    rows = json.loads(cli(["orders", "list", "--json"]).stdout)
    assert rows[0]["channel"] == "mama_group" and rows[0]["product_title"] == "象印 保温杯"
    assert cli(["channel", "remove", "unused"]).exit_code == 2


def test_channel_rename_moves_links_orders_and_reports(cli, ws):
    _product(ws)
    add_channel(ws.db, "mama_gruop", kind="group")
    assert cli(["link", "create", "jd:100012043978", "--channel", "mama_gruop"]).exit_code == 0
    upsert_order_lines(ws.db, "jd", [line("9002", "settled", "100.00", "10.00", "2026-11-10 10:00",
                                          product="100012043978", channel="mama_gruop",
                                          settled="2026-11-12 10:00")])
    result = cli(["channel", "rename", "mama_gruop", "mama_group"])
    assert result.exit_code == 0, result.output
    assert {r[0] for r in ws.db.execute("SELECT channel FROM links")} == {"mama_group"}
    assert {r[0] for r in ws.db.execute("SELECT channel FROM orders")} == {"mama_group"}
    report = json.loads(cli(["report", "--by", "channel", "--since", "2026-01", "--json"]).stdout)
    assert "mama_group" in json.dumps(report, ensure_ascii=False) and "mama_gruop" not in json.dumps(report)
    assert cli(["channel", "rename", "nope", "x"]).exit_code == 2
    add_channel(ws.db, "other_one", kind="group")
    assert cli(["channel", "rename", "other_one", "mama_group"]).exit_code == 1  # taken


def test_poster_and_today_refuse_an_unknown_channel_and_leave_no_link(cli, ws):
    _product(ws)
    add_channel(ws.db, "mama_group", kind="group")
    for args in (["poster", "jd:100012043978", "--channel", "mama_gruop", "--template", "square"],
                 ["today", "--channel", "mama_gruop"]):
        result = cli(args)
        assert result.exit_code == 2, result.output
        error = result.stderr.strip()
        assert "\n" not in error and "did you mean mama_group?" in error, error
        assert ("--create-channel" in error) == (args[0] == "poster")
    assert ws.db.execute("SELECT count(*) FROM links").fetchone()[0] == 0   # no litter
    assert not list(ws.paths.posters.glob("*mama_gruop*"))
    made = cli(["poster", "jd:100012043978", "--channel", "new_group", "--create-channel", "--template", "square"])
    assert made.exit_code == 0, made.output
    assert "new_group" in {r[0] for r in ws.db.execute("SELECT name FROM channels")}


def test_a_listing_filter_naming_no_channel_anywhere_is_refused(cli, ws):
    _product(ws)
    add_channel(ws.db, "mama_group", kind="group")
    upsert_order_lines(ws.db, "jd", [line("1001", "pending", "10.00", "1.00", "2026-11-10 10:00",
                                          product="100012043978", channel="g1")])
    for args in (["orders", "list", "--channel", "mama_gruop"], ["link", "list", "--channel", "mama_gruop"]):
        result = cli(args)
        assert result.exit_code == 2, result.output
        assert "did you mean mama_group?" in result.stderr and "\n" not in result.stderr.strip()
    seen = cli(["orders", "list", "--channel", "g1"])   # a sub-id orders carry, not (yet) a channel
    assert seen.exit_code == 0 and "1001" in seen.stdout
    empty = cli(["orders", "list", "--channel", "mama_group"])
    assert empty.exit_code == 0 and "No order lines match." in empty.stdout
