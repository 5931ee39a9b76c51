"""Self-purchase (issue 17, part 1): a channel of kind self is savings, not income."""

from __future__ import annotations

import csv
import io
import json

from report_fixtures import line, load

from sharekit.core.money import Money
from sharekit.orders.store import upsert_order_lines
from sharekit.reports import earnings_report, payouts, report_csv
from sharekit.tracking.channels import add_channel


def cny(minor: int) -> Money:
    return Money(minor, "CNY")


def _with_self_lines(ws, *, loaded: bool = False) -> None:
    """The report fixture plus three own purchases through channel `me` (kind self):

    S1 jd:p2 settled 100.00 / 12.00, 2026-11-16; S2 jd:p1 pending 50.00 / 5.00, 2026-11-16;
    S3 jd:p1 invalid 20.00 / 2.00, 2026-10-20 (a refunded own purchase saved nothing).
    """
    if not loaded:
        load(ws)
    add_channel(ws.db, "me", kind="self")
    upsert_order_lines(ws.db, "jd", [
        line("S1", "settled", "100.00", "12.00", "2026-11-16T10:00:00", product="p2", channel="me",
             settled="2026-11-20T10:00:00", updated="2026-11-20T10:00:00"),
        line("S2", "pending", "50.00", "5.00", "2026-11-16T11:00:00", product="p1", channel="me"),
        line("S3", "invalid", "20.00", "2.00", "2026-10-20T11:00:00", product="p1", channel="me"),
    ])


def _money_of(report) -> dict[str, tuple[int, ...]]:
    return {r.key: (r.orders, r.gmv.minor, r.estimated.minor, r.settled.minor, r.lost.minor, r.self_saved.minor)
            for r in report.rows}


def test_own_purchases_are_savings_in_every_grouping(ws):
    load(ws)
    before = {by: _money_of(earnings_report(ws, by=by)) for by in ("month", "channel", "product", "source", "day")}
    _with_self_lines(ws, loaded=True)
    by_month = _money_of(earnings_report(ws, by="month"))
    # orders and GMV count own purchases (they are orders placed); income does not
    assert by_month["2026-11"] == (before["month"]["2026-11"][0] + 2, before["month"]["2026-11"][1] + 15000,
                                   *before["month"]["2026-11"][2:5], 1700)
    assert by_month["2026-10"] == (before["month"]["2026-10"][0] + 1, before["month"]["2026-10"][1] + 2000,
                                   *before["month"]["2026-10"][2:5], 0)
    by_channel = _money_of(earnings_report(ws, by="channel"))
    assert by_channel["me"] == (3, 17000, 0, 0, 0, 1700)
    for key, row in before["channel"].items():
        assert by_channel[key] == row
    by_product = _money_of(earnings_report(ws, by="product"))
    assert by_product["jd:p2"] == (before["product"]["jd:p2"][0] + 1, before["product"]["jd:p2"][1] + 10000,
                                   *before["product"]["jd:p2"][2:5], 1200)
    by_source = _money_of(earnings_report(ws, by="source"))
    assert by_source["jd"][2:] == (*before["source"]["jd"][2:5], 1700)
    by_day = _money_of(earnings_report(ws, by="day"))
    assert by_day["2026-11-16"][5] == 1700 and by_day["2026-10-20"][2:] == (0, 0, 0, 0)
    totals = earnings_report(ws, by="month").totals
    assert totals.self_saved == cny(1700)
    # a span that cuts a day in two reads the edges from the orders: still apart
    part = earnings_report(ws, by="channel", since="2026-11-16T10:30:00", until="2026-11-17")
    assert _money_of(part)["me"] == (1, 5000, 0, 0, 0, 500)


def test_self_saved_is_in_json_csv_and_the_table(ws, cli, home):
    _with_self_lines(ws)
    data = json.loads(cli("report", "--by", "channel", "--json").stdout)
    me = next(r for r in data["rows"] if r["key"] == "me")
    assert me["self_saved"]["minor"] == 1700 and me["estimated"]["minor"] == 0
    assert data["totals"]["self_saved"]["minor"] == 1700
    rows = list(csv.DictReader(io.StringIO(report_csv(earnings_report(ws, by="channel")))))
    assert next(r for r in rows if r["channel"] == "me")["self_saved"] == "17.00"
    table = cli("report", "--by", "month").stdout
    assert "self saved" in table and "saved ¥17.00: not income" in table
    bars = cli("report", "--by", "channel").stdout.split("estimated + settled:")[1]
    assert "friend_lili" in bars and "me " not in bars   # no empty bar for own purchases


def test_a_channel_turned_self_moves_its_history_out_of_income(ws):
    load(ws)
    lili = {r.key: r for r in earnings_report(ws, by="channel").rows}["friend_lili"]
    assert lili.estimated == cny(3000) and lili.settled == cny(800)
    ws.db.execute("UPDATE channels SET kind = 'self', share_rate = NULL WHERE name = 'friend_lili'")
    lili = {r.key: r for r in earnings_report(ws, by="channel").rows}["friend_lili"]
    assert (lili.estimated, lili.settled, lili.self_saved) == (cny(0), cny(0), cny(3800))
    assert all(r.channel != "friend_lili" for r in payouts(ws, "2026-11").rows)  # never a payout
