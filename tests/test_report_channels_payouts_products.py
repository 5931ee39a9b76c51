"""`report channels`, `report payouts`, `report products`: figures against the hand-computed fixture."""

from __future__ import annotations

from decimal import Decimal

import pytest
from report_fixtures import line, load

from sharekit.core.money import Money
from sharekit.errors import ConfigError, InputError, SharekitError
from sharekit.orders.store import upsert_order_lines
from sharekit.reports import channels_report, payouts, payouts_csv, products_report
from sharekit.store.config import set_value
from sharekit.tracking.channels import add_channel


def cny(minor: int) -> Money:
    return Money(minor, "CNY")


def test_channels_report_spent_saved_and_threshold_progress(ws):
    load(ws)
    report = channels_report(ws)
    rows = {r.channel: r for r in report.rows}
    assert list(rows) == ["friend_lili", "wechat_group_a", "moments", "(none)"]
    lili, group, moments, none = rows["friend_lili"], rows["wechat_group_a"], rows["moments"], rows["(none)"]
    assert (lili.orders, lili.spent, lili.saved) == (2, cny(28000), cny(3000))   # A3 saved 30.00, A4 list unknown
    # orders count every line placed, as `report --by channel` does; A1 invalid: counted, not spent
    assert (group.orders, group.invalid, group.spent, group.saved) == (2, 1, cny(5000), cny(1500))
    assert (group.threshold, group.remaining, group.progress, group.reached) == (
        cny(30000), cny(25000), Decimal("0.1667"), False)
    assert (moments.orders, moments.invalid, moments.spent, moments.saved) == (1, 1, cny(0), None)  # A5 invalid
    assert (none.orders, none.spent, none.kind, none.saved) == (2, cny(7000), None, None)  # no list price: unknown
    assert (group.clicks, lili.clicks, moments.clicks) == (30, 45, 25)
    assert report.unmatched == {"stray_x": 1}


def test_channel_that_spent_past_its_threshold_is_reached(ws):
    load(ws)
    add_channel(ws.db, "friend_lili", threshold=cny(20000))
    lili = {r.channel: r for r in channels_report(ws).rows}["friend_lili"]
    assert (lili.remaining, lili.progress, lili.reached) == (cny(0), Decimal("1.4000"), True)


def test_channels_report_in_another_currency_leaves_cny_thresholds_unmeasured(ws):
    load(ws)
    rows = {r.channel: r for r in channels_report(ws, currency="USD").rows}
    assert rows["wechat_group_a"].spent == Money(1500, "USD")
    assert rows["wechat_group_a"].progress is None and rows["wechat_group_a"].threshold == cny(30000)


def test_payouts_take_the_friends_share_of_commission_settled_in_the_month(ws):
    load(ws)
    result = payouts(ws, "2026-11")
    assert [(p.channel, p.orders, p.settled, p.share, p.payout) for p in result.rows] == [
        ("friend_lili", 1, cny(800), Decimal("0.3"), cny(240)),   # A4 settled 11-25; A3 only confirmed
    ]
    assert payouts(ws, "2026-10").rows[0].settled == cny(0)
    assert payouts_csv(result).splitlines() == [
        "month,channel,kind,note,currency,orders,settled,share,payout,line,via",
        "2026-11,friend_lili,settled,Lili,CNY,1,8.00,0.3,2.40,own,",
    ]


def test_payout_month_follows_local_time_and_rounds_half_up(ws):
    load(ws)
    add_channel(ws.db, "friend_lili", share=Decimal("0.3333"))
    upsert_order_lines(ws.db, "jd", [
        # settled 00:30 on 12-01 Beijing time = 16:30 UTC on 11-30: December's payout, not November's
        line("B1", "settled", "100.00", "10.00", "2026-11-02T10:00:00", product="p2", channel="friend_lili",
             settled="2026-12-01T00:30:00", updated="2026-12-01T00:30:00"),
        line("B2", "settled", "100.00", "10.00", "2026-11-02T10:00:00", product="p2", channel="friend_lili",
             settled="2026-11-30T23:30:00", updated="2026-11-30T23:30:00"),
    ])
    nov = payouts(ws, "2026-11").rows[0]
    assert (nov.orders, nov.settled, nov.payout) == (2, cny(1800), cny(600))  # 1800 * 0.3333 = 599.94 -> 600
    dec = payouts(ws, "2026-12").rows[0]
    assert (dec.orders, dec.settled, dec.payout) == (1, cny(1000), cny(333))


def test_payouts_refuse_a_malformed_month(ws):
    with pytest.raises(InputError):
        payouts(ws, "2026/11")


def test_products_report_flags_products_above_the_invalid_rate(ws):
    load(ws)
    rows = {r.product: r for r in products_report(ws).rows}
    assert [(p, r.orders, r.invalid, r.invalid_rate, r.flagged) for p, r in rows.items()] == [
        ("jd:p3", 1, 1, Decimal("1.0000"), True),
        ("jd:p1", 2, 1, Decimal("0.5000"), True),
        ("jd:p2", 2, 0, Decimal("0.0000"), False),
        ("pdd:p9", 2, 0, Decimal("0.0000"), False),
        ("jd:u1", 1, 0, Decimal("0.0000"), False),
    ]
    assert rows["jd:p1"].title == "Title p1"


def test_products_report_threshold_comes_from_config(ws):
    load(ws)
    ws.config = set_value(ws.config, "reports.max_invalid_rate", 0.5)
    flagged = [r.product for r in products_report(ws).rows if r.flagged]
    assert flagged == ["jd:p3"]  # 0.5 is not above 0.5
    with pytest.raises(SharekitError, match="max_invalid_rate` must be a number from 0 to 1"):
        set_value(ws.config, "reports.max_invalid_rate", 7)  # the schema refuses it before it is stored
    (ws.home / "config.toml").write_text("[reports]\nmax_invalid_rate = 7\n")
    with pytest.raises(ConfigError, match="line 2: `reports.max_invalid_rate`"):
        ws.reload_config()
