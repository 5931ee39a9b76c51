"""Hand-computed fixture for the report tests (Asia/Shanghai unless a test changes it).

CNY order lines (amount / commission in yuan; local times +08:00):

  A1 jd:p1  wechat_group_a  pending->invalid  100.00 / 10.00 (zeroed when invalid)  2026-10-31 23:30  list 120.00
  A2 jd:p1  wechat_group_a  settled            50.00 /  5.00                          2026-11-01 00:10  list  65.00
  A3 jd:p2  friend_lili     confirmed         200.00 / 30.00                          2026-11-15 12:00  list 230.00
  A4 jd:p2  friend_lili     settled            80.00 /  8.00  settled 2026-11-25      2026-11-20 09:00
  A5 jd:p3  moments         invalid            60.00 /  6.00                          2026-11-03 08:00
  A6 pdd:p9 stray_x         pending            30.00 /  3.00  (sub-id of no channel)  2026-11-10 20:00
  A7 pdd:p9 (no channel)    settled            40.00 /  4.00  settled 2026-11-02      2026-10-05 10:00

USD: U1 jd:u1 wechat_group_a pending 15.00 / 1.50, 2026-11-11 10:00.

People's clicks from click_daily (bots counted apart): L1 (jd:p1, wechat_group_a) 10 on 10-31 and 20 on
11-01; L2 (jd:p2, friend_lili) 45 on 11-15; L3 (jd:p3, moments) 25 on 11-03; L5 (jd:u1, a USD
product) 7 on 11-11; L4 (pdd:p9, no channel) none.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from sharekit.core.money import Money
from sharekit.orders.store import upsert_order_lines
from sharekit.sources.base import OrderLine
from sharekit.tracking.channels import add_channel

SH = ZoneInfo("Asia/Shanghai")


def t(text: str, tz: ZoneInfo = SH) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=tz)


def line(row_id: str, status: str, amount: str, commission: str, ordered: str, *, product: str, channel: str = "",
         currency: str = "CNY", list_amount: str | None = None, updated: str | None = None,
         settled: str | None = None, tz: ZoneInfo = SH) -> OrderLine:
    return OrderLine(
        row_id=row_id, order_id=row_id, status=status, raw_status=status,
        amount=Money.from_decimal(amount, currency), commission=Money.from_decimal(commission, currency),
        ordered_at=t(ordered, tz), updated_at=t(updated or ordered, tz), product_native_id=product,
        channel=channel, list_amount=Money.from_decimal(list_amount, currency) if list_amount else None,
        settled_at=t(settled, tz) if settled else None,
    )


def add_products_and_links(conn) -> None:
    now = "2026-10-01T00:00:00+00:00"
    for pid, cur in (("jd:p1", "CNY"), ("jd:p2", "CNY"), ("jd:p3", "CNY"), ("pdd:p9", "CNY"), ("jd:u1", "USD")):
        source, native = pid.split(":")
        conn.execute(
            "INSERT INTO products (id, source, native_id, title, currency, first_seen_at, updated_at, seen_at)"
            " VALUES (?,?,?,?,?,?,?,?)", (pid, source, native, f"Title {native}", cur, now, now, now))
    for code, pid, channel in (("L1", "jd:p1", "wechat_group_a"), ("L2", "jd:p2", "friend_lili"),
                               ("L3", "jd:p3", "moments"), ("L4", "pdd:p9", ""), ("L5", "jd:u1", "wechat_group_a")):
        conn.execute("INSERT INTO links (code, product_id, channel, target_url, created_at) VALUES (?,?,?,?,?)",
                     (code, pid, channel, "https://example.com/", now))
    for code, day, clicks, bots in (("L1", "2026-10-31", 10, 2), ("L1", "2026-11-01", 20, 0),
                                    ("L2", "2026-11-15", 45, 5), ("L3", "2026-11-03", 25, 0),
                                    ("L5", "2026-11-11", 7, 0)):
        conn.execute("INSERT INTO click_daily (code, day, clicks, bots) VALUES (?,?,?,?)", (code, day, clicks, bots))


def add_channels(conn) -> None:
    add_channel(conn, "wechat_group_a", kind="group", threshold=Money(30000, "CNY"))
    add_channel(conn, "friend_lili", kind="friend", share=Decimal("0.3"), note="Lili")
    add_channel(conn, "moments", kind="moments")


def a1_pending() -> OrderLine:
    return line("A1", "pending", "100.00", "10.00", "2026-10-31T23:30:00", product="p1", channel="wechat_group_a",
                list_amount="120.00", updated="2026-10-31T23:31:00")


def a1_invalid() -> OrderLine:
    return line("A1", "invalid", "100.00", "0.00", "2026-10-31T23:30:00", product="p1", channel="wechat_group_a",
                list_amount="120.00", updated="2026-11-05T10:00:00")


def load(ws, *, a1_final: bool = True) -> None:
    conn = ws.db
    add_products_and_links(conn)
    add_channels(conn)
    upsert_order_lines(conn, "jd", [
        a1_pending(),
        line("A2", "settled", "50.00", "5.00", "2026-11-01T00:10:00", product="p1", channel="wechat_group_a",
             list_amount="65.00", settled="2026-11-02T10:00:00"),
        line("A3", "confirmed", "200.00", "30.00", "2026-11-15T12:00:00", product="p2", channel="friend_lili",
             list_amount="230.00"),
        line("A4", "settled", "80.00", "8.00", "2026-11-20T09:00:00", product="p2", channel="friend_lili",
             settled="2026-11-25T10:00:00", updated="2026-11-25T10:00:00"),
        line("A5", "invalid", "60.00", "6.00", "2026-11-03T08:00:00", product="p3", channel="moments"),
        line("U1", "pending", "15.00", "1.50", "2026-11-11T10:00:00", product="u1", channel="wechat_group_a",
             currency="USD"),
    ])
    upsert_order_lines(conn, "pdd", [
        line("A6", "pending", "30.00", "3.00", "2026-11-10T20:00:00", product="p9", channel="stray_x"),
        line("A7", "settled", "40.00", "4.00", "2026-10-05T10:00:00", product="p9", channel="",
             settled="2026-11-02T09:00:00", updated="2026-11-02T09:00:00"),
    ])
    if a1_final:
        upsert_order_lines(conn, "jd", [a1_invalid()])
