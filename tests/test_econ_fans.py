"""Fans (issue 17 part 4): per channel visitors, returning visitors (seen on an earlier day) and
buyers where the order names one (JD/PDD/Taobao never do: those lines are not counted)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sharekit.tracking.channels import add_channel
from sharekit.tracking.counting import returning_visitors
from sharekit.tracking.links import ensure_link
from sharekit.tracking.server.classify import Classifier
from sharekit.tracking.server.recorder import ClickWriter

NOW = "2026-11-20T00:00:00+00:00"
PHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148 Safari/604.1"
HEADER = "order_id,product,channel,status,amount,commission,currency,ordered_at,updated_at,buyer\n"


def add_product(ws, pid: str) -> None:
    with ws.db:
        ws.db.execute(
            "INSERT INTO products (id, source, native_id, title, currency, url, first_seen_at, updated_at, seen_at)"
            " VALUES (?, 'jd', ?, ?, 'CNY', ?, ?, ?, ?)",
            (pid, pid.split(":")[1], f"product {pid}", f"https://shop.example.com/{pid}", NOW, NOW, NOW))


def record(ws, spec: list[tuple[str, str, int]]) -> None:
    """People's clicks (code, ip, day of November 2026 at 11:00 Beijing time) through the recorder."""
    cl = Classifier(b"salt", "Asia/Shanghai")
    writer = ClickWriter(ws.paths.db)
    try:
        writer.write([cl.click(code=code, channel="", product_id=None, ip=ip, user_agent=PHONE, referer=None,
                               method="GET", via_qr=False, now=datetime(2026, 11, day, 3, 0, tzinfo=UTC))
                      for code, ip, day in spec])
    finally:
        writer.close()


def world(ws) -> None:
    for pid in ("jd:1", "jd:2"):
        add_product(ws, pid)
    add_channel(ws.db, "mama_group", kind="group")
    add_channel(ws.db, "moments", kind="moments")
    a1 = ensure_link(ws, "jd:1", "mama_group").code
    a2 = ensure_link(ws, "jd:2", "mama_group").code
    b = ensure_link(ws, "jd:1", "moments").code
    record(ws, [
        (a1, "1.0.0.1", 10), (a2, "1.0.0.1", 12),   # back on another day, through another link: returning
        (a1, "1.0.0.2", 10), (a1, "1.0.0.2", 10),   # twice on one day: not returning
        (a1, "1.0.0.3", 12),                        # once
        (b, "1.0.0.1", 14),                         # new to moments (seen before only in mama_group)
        (b, "1.0.0.4", 11), (b, "1.0.0.4", 14),     # returning to moments
    ])


def test_returning_visitors_are_those_seen_in_the_grouping_on_an_earlier_day(ws):
    world(ws)
    assert returning_visitors(ws.db, "channel") == {"mama_group": 1, "moments": 1}
    assert returning_visitors(ws.db, "all") == {"": 2}
    assert returning_visitors(ws.db, "day") == {"2026-11-12": 1, "2026-11-14": 2}
    # a span counts its visitors who had come on an earlier day, even before the span
    assert returning_visitors(ws.db, "channel", "2026-11-12", "2026-11-30") == {"mama_group": 1, "moments": 1}
    assert returning_visitors(ws.db, "channel", "2026-11-10", "2026-11-11") == {}


def test_clicks_by_channel_and_report_channels_show_visitors_and_returning(cli, ws, monkeypatch):
    from sharekit.commands import _common

    world(ws)
    clicks = json.loads(cli(["clicks", "--by", "channel", "--json"]).stdout)
    assert {r["key"]: (r["visitors"], r["returning"]) for r in clicks["rows"]} == {
        "mama_group": (3, 1), "moments": (2, 1)}
    assert (clicks["total"]["visitors"], clicks["total"]["returning"]) == (4, 2)
    by_link = json.loads(cli(["clicks", "--by", "link", "--json"]).stdout)
    assert all("returning" not in r for r in by_link["rows"])
    report = json.loads(cli(["report", "channels", "--json"]).stdout)
    assert {r["channel"]: (r["visitors"], r["returning"]) for r in report["rows"]} == {
        "mama_group": (3, 1), "moments": (2, 1)}
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.setattr(_common, "_out", None)
    table = cli(["clicks", "--by", "channel"]).stdout
    assert "visitors / returning" in table and "3 / 1" in table
    assert max(len(x) for x in table.splitlines()) <= 80


def test_buyers_are_counted_only_where_the_order_names_one(cli, ws, tmp_path):
    world(ws)
    rows = [
        "O1,jd:1,mama_group,paid,10.00,1.00,CNY,2026-11-10 10:00,,王姐",
        "O2,jd:2,mama_group,paid,10.00,1.00,CNY,2026-11-12 10:00,,王姐",   # a repeat buyer
        "O3,jd:1,mama_group,paid,10.00,1.00,CNY,2026-11-12 10:00,,小李",
        "O4,jd:1,mama_group,paid,10.00,1.00,CNY,2026-11-12 10:00,,",        # no hint: not guessed
        "O5,jd:1,moments,paid,10.00,1.00,CNY,2026-11-14 10:00,,",
    ]
    path = tmp_path / "orders.csv"
    path.write_text(HEADER + "\n".join(rows) + "\n", encoding="utf-8")
    assert cli(["orders", "import", str(path), "--format", "csv"]).exit_code == 0
    stored = [r[0] for r in ws.db.execute("SELECT extra FROM orders WHERE extra <> '{}'")]
    assert stored and all("王姐" not in e and "小李" not in e for e in stored)   # kept as a hash only
    report = json.loads(cli(["report", "channels", "--json"]).stdout)
    rows_by = {r["channel"]: r for r in report["rows"]}
    mama, moments = rows_by["mama_group"], rows_by["moments"]
    assert (mama["buyers"], mama["repeat_buyers"], mama["buyer_orders"], mama["orders"]) == (2, 1, 3, 4)
    assert (moments["buyers"], moments["repeat_buyers"], moments["buyer_orders"]) == (None, None, 0)
    assert "JD, PDD and Taobao" in report["buyers_method"]
    since = json.loads(cli(["report", "channels", "--since", "2026-11-12", "--json"]).stdout)
    mama = next(r for r in since["rows"] if r["channel"] == "mama_group")
    assert (mama["buyers"], mama["repeat_buyers"]) == (2, 0)
