"""Earnings report: every figure against the hand-computed fixture in report_fixtures.py."""

from __future__ import annotations

from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from factories import add_product as store_product
from report_fixtures import a1_invalid, line, load, t

from sharekit.core.money import Money
from sharekit.errors import InputError
from sharekit.orders.store import upsert_order_lines
from sharekit.reports import earnings_report


def cny(minor: int) -> Money:
    return Money(minor, "CNY")


def figures(row) -> tuple:
    return (row.key, row.clicks, row.orders, row.gmv.minor, row.estimated.minor, row.settled.minor, row.lost.minor)


def test_by_month_rows_and_totals_match_hand_computed_figures(ws):
    load(ws)
    report = earnings_report(ws, by="month")
    assert report.currency == "CNY"
    assert [figures(r) for r in report.rows] == [
        ("2026-10", 10, 2, 14000, 0, 400, 1000),
        ("2026-11", 90, 5, 42000, 3300, 1300, 600),
    ]
    assert figures(report.totals) == ("total", 100, 7, 56000, 3300, 1700, 1600)
    oct_, nov = report.rows
    assert (oct_.conversion, oct_.epc) == (Decimal("0.2000"), Decimal("0.4000"))
    assert (nov.conversion, nov.epc) == (Decimal("0.0556"), Decimal("0.5111"))
    assert (report.totals.conversion, report.totals.epc) == (Decimal("0.0700"), Decimal("0.5000"))
    assert report.other_currencies == {"USD": 1}


def test_status_change_moves_money_to_lost_within_the_ordering_month(ws):
    load(ws, a1_final=False)
    before = {r.key: r for r in earnings_report(ws, by="month").rows}
    assert (before["2026-10"].estimated, before["2026-10"].lost) == (cny(1000), cny(0))
    upsert_order_lines(ws.db, "jd", [a1_invalid()])  # invalid in November, commission zeroed by the supplier
    after = {r.key: r for r in earnings_report(ws, by="month").rows}
    assert (after["2026-10"].orders, after["2026-10"].estimated, after["2026-10"].lost) == (2, cny(0), cny(1000))
    assert figures(after["2026-11"]) == figures(before["2026-11"])  # nothing moved between rows


def test_order_at_2330_beijing_on_last_day_of_month_lands_in_that_day_and_month(ws):
    load(ws)
    days = earnings_report(ws, by="day", since="2026-10-31", until="2026-11-01")
    assert [figures(r) for r in days.rows] == [
        ("2026-10-31", 10, 1, 10000, 0, 0, 1000),   # A1 at 23:30 (15:30 UTC)
        ("2026-11-01", 20, 1, 5000, 0, 500, 0),     # A2 at 00:10 (16:10 UTC on 10-31)
    ]
    assert days.since == "2026-10-31T00:00:00+08:00" and days.until == "2026-11-02T00:00:00+08:00"


def test_until_month_is_included_whole_and_since_month_starts_at_local_midnight(ws):
    load(ws)
    report = earnings_report(ws, by="month", since="2026-11", until="2026-11")
    assert [r.key for r in report.rows] == ["2026-11"]
    assert figures(report.totals) == ("total", 90, 5, 42000, 3300, 1300, 600)


def test_days_without_orders_or_clicks_are_listed_empty_in_a_bounded_range(ws):
    load(ws)
    report = earnings_report(ws, by="day", since="2026-11-01", until="2026-11-04")
    assert [r.key for r in report.rows] == ["2026-11-01", "2026-11-02", "2026-11-03", "2026-11-04"]
    assert figures(report.rows[1]) == ("2026-11-02", 0, 0, 0, 0, 0, 0)
    assert figures(report.rows[2]) == ("2026-11-03", 25, 1, 6000, 0, 0, 600)
    assert report.rows[1].conversion is None and report.rows[1].epc is None


def test_by_week_uses_iso_weeks_in_local_time(ws):
    load(ws)
    rows = {r.key: r for r in earnings_report(ws, by="week", since="2026-10-26", until="2026-11-08").rows}
    assert list(rows) == ["2026-W44", "2026-W45"]
    assert figures(rows["2026-W44"]) == ("2026-W44", 30, 2, 15000, 0, 500, 1000)  # A1 Sat 10-31, A2 Sun 11-01
    assert figures(rows["2026-W45"]) == ("2026-W45", 25, 1, 6000, 0, 0, 600)      # A5 11-03


def test_by_channel_keeps_unmatched_sub_ids_under_none_and_lists_them(ws):
    load(ws)
    report = earnings_report(ws, by="channel")
    assert [figures(r) for r in report.rows] == [
        ("friend_lili", 45, 2, 28000, 3000, 800, 0),
        ("wechat_group_a", 30, 2, 15000, 0, 500, 1000),
        ("moments", 25, 1, 6000, 0, 0, 600),
        ("(none)", 0, 2, 7000, 300, 400, 0),
    ]
    assert report.unmatched == {"stray_x": 1}
    assert figures(report.totals) == ("total", 100, 7, 56000, 3300, 1700, 1600)


def test_by_product_and_by_source(ws):
    load(ws)
    products = {r.key: figures(r)[1:] for r in earnings_report(ws, by="product").rows}
    assert products == {
        "jd:p1": (30, 2, 15000, 0, 500, 1000),
        "jd:p2": (45, 2, 28000, 3000, 800, 0),
        "jd:p3": (25, 1, 6000, 0, 0, 600),
        "pdd:p9": (0, 2, 7000, 300, 400, 0),
    }
    sources = {r.key: figures(r)[1:] for r in earnings_report(ws, by="source").rows}
    assert sources == {"jd": (100, 5, 49000, 3000, 1300, 1600), "pdd": (0, 2, 7000, 300, 400, 0)}


def test_other_currency_is_reported_alone_never_summed(ws):
    load(ws)
    usd = earnings_report(ws, by="month", currency="usd")
    assert usd.currency == "USD"
    assert [figures(r) for r in usd.rows] == [("2026-11", 7, 1, 1500, 150, 0, 0)]
    assert usd.totals.gmv == Money(1500, "USD")
    assert usd.other_currencies == {"CNY": 7}
    cny_report = earnings_report(ws, by="channel")
    assert all(r.gmv.currency == "CNY" for r in cny_report.rows)
    assert {r.key: r.clicks for r in cny_report.rows}["wechat_group_a"] == 30  # L5 clicks (a USD product) left out


def test_daylight_saving_zone_maps_orders_to_local_days(ws):
    ny = ZoneInfo("America/New_York")
    store_product(ws, "jd:x", title="x", price=None, currency="USD")
    upsert_order_lines(ws.db, "jd", [
        # 2026-03-09 04:30 UTC is 00:30 EDT on 03-09 (it would be 23:30 on 03-08 at the winter offset)
        line("N1", "pending", "10.00", "1.00", "2026-03-09T00:30:00", product="x", currency="USD", tz=ny),
        line("N2", "pending", "20.00", "2.00", "2026-03-08T23:59:00", product="x", currency="USD", tz=ny),
    ])
    assert t("2026-03-09T00:30:00", ny).utcoffset().total_seconds() == -4 * 3600
    from sharekit.store.config import set_value

    ws.config = set_value(ws.config, "timezone", "America/New_York")
    report = earnings_report(ws, by="day", currency="USD", since="2026-03-08", until="2026-03-09")
    assert [(r.key, r.orders, r.gmv.minor) for r in report.rows] == [("2026-03-08", 1, 2000), ("2026-03-09", 1, 1000)]


def test_half_hour_zone_maps_orders_to_local_days(ws):
    kolkata = ZoneInfo("Asia/Kolkata")
    store_product(ws, "jd:x", title="x", price=None, currency="INR")
    upsert_order_lines(ws.db, "jd", [
        line("K1", "pending", "10.00", "1.00", "2026-11-27T00:15:00", product="x", currency="INR", tz=kolkata),
        line("K2", "pending", "20.00", "2.00", "2026-11-26T23:45:00", product="x", currency="INR", tz=kolkata),
    ])
    from sharekit.store.config import set_value

    ws.config = set_value(ws.config, "timezone", "Asia/Kolkata")
    report = earnings_report(ws, by="day", currency="INR")
    assert [(r.key, r.gmv.minor) for r in report.rows] == [("2026-11-26", 2000), ("2026-11-27", 1000)]


def test_unknown_status_counts_as_an_order_but_its_commission_stays_apart(ws):
    store_product(ws, "jd:x", title="x", price=None, currency="CNY")
    upsert_order_lines(ws.db, "jd", [line("Q1", "unknown", "10.00", "1.00", "2026-11-05T10:00:00", product="x")])
    report = earnings_report(ws, by="month")
    row = report.rows[0]
    assert (row.orders, row.gmv, row.estimated, row.settled, row.lost, row.unknown) == (
        1, cny(1000), cny(0), cny(0), cny(0), cny(100))


def test_empty_store_gives_an_empty_report_with_zero_totals(ws):
    report = earnings_report(ws, by="day")
    assert report.rows == [] and report.totals.orders == 0 and report.totals.gmv == cny(0)


def test_bad_inputs_are_refused(ws):
    with pytest.raises(InputError):
        earnings_report(ws, by="hour")
    with pytest.raises(InputError):
        earnings_report(ws, since="2026-11-05", until="2026-11-01")
    with pytest.raises(InputError):
        earnings_report(ws, since="2026-13")
    with pytest.raises(InputError):
        earnings_report(ws, currency="yuan")
