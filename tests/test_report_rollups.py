"""The report rollups (m091 triggers) stay equal to the raw orders and click counters."""

from __future__ import annotations

from report_fixtures import a1_invalid, line, load

from sharekit.orders.store import upsert_order_lines
from sharekit.reports import earnings_report, rebuild_rollups

RAW_HOURLY = ("SELECT currency, substr(ordered_at, 1, 13), status, count(*), sum(amount_minor), sum(commission_minor)"
              " FROM orders GROUP BY 1, 2, 3 ORDER BY 1, 2, 3")
ROLLUP_HOURLY = ("SELECT currency, hour, status, orders, amount_minor, commission_minor FROM report_hourly"
                 " WHERE orders <> 0 ORDER BY 1, 2, 3")
RAW_DAILY = ("SELECT currency, substr(ordered_at, 1, 10), channel, source, status, count(*), sum(amount_minor),"
             " sum(commission_minor) FROM orders GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5")
ROLLUP_DAILY = ("SELECT currency, day, channel, source, status, orders, amount_minor, commission_minor"
                " FROM report_daily WHERE orders <> 0 ORDER BY 1, 2, 3, 4, 5")
RAW_CLICKS = ("SELECT c.day, coalesce(l.channel, ''), sum(c.clicks), sum(c.bots) FROM click_daily c"
              " LEFT JOIN links l ON l.code = c.code GROUP BY 1, 2 ORDER BY 1, 2")
ROLLUP_CLICKS = ("SELECT day, channel, sum(clicks), sum(bots) FROM report_clicks GROUP BY 1, 2"
                 " HAVING sum(clicks) <> 0 ORDER BY 1, 2")


def rows(conn, sql):
    return [tuple(r) for r in conn.execute(sql)]


def assert_rollups_match(conn):
    assert rows(conn, ROLLUP_HOURLY) == rows(conn, RAW_HOURLY)
    assert rows(conn, ROLLUP_DAILY) == rows(conn, RAW_DAILY)
    assert rows(conn, ROLLUP_CLICKS) == rows(conn, RAW_CLICKS)


def test_rollups_follow_inserts_status_changes_counter_upserts_and_deletes(ws):
    conn = ws.db
    load(ws, a1_final=False)
    assert_rollups_match(conn)
    upsert_order_lines(conn, "jd", [a1_invalid()])
    upsert_order_lines(conn, "jd", [  # moved to another channel and hour by a later supplier update
        line("A3", "settled", "200.00", "31.00", "2026-11-15T13:00:00", product="p2", channel="moments",
             updated="2026-11-28T10:00:00")])
    # the click server's counter upsert
    conn.execute("INSERT INTO click_daily (code, day, clicks, bots) VALUES ('L1', '2026-11-01', 1, 1)"
                 " ON CONFLICT (code, day) DO UPDATE SET clicks = clicks + 1, bots = bots + 1")
    conn.execute("INSERT INTO click_daily (code, day, clicks, bots) VALUES ('L2', '2026-11-20', 1, 0)"
                 " ON CONFLICT (code, day) DO UPDATE SET clicks = clicks + 1")
    assert_rollups_match(conn)
    conn.execute("DELETE FROM order_status_history WHERE order_line = 'pdd:A6'")
    conn.execute("DELETE FROM orders WHERE id = 'pdd:A6'")
    conn.execute("DELETE FROM click_daily WHERE code = 'L3'")
    assert_rollups_match(conn)


def test_rebuild_rollups_repairs_a_drifted_rollup(ws):
    load(ws)
    before = earnings_report(ws, by="channel").to_json()
    ws.db.execute("UPDATE report_daily SET amount_minor = amount_minor + 999")
    ws.db.execute("DELETE FROM report_clicks")
    rebuild_rollups(ws.db)
    assert_rollups_match(ws.db)
    assert earnings_report(ws, by="channel").to_json() == before


def test_ranges_off_the_hour_read_the_edges_from_the_orders(ws):
    load(ws)
    # 23:00 .. 23:45 Beijing on 10-31 holds A1 (23:30) only; 00:05 .. 00:20 on 11-01 holds A2 (00:10)
    a = earnings_report(ws, by="day", since="2026-10-31T23:00:00", until="2026-10-31T23:45:00")
    assert [(r.key, r.orders, r.lost.minor) for r in a.rows] == [("2026-10-31", 1, 1000)]
    b = earnings_report(ws, by="channel", since="2026-11-01T00:05:00", until="2026-11-01T00:20:00")
    assert [(r.key, r.orders, r.settled.minor) for r in b.rows if r.orders] == [("wechat_group_a", 1, 500)]
    c = earnings_report(ws, by="channel", since="2026-10-31T20:00:00", until="2026-11-20T09:30:00")
    assert {r.key: r.orders for r in c.rows} == {"wechat_group_a": 2, "friend_lili": 2, "moments": 1, "(none)": 1}


def test_insert_or_replace_writers_are_caught_and_the_rollups_rebuilt(ws):
    from sharekit.reports import ensure_rollups

    load(ws)
    conn = ws.db
    assert ensure_rollups(conn) is False
    # REPLACE deletes the old row without firing the delete trigger: the rollups would count it twice
    conn.execute("INSERT OR REPLACE INTO orders SELECT * FROM orders WHERE id = 'jd:A3'")
    conn.execute("INSERT OR REPLACE INTO click_daily (code, day, clicks, bots) VALUES ('L2', '2026-11-15', 46, 5)")
    channel = {r.key: r for r in earnings_report(ws, by="channel").rows}
    assert (channel["friend_lili"].orders, channel["friend_lili"].clicks) == (2, 46)
    assert_rollups_match(conn)
    assert ensure_rollups(conn) is False


def test_click_counter_updates_in_place_and_moved_keep_the_rollup_exact(ws):
    """m092 splits the click_daily update trigger: counts of the same link and day add their
    difference; a row moved to another link or day leaves one rollup row for the other."""
    load(ws)
    conn = ws.db
    counters = "SELECT sum(counters) FROM report_clicks"
    rows_before = conn.execute(counters).fetchone()[0]
    conn.execute("UPDATE click_daily SET clicks = clicks + 5, bots = bots + 2 WHERE code = 'L1'")
    conn.execute("UPDATE click_daily SET clicks = clicks - 1 WHERE code = 'L2'")
    conn.execute("UPDATE click_daily SET qr = qr + 1, visitors = visitors + 1")  # not in the rollup
    assert_rollups_match(conn)
    moved = conn.execute("SELECT code, day FROM click_daily WHERE code = 'L1' ORDER BY day LIMIT 1").fetchone()
    conn.execute("UPDATE click_daily SET day = '2026-12-31', clicks = clicks + 1 WHERE code = ? AND day = ?",
                 tuple(moved))
    conn.execute("UPDATE click_daily SET code = 'L2' WHERE code = 'L1' AND day = '2026-12-31'")
    assert_rollups_match(conn)
    assert conn.execute(counters).fetchone()[0] == rows_before == conn.execute(
        "SELECT count(*) FROM click_daily").fetchone()[0]
    triggers = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
    assert {"report_clicks_update_counts", "report_clicks_update_key"} <= triggers
    assert "report_clicks_update" not in triggers
